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
from resnet_inspect import Preparation, cam, predict

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


SMALL = Preparation(resize=SIZE, crop=(SIZE, SIZE))  # the pipeline's steps, at 96 px


def plain_input(path: Path) -> torch.Tensor:
    """The image as torchvision's ImageClassification prepares it for resnet18 (its DEFAULT
    weights' mean and std), at 96 px: written out with torchvision's own transforms."""
    from torchvision import transforms

    entry = torchvision.models.ResNet18_Weights.DEFAULT.transforms()
    prepare = transforms.Compose(
        [
            transforms.Resize(SIZE, antialias=True),
            transforms.CenterCrop(SIZE),
            transforms.PILToTensor(),
            transforms.ConvertImageDtype(torch.float32),
            transforms.Normalize(entry.mean, entry.std),
        ]
    )
    return prepare(Image.open(path).convert("RGB"))[None]


def plain_grad_cam(
    layer: str, path: Path, target: int | None = None, *, inplace: bool = True
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Grad-CAM written out: hooks on the layer, the class score's gradient, channel weights
    = the gradient averaged over the map, ReLU of the weighted sum, bilinear upsampling.
    ``inplace=False``: every ReLU makes a new tensor, so no later op rewrites the layer's
    output (the reference for a layer before an in-place ReLU)."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.inplace = module.inplace and inplace
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
    report = cam(picture, "resnet18", layer="all", preparation=SMALL)
    assert [layer.layer for layer in report.layers] == ["layer1", "layer2", "layer3", "layer4"]
    for layer in report.layers:
        grid, heat, chosen = plain_grad_cam(layer.layer, picture)
        assert report.target == chosen
        assert torch.allclose(torch.tensor(layer.grid, dtype=torch.float32), grid, atol=1e-6)
        assert torch.allclose(torch.tensor(layer.heat, dtype=torch.float32), heat, atol=1e-6)


def test_the_top_five_are_the_softmax_of_a_plain_forward(picture: Path) -> None:
    report = cam(picture, "resnet18", preparation=SMALL)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(plain_input(picture))[0].double(), dim=0)
    values, indexes = probabilities.topk(5)
    assert [p.index for p in report.top] == indexes.tolist()
    for prediction, value in zip(report.top, values.tolist(), strict=True):
        assert math.isclose(prediction.probability, value, rel_tol=1e-6)


def test_a_chosen_class_by_index_or_by_a_labels_name(picture: Path, tmp_path: Path) -> None:
    by_index = cam(picture, "resnet18", target=7, preparation=SMALL)
    assert by_index.target == 7
    _, heat, _ = plain_grad_cam("layer4", picture, target=7)
    assert torch.allclose(
        torch.tensor(by_index.layers[0].heat, dtype=torch.float32), heat, atol=1e-6
    )
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(1000)))
    named = cam(picture, "resnet18", target="Thing 7", labels=str(labels), preparation=SMALL)
    assert named.target == 7 and named.target_name == "thing 7"
    assert named.top[0].name.startswith("thing ")


def test_the_view_and_the_png(picture: Path, tmp_path: Path, run_cli: Run) -> None:
    args = ["cam", str(picture), "--resize", str(SIZE), "--crop", str(SIZE), "--layer", "all"]
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
    result = run_cli(["cam", str(picture), "--resize", str(SIZE), "--crop", str(SIZE), *args])
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
    from resnet_inspect.capture.images.class_names import class_names
    from resnet_inspect.capture.images.preprocessing import preprocessing_for
    from resnet_inspect.commands.found import source
    from resnet_inspect.config import ModelChoice
    from resnet_inspect.parsing import parse_weights

    found = source(ModelChoice("resnet18", weights=parse_weights("DEFAULT", "resnet18")))
    entry = torchvision.models.ResNet18_Weights.DEFAULT
    names, whose = class_names("", found, found.meta(), 1000)
    assert names == list(entry.meta["categories"]) and names[281] == "tabby"
    assert whose == 'ResNet18_Weights.IMAGENET1K_V1.meta["categories"]'
    prepared = preprocessing_for(found, found.meta(), Preparation())
    assert prepared.transform is not None and prepared.mean is not None and prepared.std
    assert (list(prepared.mean), list(prepared.std)) == (
        entry.transforms().mean,
        entry.transforms().std,
    )


def test_the_strongest_channels_are_a_plain_hooks(
    picture: Path, tmp_path: Path, run_cli: Run
) -> None:
    """--maps: the channels of the largest mean activation in a plain forward hook's output,
    with their maps; in the terminal and below the maps in the PNG."""
    report = cam(picture, "resnet18", layer="all", maps=3, preparation=SMALL)
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
    args = ["cam", str(picture), "--resize", str(SIZE), "--crop", str(SIZE), "--maps", "2"]
    shown = run_cli([*args, "--save-png", str(png)], width=100)
    assert shown.exit_code == 0, shown.stderr
    assert "layer4: the 2 strongest channels" in " ".join(shown.stdout.split())
    with Image.open(png) as image:
        assert image.size == (288, 288 + 8 + 96)  # the map, a gap, layer4 3×3 maps of 32-px cells
    bad = run_cli([*args, "--maps", "65"])
    assert bad.exit_code == 2 and "--maps 65: expected a whole number from 0 to 64" in bad.stderr


def test_cam_and_predict_give_the_same_classes_for_the_same_photo(tmp_path: Path) -> None:
    """One image pipeline (issue #35): on a photo-sized image and a checkpoint, cam's top 5
    equal predict's, index for index, to 1e-6, with or without --arch."""
    rng = torch.Generator().manual_seed(5)
    pixels = torch.randint(0, 256, (300, 400, 3), dtype=torch.uint8, generator=rng)
    photo = tmp_path / "photo.png"
    Image.fromarray(pixels.numpy()).save(photo)
    torch.manual_seed(3)
    weights = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    for arch in ("resnet18", None):
        explained = cam(photo, arch, weights=str(weights))
        predicted = predict(str(photo), arch, weights=str(weights)).predictions[0].top
        assert explained.input_shape == (1, 3, 224, 224)
        assert [p.index for p in explained.top] == [p.index for p in predicted]
        for a, b in zip(explained.top, predicted, strict=True):
            assert math.isclose(a.probability, b.probability, rel_tol=0, abs_tol=1e-6)
    with torch.no_grad():  # and both equal a plain torchvision script
        model = torchvision.models.resnet18().eval()
        model.load_state_dict(torch.load(weights, weights_only=True))
        entry = torchvision.models.ResNet18_Weights.DEFAULT.transforms()
        scores = model(entry(Image.open(photo).convert("RGB"))[None])[0].double()
    assert [p.index for p in explained.top] == torch.softmax(scores, 0).topk(5).indices.tolist()


def test_a_layer_before_an_in_place_op_is_explained_as_it_was(picture: Path) -> None:
    """bn1 before ReLU(inplace=True) (issue #39, item 8): the map and the channels of the
    layer's own output, equal to a model whose ReLUs make new tensors."""
    report = cam(picture, "resnet18", layer="layer4.1.bn1", maps=3, preparation=SMALL)
    grid, heat, _ = plain_grad_cam("layer4.1.bn1", picture, inplace=False)
    layer = report.layers[0]
    assert torch.allclose(torch.tensor(layer.grid, dtype=torch.float32), grid, atol=1e-6)
    assert torch.allclose(torch.tensor(layer.heat, dtype=torch.float32), heat, atol=1e-6)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    copied: list[torch.Tensor] = []
    model.layer4[1].bn1.register_forward_hook(lambda m, i, o: copied.append(o.detach().clone()))
    with torch.no_grad():
        model(plain_input(picture))
    means = copied[0][0].mean(dim=(1, 2))
    assert [c.channel for c in layer.channels] == torch.topk(means, 3).indices.tolist()


def test_a_folder_of_one_image_is_not_called_1_images(tmp_path: Path, run_cli: Run) -> None:
    Image.new("RGB", (40, 40), (120, 30, 30)).save(tmp_path / "only.png")
    result = run_cli(["cam", str(tmp_path), "--resize", "32", "--crop", "32"], width=120)
    assert result.exit_code == 0, result.stderr
    assert "1 images" not in result.stdout and "one image" in result.stdout
