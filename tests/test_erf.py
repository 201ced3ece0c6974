"""erf: the measured effective receptive field against a plain script, and its promises."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from typer.testing import Result

from conftest import probed_run
from resnet_inspect import InspectError, erf
from test_receptive_field import passes_everything

Run = Callable[..., Result]


def test_the_heatmap_is_a_plain_scripts_averaged_gradient() -> None:
    report = erf("resnet18", (1, 3, 64, 64), layer="layer3", samples=3, seed=5)
    torch.manual_seed(5)
    model = torchvision.models.resnet18().eval()
    data = torch.rand(3, 3, 64, 64, requires_grad=True)
    seen: list[torch.Tensor] = []
    model.layer3.register_forward_hook(lambda m, i, o: seen.append(o))
    model(data)
    centre = (seen[0].shape[2] // 2, seen[0].shape[3] // 2)
    seen[0][:, :, centre[0], centre[1]].sum().backward()
    assert data.grad is not None
    heat = data.grad.abs().double().sum(1).mean(0)
    heat = heat / heat.sum()
    assert report.unit == centre
    assert torch.allclose(torch.tensor(report.grid, dtype=torch.float64), heat, rtol=0, atol=1e-15)
    assert math.isclose(sum(map(math.fsum, report.grid)), 1.0, rel_tol=1e-12)


def test_a_symmetric_model_gives_a_symmetric_field_inside_the_theoretical_one() -> None:
    """With every unit passing everything on, the network is linear on positive inputs and
    symmetric about the centre unit's field: so is the measured gradient, and all of it lies
    inside the theoretical field, its half-mass radius well within."""
    model = passes_everything(torchvision.models.resnet18())
    report = erf(model=model, input_shape=(1, 3, 128, 128), layer="layer2", samples=2)
    top, _, bottom, _ = report.field_box
    assert top >= 0 and bottom <= 127  # the field lies inside the input: no padding
    centre = int((top + bottom) / 2)
    grid = report.grid
    for d in range(1, int((bottom - top) / 2) + 1):
        assert math.isclose(grid[centre - d][centre], grid[centre + d][centre], rel_tol=1e-9)
        assert math.isclose(grid[centre][centre - d], grid[centre][centre + d], rel_tol=1e-9)
    assert report.inside_field == pytest.approx(1.0, abs=1e-12)
    assert 0 < report.radius_50 < report.radius_90 < report.field_radius


def test_random_weights_keep_half_the_gradient_well_inside_the_field() -> None:
    report = erf("resnet50", (1, 3, 160, 160), layer="layer3", samples=2)
    assert report.inside_field == pytest.approx(1.0, abs=1e-9)
    assert report.radius_50 < report.field_radius / 2


def test_the_same_seed_saves_the_same_bytes(tmp_path: Path, run_cli: Run) -> None:
    saved = []
    for run in ("a", "b"):
        png, svg = tmp_path / f"{run}.png", tmp_path / f"{run}.svg"
        done = run_cli(["erf", "--samples", "2", "--save-png", str(png), "--save-svg", str(svg)])
        assert done.exit_code == 0, done.stderr
        saved.append((png.read_bytes(), svg.read_bytes()))
    assert saved[0] == saved[1]
    assert saved[0][0].startswith(b"\x89PNG")


def test_the_view_draws_the_map_and_the_numbers(run_cli: Run) -> None:
    shown = run_cli(["erf", "--samples", "2", "--layer", "layer1"], width=100)
    assert shown.exit_code == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "the effective receptive field of layer1's centre unit (8, 8)" in text
    assert "50% of the gradient within" in text and "100% of the gradient lies inside" in text
    assert "+---" in shown.stdout  # the field's outline, in characters without colour


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--layer", "layr3"], 2, "the nearest: layer3"),
        (["--layer", "fc"], 2, "has no map of units"),
        (["--image", "{d}/not.jpg"], 1, "not an image Pillow can read"),
        (["--input", "2,3,64,64"], 2, "erf looks at one image at a time"),
    ],
)
def test_bad_input_is_one_line(
    run_cli: Run, tmp_path: Path, args: list[str], code: int, fragment: str
) -> None:
    (tmp_path / "not.jpg").write_text("not a picture")
    result = run_cli(["erf", *(a.format(d=tmp_path) for a in args)])
    assert result.exit_code == code, result.stderr
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--samples", "0"], "give a whole number from 1"), (["--image", "/nope.png"], "no such")],
)
def test_usage_errors_come_before_torch(args: list[str], fragment: str) -> None:
    code, lines = probed_run(["erf", *args])
    assert code == 2 and fragment in lines[0] and lines[-1] == "torch-loaded=False"


def test_images_are_converted_and_say_how(tmp_path: Path, run_cli: Run) -> None:
    from PIL import Image

    Image.new("RGBA", (40, 30), (200, 10, 10, 128)).save(tmp_path / "rgba.png")
    Image.new("L", (40, 30), 90).save(tmp_path / "gray.png")
    args = ["erf", "--crop", "64", "--resize", "64", "--image", str(tmp_path / "rgba.png")]
    shown = run_cli([*args, "--image", str(tmp_path / "gray.png")], width=200)
    assert shown.exit_code == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "averaged over 2 images: alpha dropped; grayscale repeated to RGB" in text
    one = run_cli(args, width=200)  # one image is not "1 images"
    assert one.exit_code == 0, one.stderr
    assert "1 images" not in one.stdout and "one image" in one.stdout


@pytest.mark.parametrize("width", [40, 80, 200])
def test_ascii_output_has_no_other_character(run_cli: Run, width: int) -> None:
    result = run_cli(["erf", "--samples", "2", "--layer", "layer1", "--ascii"], width=width)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.isascii(), {c for c in result.stdout if not c.isascii()}
    assert max(len(line) for line in result.stdout.splitlines()) <= max(width, 40)


def test_an_image_too_large_to_decode_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    Image.new("RGB", (120, 100)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4000)  # 12,000 pixels: a "bomb" here
    with pytest.raises(InspectError, match="too many pixels to decode safely"):
        erf("resnet18", (1, 3, 64, 64), images=(str(tmp_path / "big.png"),))
