"""cam: Grad-CAM and the top classes against an independent plain implementation."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from typer.testing import Result

from conftest import probed_run
from resnet_inspect import cam

Run = Callable[..., Result]
SIZE = 96


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    """A synthetic image: a bright rectangle on black, off centre."""
    image = Image.new("RGB", (120, 100))
    image.paste((230, 200, 40), (30, 20, 80, 70))
    path = tmp_path / "object.png"
    image.save(path)
    return path


def plain_input(path: Path) -> torch.Tensor:
    image = Image.open(path).convert("RGB").resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).float()
    pixels = pixels.view(SIZE, SIZE, 3)
    return (pixels.permute(2, 0, 1) / 255)[None]


def plain_grad_cam(
    layer: str, path: Path, target: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Grad-CAM written out: hooks on the layer, the class score's gradient, channel weights
    = the gradient averaged over the map, ReLU of the weighted sum, bilinear upsampling."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    kept: dict[str, torch.Tensor] = {}

    def hook(module: torch.nn.Module, inputs: object, output: torch.Tensor) -> None:
        kept["a"] = output
        output.register_hook(lambda grad: kept.__setitem__("g", grad))

    model.get_submodule(layer).register_forward_hook(hook)
    scores = model(plain_input(path))
    chosen = int(scores[0].argmax()) if target is None else target
    scores[0, chosen].backward()
    weights = kept["g"].mean(dim=(2, 3))
    grid = torch.relu((weights[:, :, None, None] * kept["a"]).sum(1))[0].detach()
    up = F.interpolate(grid[None, None], size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    up = up[0, 0]
    return grid, up / up.max() if up.max() > 0 else up, chosen


def test_grad_cam_equals_a_plain_implementation(picture: Path) -> None:
    report = cam(picture, "resnet18", (1, 3, SIZE, SIZE), layer="all")
    assert [layer.layer for layer in report.layers] == ["layer1", "layer2", "layer3", "layer4"]
    for layer in report.layers:
        grid, heat, chosen = plain_grad_cam(layer.layer, picture)
        assert report.target == chosen
        assert torch.allclose(torch.tensor(layer.grid, dtype=torch.float32), grid, atol=1e-6)
        assert torch.allclose(torch.tensor(layer.heat, dtype=torch.float32), heat, atol=1e-6)


def test_the_top_five_are_the_softmax_of_a_plain_forward(picture: Path) -> None:
    report = cam(picture, "resnet18", (1, 3, SIZE, SIZE))
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(plain_input(picture))[0].double(), dim=0)
    values, indexes = probabilities.topk(5)
    assert [p.index for p in report.top] == indexes.tolist()
    for prediction, value in zip(report.top, values.tolist(), strict=True):
        assert math.isclose(prediction.probability, value, rel_tol=1e-6)


def test_a_chosen_class_by_index_or_by_a_labels_name(picture: Path, tmp_path: Path) -> None:
    by_index = cam(picture, "resnet18", (1, 3, SIZE, SIZE), target=7)
    assert by_index.target == 7
    _, heat, _ = plain_grad_cam("layer4", picture, target=7)
    assert torch.allclose(
        torch.tensor(by_index.layers[0].heat, dtype=torch.float32), heat, atol=1e-6
    )
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(1000)))
    named = cam(picture, "resnet18", (1, 3, SIZE, SIZE), target="Thing 7", labels=str(labels))
    assert named.target == 7 and named.target_name == "thing 7"
    assert named.top[0].name.startswith("thing ")


def test_the_view_and_the_png(picture: Path, tmp_path: Path, run_cli: Run) -> None:
    args = ["cam", str(picture), "--input", f"1,3,{SIZE},{SIZE}", "--layer", "all"]
    saved = []
    for run in ("a", "b"):
        png = tmp_path / f"{run}.png"
        shown = run_cli([*args, "--save-png", str(png)], width=100)
        assert shown.exit_code == 0, shown.stderr
        saved.append(png.read_bytes())
    assert saved[0] == saved[1] and saved[0].startswith(b"\x89PNG")
    assert Image.open(tmp_path / "a.png").size == (4 * 288 + 3 * 8, 288)  # 96 px × 3, 4 maps
    text = shown.stdout
    assert "Top 5" in text and "layer1" in text and "layer4" in text
    assert all(line == line.rstrip() for line in text.splitlines())


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--class", "1000"], 2, "the model has classes 0 to 999"),
        (["--class", "tabby"], 2, "the weights name no classes; give an index"),
        (["--layer", "layr4"], 2, "the nearest: layer4"),
    ],
)
def test_bad_input_is_one_line(
    picture: Path, run_cli: Run, args: list[str], code: int, fragment: str
) -> None:
    result = run_cli(["cam", str(picture), "--input", f"1,3,{SIZE},{SIZE}", *args])
    assert result.exit_code == code, result.stderr
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


def test_a_file_that_is_not_an_image_is_one_line(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "not.png").write_text("not a picture")
    result = run_cli(["cam", str(tmp_path / "not.png")])
    assert result.exit_code == 1 and "IMAGE" in result.stderr
    assert "not an image Pillow can read" in result.stderr


def test_a_missing_image_is_a_usage_error_before_torch() -> None:
    code, lines = probed_run(["cam", "/no/such/picture.png"])
    assert code == 2 and "no such file" in lines[0] and lines[-1] == "torch-loaded=False"


def test_pretrained_weights_give_their_own_names_and_normalisation() -> None:
    """Read from torchvision's metadata (nothing is downloaded): the weights a report names
    as ``ResNet18_Weights.IMAGENET1K_V1`` are found again for their transforms and classes."""
    from resnet_inspect.capture.class_names import class_names
    from resnet_inspect.capture.images import weights_normalisation
    from resnet_inspect.commands.model import source
    from resnet_inspect.config import ModelChoice
    from resnet_inspect.parsing import parse_weights

    found = source(ModelChoice("resnet18", weights=parse_weights("DEFAULT", "resnet18")))
    entry = torchvision.models.ResNet18_Weights.DEFAULT
    names, whose = class_names("", found, found.meta(), 1000)
    assert names == list(entry.meta["categories"]) and names[281] == "tabby"
    assert whose == 'ResNet18_Weights.IMAGENET1K_V1.meta["categories"]'
    mean, std = weights_normalisation(found, torchvision.models.resnet18()) or ((), ())
    assert (list(mean), list(std)) == (entry.transforms().mean, entry.transforms().std)


def test_the_strongest_channels_are_a_plain_hooks(
    picture: Path, tmp_path: Path, run_cli: Run
) -> None:
    """--maps: the channels of the largest mean activation in a plain forward hook's output,
    with their maps; in the terminal and below the maps in the PNG."""
    report = cam(picture, "resnet18", (1, 3, SIZE, SIZE), layer="all", maps=3)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    for layer in report.layers:
        kept: list[torch.Tensor] = []
        handle = model.get_submodule(layer.layer).register_forward_hook(
            lambda m, i, o, kept=kept: kept.append(o.detach()[0])
        )
        with torch.no_grad():
            model(plain_input(picture))
        handle.remove()
        means = kept[0].mean(dim=(1, 2))
        assert [c.channel for c in layer.channels] == torch.topk(means, 3).indices.tolist()
        for found in layer.channels:
            assert found.mean == pytest.approx(float(means[found.channel]), rel=1e-6)
            assert torch.allclose(
                torch.tensor(found.grid, dtype=torch.float64), kept[0][found.channel].double()
            )
    png = tmp_path / "maps.png"
    args = ["cam", str(picture), "--input", f"1,3,{SIZE},{SIZE}", "--maps", "2"]
    shown = run_cli([*args, "--save-png", str(png)], width=100)
    assert shown.exit_code == 0, shown.stderr
    assert "layer4: the 2 strongest channels" in " ".join(shown.stdout.split())
    with Image.open(png) as image:
        assert image.size == (288, 288 + 8 + 96)  # the map, a gap, layer4 3×3 maps of 32-px cells
    bad = run_cli([*args, "--maps", "65"])
    assert bad.exit_code == 2 and "--maps 65: expected a whole number from 0 to 64" in bad.stderr
