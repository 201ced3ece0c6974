"""cam --trust against independent references: a plain script that re-initialises the model
and recomputes Grad-CAM, scipy's Spearman, scikit-image's SSIM, a plain deletion/insertion
loop; and, on a model trained here, the checks say what a trained model's map is."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from scipy.stats import spearmanr
from skimage.metrics import structural_similarity
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.transforms.functional import gaussian_blur
from typer.testing import Result

from resnet_inspect import InspectError, Preparation, cam
from resnet_inspect.capture.similarity import spearman, ssim
from test_cam import SIZE, SMALL, plain_input

Run = Callable[..., Result]
# The cascade as a plain script names it: each section's parameters and buffers by prefix.
SECTIONS = [
    ("head", ("fc.",)),
    ("layer4", ("layer4.",)),
    ("layer3", ("layer3.",)),
    ("layer2", ("layer2.",)),
    ("layer1", ("layer1.",)),
    ("stem", ("conv1.", "bn1.")),
]


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    image = Image.new("RGB", (120, 100))
    image.paste((230, 200, 40), (30, 20, 80, 70))
    image.paste((40, 90, 220), (85, 60, 110, 90))
    path = tmp_path / "object.png"
    image.save(path)
    return path


def plain_heat(model: torch.nn.Module, x: torch.Tensor, layer: str, target: int) -> torch.Tensor:
    """Grad-CAM written out (hooks, the score's gradient, ReLU of the weighted sum, bilinear
    upsampling, scaled to its largest)."""
    kept: dict[str, torch.Tensor] = {}

    def hook(module: torch.nn.Module, inputs: object, output: torch.Tensor) -> torch.Tensor:
        kept["a"] = output
        output.register_hook(lambda grad: kept.__setitem__("g", grad))
        return output.clone()

    handle = model.get_submodule(layer).register_forward_hook(hook)
    model.eval()
    model(x)[0, target].backward()
    handle.remove()
    weights = kept["g"].mean(dim=(2, 3))
    grid = torch.relu((weights[:, :, None, None] * kept["a"]).sum(1)).detach()
    up = F.interpolate(grid[None], size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    return up / up.max() if up.max() > 0 else up


def plain_similarity(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    rho = spearmanr(a.flatten().double().numpy(), b.flatten().double().numpy()).statistic
    index = structural_similarity(a.double().numpy(), b.double().numpy(), data_range=1.0)
    return float(rho), float(index)


def test_spearman_and_ssim_equal_scipy_and_scikit_image() -> None:
    generator = torch.Generator().manual_seed(3)
    for _ in range(5):
        a = torch.relu(torch.randn(40, 56, generator=generator))  # ties: the zeros
        b = torch.relu(a + torch.randn(40, 56, generator=generator) * 0.7)
        a, b = a / a.max(), b / b.max()
        rho, index = plain_similarity(a, b)
        assert spearman(a, b) == pytest.approx(rho, abs=1e-12)
        assert ssim(a, b) == pytest.approx(index, abs=1e-9)
    assert spearman(torch.zeros(8, 8), torch.rand(8, 8)) is None  # scipy: nan


def test_cascading_randomisation_equals_a_plain_script(picture: Path, tmp_path: Path) -> None:
    torch.manual_seed(5)  # "trained" weights: any that the seed's own stream does not draw
    weights = tmp_path / "weights.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    report = cam(
        picture, "resnet18", weights=weights, trust=True, layer="layer3", preparation=SMALL
    )
    trust = report.trust
    assert trust is not None and trust.trained and trust.layer == "layer3"

    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(weights))
    fresh = torchvision.models.resnet18().state_dict()  # the same stream, after the model
    x = plain_input(picture)
    original = plain_heat(model, x, "layer3", report.target)
    assert [stage.stage for stage in trust.randomised] == [name for name, _ in SECTIONS]
    with torch.no_grad():
        state = model.state_dict()
    for (_, prefixes), stage in zip(SECTIONS, trust.randomised, strict=True):
        with torch.no_grad():
            for key, value in state.items():
                if key.startswith(prefixes):
                    value.copy_(fresh[key])
        after = plain_heat(model, x, "layer3", report.target)
        rho, index = plain_similarity(original, after)
        if math.isnan(rho):
            assert stage.spearman.mean is None
        else:
            assert stage.spearman.mean == pytest.approx(rho, abs=1e-4)
        assert stage.ssim.mean == pytest.approx(index, abs=1e-4)
        assert stage.spearman.count <= 1 and stage.ssim.low == stage.ssim.high


def test_the_random_class_and_the_curves_equal_plain_loops(picture: Path) -> None:
    report = cam(picture, "resnet18", trust=True, preparation=SMALL, seed=0)
    trust = report.trust
    assert trust is not None and not trust.trained  # random weights: said, numbers still shown
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    x = plain_input(picture)
    original = plain_heat(model, x, "layer4", report.target)
    assert trust.other_class != report.target and 0 <= trust.other_class < 1000
    other = plain_heat(model, x, "layer4", trust.other_class)
    rho, index = plain_similarity(original, other)
    assert (
        (trust.other_spearman.mean is None)
        if math.isnan(rho)
        else (trust.other_spearman.mean == pytest.approx(rho, abs=1e-4))
    )
    assert trust.other_ssim.mean == pytest.approx(index, abs=1e-4)

    # Deletion and insertion, one image at a time, over the same pixel orders.
    rows = torch.arange(SIZE, dtype=torch.float64) - (SIZE - 1) / 2
    centred = torch.exp(-(rows[:, None] ** 2 + rows[None, :] ** 2) / (2 * (SIZE / 4) ** 2))
    blurred = gaussian_blur(x, [11, 11], [5.0, 5.0])
    for name, saliency in (("Grad-CAM", original), ("centred Gaussian", centred)):
        order = np.argsort(-saliency.flatten().double().numpy(), kind="stable")
        deletion, insertion = [], []
        for k in range(11):
            chosen = torch.from_numpy(order[: round(k * SIZE * SIZE / 10)])
            deleted = x.clone().reshape(3, -1)
            deleted[:, chosen] = 0
            inserted = blurred.clone().reshape(3, -1)
            inserted[:, chosen] = x.reshape(3, -1)[:, chosen]
            with torch.no_grad():
                for images, into in ((deleted, deletion), (inserted, insertion)):
                    scores = model(images.reshape(1, 3, SIZE, SIZE)).double()
                    into.append(float(torch.softmax(scores, 1)[0, report.target]))
        curve = next(c for c in trust.curves if c.map == name)
        assert curve.deletion == pytest.approx(deletion, rel=1e-4, abs=1e-9)
        assert curve.insertion == pytest.approx(insertion, rel=1e-4, abs=1e-9)
        step = 1 / 10
        assert curve.deletion_auc.mean == pytest.approx(np.trapezoid(deletion, dx=step), rel=1e-4)
        assert curve.insertion_auc.mean == pytest.approx(np.trapezoid(insertion, dx=step), rel=1e-4)
    assert [c.map for c in trust.curves] == ["Grad-CAM", "random", "centred Gaussian"]


# A model trained here: four classes, each a bright square in one quadrant of a noisy image.
TRAINED_SIZE, PATCH = 64, 24


def patch_images(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(count, 3, TRAINED_SIZE, TRAINED_SIZE, generator=generator) * 0.5
    labels = torch.randint(4, (count,), generator=generator)
    corners = []
    for i, label in enumerate(labels.tolist()):
        jitter = torch.randint(-4, 5, (2,), generator=generator).tolist()
        top = (label // 2) * 32 + 4 + jitter[0]
        left = (label % 2) * 32 + 4 + jitter[1]
        images[i, :, top : top + PATCH, left : left + PATCH] = 1.0
        corners.append((top, left))
    return (images * 255).round() / 255, labels, corners  # what a PNG holds


def trained_model() -> torch.nn.Module:
    torch.manual_seed(0)
    model = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=4)
    images, labels, _ = patch_images(512, 0)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    model.train()
    for _ in range(40):
        batch = torch.randint(512, (32,))
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def test_on_a_trained_model_the_map_points_at_the_evidence_and_passes(tmp_path: Path) -> None:
    model = trained_model()
    images, labels, corners = patch_images(12, 1)
    folder = tmp_path / "patches"
    for i, label in enumerate(labels.tolist()):
        (folder / f"q{label}").mkdir(parents=True, exist_ok=True)
        pixels = (images[i].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
        Image.fromarray(pixels).save(folder / f"q{label}" / f"{i:02d}.png")
    whole = Preparation(resize=TRAINED_SIZE, crop=(TRAINED_SIZE, TRAINED_SIZE))

    # The pointing game: the map's largest value inside the square on most images.
    hits = 0
    for i, label in enumerate(labels.tolist()):
        one = cam(
            folder / f"q{label}" / f"{i:02d}.png", model=model, layer="layer2", preparation=whole
        )
        assert one.target == label  # the model learned the task
        heat = torch.tensor(one.layers[0].heat)
        row, col = divmod(int(heat.argmax()), TRAINED_SIZE)
        top, left = corners[i]
        hits += top <= row < top + PATCH and left <= col < left + PATCH
    assert hits >= 9, hits

    report = cam(folder, model=model, layer="layer2", trust=True, preparation=whole)
    trust = report.trust
    assert trust is not None and trust.images == 12
    assert [c.name for c in report.classes] == sorted({f"q{label}" for label in labels.tolist()})
    # An instance's own initialisation is not known: reset_parameters() stands in (said).
    assert "reset_parameters" in trust.reinitialised
    own, random_map, _ = trust.curves
    assert own.deletion_auc.mean is not None and random_map.deletion_auc.mean is not None
    assert own.deletion_auc.mean < 0.8 * random_map.deletion_auc.mean
    assert trust.deletion_beats_baselines
    # Randomising the trained sections from the head down to the explained layer destroys
    # the similarity (below it, the map may follow the image's own edges again, as Adebayo
    # et al. found: the report shows it, the verdict names where the map first changes).
    assert trust.changes_from == "head"
    for stage in trust.randomised[:4]:
        assert stage.stage in ("head", "layer4", "layer3", "layer2")
        assert stage.spearman.mean is None or stage.spearman.mean < 0.5, stage
    assert trust.class_sensitive
    interval = own.deletion_auc
    assert interval.low is not None and interval.high is not None
    assert interval.low <= interval.mean <= interval.high and interval.count == 12


def test_a_folders_maps_are_the_mean_of_its_images_maps(tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    generator = np.random.default_rng(0)
    for i in range(3):
        pixels = (generator.random((70, 90, 3)) * 255).astype("uint8")
        Image.fromarray(pixels).save(folder / f"{i}.png")
    report = cam(folder, "resnet18", preparation=SMALL, layer="all")
    assert report.folder and len(report.images) == 3 and report.pixels == ()
    singles = [
        cam(folder / f"{i}.png", "resnet18", preparation=SMALL, layer="all") for i in range(3)
    ]
    for k, layer in enumerate(report.layers):
        grids = [torch.tensor(one.layers[k].grid, dtype=torch.float64) for one in singles]
        scaled = [g / g.max() if g.max() > 0 else g for g in grids]
        mean = torch.tensor(layer.grid, dtype=torch.float64)
        assert torch.allclose(mean, sum(scaled) / 3, atol=1e-6)
        heat = sum(torch.tensor(one.layers[k].heat, dtype=torch.float64) for one in singles)
        assert torch.allclose(torch.tensor(layer.heat, dtype=torch.float64), heat / heat.max())
    for image, one in zip(report.images, singles, strict=True):
        assert image.target == one.target
        assert image.probability == pytest.approx(one.probability, rel=1e-6)
        heat = torch.tensor(one.layers[-1].heat, dtype=torch.float64)
        rows = (torch.arange(SIZE, dtype=torch.float64) + 0.5) / SIZE
        assert image.centre is not None
        assert image.centre[0] == pytest.approx(float((heat.sum(1) * rows).sum() / heat.sum()))
        assert image.centre[1] == pytest.approx(float((heat.sum(0) * rows).sum() / heat.sum()))


def test_a_folder_streams_a_few_images_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resnet_inspect.capture import cam_folder

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        Image.new("RGB", (40, 40), (i * 6, 90, 200 - i * 4)).save(folder / f"{i:02d}.png")
    alive: set[int] = set()
    most = [0]
    original = cam_folder.prepared

    def counted(*args: object, **kwargs: object) -> torch.Tensor:
        tensor = original(*args, **kwargs)  # type: ignore[arg-type]
        alive.add(id(tensor))
        weakref.finalize(tensor, alive.discard, id(tensor))
        most[0] = max(most[0], len(alive))
        return tensor

    monkeypatch.setattr(cam_folder, "prepared", counted)
    report = cam(folder, "resnet18", preparation=Preparation(resize=32, crop=(32, 32)))
    assert len(report.images) == 40
    assert most[0] <= cam_folder.CHUNK  # never more than one batch of images in memory


def test_save_dir_writes_each_images_picture_where_it_lies(tmp_path: Path, run_cli: Run) -> None:
    folder = tmp_path / "set"
    for name in ("cats", "dogs"):
        (folder / name).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (50, 40), (40 * i, 120, 80)).save(folder / name / f"{i}.jpg")
    Image.new("RGB", (50, 40)).save(folder / "cats" / "0.png")  # 0.jpg's name with .png
    out = tmp_path / "maps"
    result = run_cli(["cam", str(folder), "--resize", "32", "--crop", "32", "--save-dir", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    # 0.jpg comes first and takes 0.png; 0.png keeps its whole name
    assert written == ["cats/0.png", "cats/0.png.png", "cats/1.png", "dogs/0.png", "dogs/1.png"]
    with Image.open(out / "dogs" / "1.png") as picture:
        assert picture.size[1] >= 32
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    inside = run_cli(["cam", str(folder), "--save-dir", str(folder / "cats")])
    assert inside.exit_code == 2 and "--save-dir" in inside.output
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_bad_folders_and_models_get_one_line(tmp_path: Path, run_cli: Run, picture: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(["cam", str(empty)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    maps = run_cli(["cam", str(picture.parent), "--maps", "2"])
    assert maps.exit_code == 2 and "--maps" in maps.output
    flat = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 5),
    )
    with pytest.raises(InspectError, match="stages"):
        cam(picture, model=flat, layer="0", trust=True, preparation=SMALL)


def test_progress_is_drawn_on_a_terminals_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(10):
        Image.new("RGB", (40, 40), (20 * i, 0, 0)).save(folder / f"{i}.png")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    cam(folder, "resnet18", preparation=Preparation(resize=32, crop=(32, 32)))
    drawn = terminal.getvalue()
    assert "8/10" in drawn and "10/10" in drawn and drawn.endswith("\r\033[K")


def test_a_folder_report_comes_back_from_its_json(tmp_path: Path, run_cli: Run) -> None:
    import json

    import jsonschema
    from rich.cells import cell_len

    from resnet_inspect import json_schema, report_from_dict

    folder = tmp_path / "three"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (40, 40), (90 * i, 50, 50)).save(folder / f"{i}.png")
    args = ["cam", str(folder), "--resize", "32", "--crop", "32", "--class", "5", "--trust"]
    result = run_cli([*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, json_schema())
    report = report_from_dict(data)
    assert report.trust is not None and len(report.images) == 3
    assert len(report.trust.curves[0].deletion) == report.trust.steps + 1
    # The class table (one row: every image explains class 5) fits a terminal of 80
    # columns, each interval under its mean, and is one table at 200, with the same numbers.
    (group,) = report.classes
    assert group.deletion_auc is not None and group.deletion_auc.low is not None
    interval = f"[{group.deletion_auc.low:.3g}, {group.deletion_auc.high:.3g}]"
    for width in (80, 200):
        lines = report.view(width=width).text().splitlines()
        assert max(cell_len(line) for line in lines) <= width
        assert sum(interval in line for line in lines) >= 1
    narrow, wide = (
        [line for line in report.view(width=w).text().splitlines() if line.startswith(group.name)]
        for w in (80, 200)
    )
    assert len(wide) == 1 and f"{group.deletion_auc.mean:.3g} {interval}" in wide[0]
    assert len(narrow) == 2 and any(line.rstrip().endswith(interval) for line in narrow) is False
    assert f"{group.deletion_auc.mean:.3g}" in narrow[1] and "[" not in narrow[1]
