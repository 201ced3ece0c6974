"""--images: real pictures through train-step and freeze, against torchvision's own
ImageFolder, DataLoader sampler and transforms, and a plain training script."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader
from typer.testing import Result

import resnet_inspect as ri
from conftest import probed_run
from resnet_inspect.config import ImageOptions, LossKind, StepOptions
from resnet_inspect.imagesets import find_images
from resnet_inspect.report import ParamStat

Run = Callable[..., Result]
CROP, RESIZE = 40, 48  # small, so that the real steps are quick


def _picture(path: Path, seed: int, size: tuple[int, int], mode: str = "RGB") -> None:
    generator = torch.Generator().manual_seed(seed)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    pixels = torch.randint(0, 256, (size[1], size[0], channels), generator=generator)
    array = pixels.to(torch.uint8).squeeze(-1).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode).save(path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ImageFolder of 2 classes, 6 images of several sizes, one grayscale, one RGBA, one
    in a nested folder; a loose image at the top (ImageFolder does not read it)."""
    root = tmp_path_factory.mktemp("images") / "pets"
    _picture(root / "cat" / "a.png", 1, (60, 50))
    _picture(root / "cat" / "b.jpg", 2, (70, 90))
    _picture(root / "cat" / "inner" / "c.png", 3, (55, 55), "L")
    _picture(root / "dog" / "d.png", 4, (80, 64), "RGBA")
    _picture(root / "dog" / "e.bmp", 5, (64, 80))
    _picture(root / "dog" / "f.png", 6, (50, 50))
    _picture(root / "loose.png", 7, (50, 50))
    (root / "dog" / "notes.txt").write_text("not an image")
    return root


def test_the_files_and_labels_are_imagefolders(folder: Path) -> None:
    found = find_images([str(folder)])
    reference = torchvision.datasets.ImageFolder(str(folder))
    assert list(found.files) == [path for path, _ in reference.samples]
    assert list(found.labels or ()) == [label for _, label in reference.samples]
    assert list(found.classes) == reference.classes and found.ignored == 1


def test_a_shuffled_order_is_a_dataloaders(folder: Path) -> None:
    """--shuffle takes the order DataLoader(shuffle=True, generator=g) draws, epoch after
    epoch (issue #39, item 18: it was a bare RandomSampler's, which another draw precedes)."""
    from resnet_inspect.capture.images.batches import _stream

    reference = torchvision.datasets.ImageFolder(str(folder))
    indices = list(range(len(reference)))
    loader = DataLoader(
        indices, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(7)
    )
    two_epochs = [i for _ in range(2) for batch in loader for i in batch.tolist()]
    assert _stream(6, 11, True, 7) == two_epochs[:11]
    assert _stream(6, 8, False, 7) == [0, 1, 2, 3, 4, 5, 0, 1]


def _prepared(arch: str, weights: str, path: Path) -> torch.Tensor:
    from resnet_inspect.capture.images.preprocessing import preprocessing_for
    from resnet_inspect.commands.found import source
    from resnet_inspect.config import ModelChoice
    from resnet_inspect.parsing import parse_weights

    found = source(ModelChoice(arch, weights=parse_weights(weights, arch)))
    options = ImageOptions(paths=(str(path),))
    with Image.open(path) as image:
        return preprocessing_for(found, found.meta(), options).transform(image.convert("RGB"))


def test_torchvision_weights_prepare_as_their_transforms(folder: Path) -> None:
    picture = folder / "cat" / "b.jpg"
    transforms = torchvision.models.ResNet50_Weights.IMAGENET1K_V2.transforms()
    with Image.open(picture) as image:
        expected = transforms(image.convert("RGB"))
    assert expected.shape == (3, 224, 224)  # V2's: resize 232, crop 224
    assert torch.equal(_prepared("resnet50", "IMAGENET1K_V2", picture), expected)


def test_timm_models_prepare_as_timms_data_config(folder: Path) -> None:
    pytest.importorskip("timm")
    import timm.data

    picture = folder / "dog" / "e.bmp"
    model = timm.create_model("resnet50d", pretrained=False)
    transform = timm.data.create_transform(**timm.data.resolve_model_data_config(model))
    with Image.open(picture) as image:
        expected = transform(image.convert("RGB"))
    assert torch.equal(_prepared("timm:resnet50d", "none", picture), expected)


def _plain_steps(
    folder: Path, order: list[int], batch: int, steps: int, *, labelled: bool
) -> tuple[list[float], dict[str, torch.Tensor], torch.nn.Module]:
    """The same run as a user's script: ImageFolder (or its files) with composed transforms,
    the tutorial's SGD, cross-entropy against the folder's labels (or the sum loss against
    seeded random labels)."""
    from torchvision import transforms

    prepare = transforms.Compose(
        [
            transforms.Resize(RESIZE, antialias=True),
            transforms.CenterCrop(CROP),
            transforms.PILToTensor(),
            transforms.ConvertImageDtype(torch.float32),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ]
    )
    dataset = torchvision.datasets.ImageFolder(str(folder), transform=prepare)
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    model.train()
    random_labels = None if labelled else torch.rand(batch, 1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    before: dict[str, torch.Tensor] = {}
    for step in range(steps):
        taken = order[step * batch : (step + 1) * batch]
        data = torch.stack([dataset[i][0] for i in taken])
        optimizer.zero_grad()
        prediction = model(data)
        if random_labels is None:
            loss = F.cross_entropy(prediction, torch.tensor([dataset[i][1] for i in taken]))
        else:
            loss = (prediction - random_labels).sum()
        loss.backward()
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        optimizer.step()
        losses.append(loss.item())
    updates = {name: p.detach() - before[name] for name, p in model.named_parameters()}
    return losses, updates, model


@pytest.mark.parametrize("labelled", [True, False])
def test_a_step_on_images_equals_a_plain_script(folder: Path, labelled: bool) -> None:
    """Batches of 4 from 6 images over 3 steps: the second batch wraps around."""
    paths = (str(folder),) if labelled else find_images([str(folder)]).files
    options = ImageOptions(paths=paths, batch=4, resize=RESIZE, crop=(CROP, CROP))
    loss = LossKind.CROSS_ENTROPY if labelled else LossKind.SUM
    report = ri.train_step("resnet18", images=options, step=StepOptions(loss=loss, steps=3))
    order = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]
    losses, updates, model = _plain_steps(folder, order, 4, 3, labelled=labelled)
    step = report.step
    assert step is not None and step.images is not None
    assert report.input_shape == (4, 3, CROP, CROP)
    assert step.losses == pytest.approx(losses, rel=1e-6, abs=1e-6)
    for name, param in model.named_parameters():
        stat = _param(report, name)
        assert stat.update_norm == pytest.approx(float(updates[name].norm()), rel=1e-5, abs=1e-9)
        grad = param.grad
        assert grad is not None and stat.grad_norm == pytest.approx(float(grad.norm()), rel=1e-5)
    assert (step.images.used, step.images.taken, step.images.batch) == (6, 12, 4)
    assert step.images.classes == (("cat", "dog") if labelled else ())
    assert step.images.conversions == (
        "alpha dropped (1 image)",
        "grayscale repeated to RGB (1 image)",
    )


def _param(report: ri.LayerReport, name: str) -> ParamStat:
    found = [p for leaf in report.leaves() for p in leaf.parameters if p.name == name]
    assert len(found) == 1, name
    return found[0]


def test_freeze_on_an_imagefolder_through_the_cli(folder: Path, run_cli: Run) -> None:
    args = ["freeze", "--new-classes", "2", "--images", str(folder), "--crop", str(CROP)]
    shown = run_cli([*args, "--steps", "2", "--depth", "stage"], width=120)
    assert shown.exit_code == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "F.cross_entropy(prediction, labels), labels = the images' ImageFolder classes" in text
    assert "6 found in" in text and "ImageFolder of 2 classes: cat = 0, dog = 1" in text
    assert "1 image files at its top not read" in text
    assert "6 a step, in order; 2 × 6 = 12 taken (6 different), wrapped around" in text
    assert "ResNet18_Weights.IMAGENET1K_V1's transforms() (the architecture's own; the " in text
    assert "with --crop: shorter side resized to 256 (bilinear), centre crop 40×40" in text
    document = json.loads(run_cli([*args, "--json"]).stdout)
    jsonschema.validate(document, ri.json_schema())
    assert ri.report_from_dict(document).step.images.classes == ("cat", "dog")
    images = document["step"]["images"]
    assert images["classes"] == ["cat", "dog"] and images["batch"] == 6
    assert document["input_shape"] == [6, 3, CROP, CROP]
    assert document["options"]["paths"] == str(folder)


def test_only_the_images_the_steps_take_are_read(tmp_path: Path, run_cli: Run) -> None:
    for index in range(3):
        _picture(tmp_path / f"{index}.png", index, (40, 40))
    (tmp_path / "3.png").write_bytes(b"\x89PNG broken")
    args = ["train-step", "--images", str(tmp_path), "--batch", "2", "--crop", "32"]
    assert run_cli(args).exit_code == 0  # images 0 and 1 only
    failed = run_cli([*args, "--steps", "2"])
    assert failed.exit_code == 1 and len(failed.stderr.splitlines()) == 1
    assert f"--images {tmp_path / '3.png'}:" in failed.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--images", "{root}/nowhere"], "no such file or folder"),
        (["--images", "{root}/empty"], "no image files (.jpg, .jpeg, .png, .ppm, …)"),
        (["--images", "{root}/one"], "an ImageFolder needs 2 classes or more"),
        (["--images", "{pets}", "--loss", "mse"], "an ImageFolder's labels are class indices"),
        (["--images", "{pets}", "--input", "2,3,32,32"], "set --batch and --crop instead"),
        (["--batch", "4"], "--batch prepares real images: give them with --images PATH"),
        (["--images", "{pets}", "--mean", "0.5"], "--mean and --std go together"),
        (["--images", "{pets}", "--crop", "0"], "--crop 0: expected a whole number"),
        (["--images", "{pets}", "--crop", "1,2,3"], "give a size, or HEIGHT,WIDTH"),
    ],
)
def test_usage_errors_are_one_line(
    folder: Path, tmp_path: Path, run_cli: Run, args: list[str], fragment: str
) -> None:
    (tmp_path / "empty").mkdir()
    _picture(tmp_path / "one" / "cat" / "a.png", 1, (20, 20))
    given = [a.format(root=tmp_path, pets=folder) for a in args]
    result = run_cli(["train-step", *given])
    assert result.exit_code == 2 and fragment in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_usage_errors_come_before_torch(folder: Path) -> None:
    for args in (["--images", "/no/such"], ["--images", str(folder), "--loss", "mse"]):
        code, lines = probed_run(["train-step", *args])
        assert code == 2 and len(lines) == 2 and lines[-1] == "torch-loaded=False", lines


def test_more_classes_than_the_head_is_one_line(folder: Path, run_cli: Run) -> None:
    result = run_cli(["freeze", "--new-classes", "1", "--images", str(folder), "--crop", "32"])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "2 classes, and the model's head has 1 outputs" in result.stderr


def test_graph_and_erf_take_images(folder: Path, run_cli: Run, tmp_path: Path) -> None:
    """graph: the shape and loss of the step on the images (nothing read); erf: a folder's
    images averaged over; a save may not replace one of them."""
    shown = run_cli(["graph", "--images", str(folder), "--batch", "2", "--json"])
    document = json.loads(shown.stdout)
    assert document["input_shape"] == [2, 3, 224, 224]
    assert document["loss_kind"] == "cross-entropy"
    assert "2 a step; ResNet18_Weights.IMAGENET1K_V1's transforms()" in document["input_from"]
    erf = run_cli(["erf", "--images", str(folder), "--crop", "32", "--resize", "32", "--json"])
    assert erf.exit_code == 0, erf.stderr
    assert json.loads(erf.stdout)["images"] == list(find_images([str(folder)]).files)
    target = folder / "cat" / "a.png"
    refused = run_cli(["erf", "--images", str(folder), "--save-text", str(target)])
    assert refused.exit_code == 1 and ", an input)" in refused.stderr


def test_16_bit_and_oversized_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 16-bit PNG is scaled to 8 bits and said; a decompression bomb is one refusal."""
    deep = tmp_path / "deep.png"
    Image.fromarray((torch.arange(0, 64 * 64) * 16).reshape(64, 64).numpy().astype("uint16")).save(
        deep
    )
    options = ImageOptions(paths=(str(deep),), crop=(32, 32), resize=32)
    with pytest.raises(ri.OptionError, match=r"--images \(input 1,3,32,32\): .* use --batch 2"):
        ri.train_step("resnet18", images=options)  # layer4's 1×1 map, one image
    report = ri.train_step("resnet18", images=replace(options, crop=(64, 64), resize=64))
    assert report.step is not None and report.step.images is not None
    assert report.step.images.conversions == (
        "16-bit scaled to 8 bits (1 image)",
        "grayscale repeated to RGB (1 image)",
    )
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4,096 pixels: a "bomb" here
    with pytest.raises(ri.InspectError, match="too many pixels to decode safely"):
        ri.predict(options)
