"""predict: the top classes = the softmax of a plain forward after the weights' own
transforms; names from --labels, a Hub config.json, torchvision's weights."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import torch
import torchvision
from PIL import Image
from typer.testing import Result

import resnet_inspect as ri
from conftest import probed_run

Run = Callable[..., Result]


def _picture(path: Path, seed: int, size: tuple[int, int], mode: str = "RGB") -> Path:
    generator = torch.Generator().manual_seed(seed)
    channels = 1 if mode == "L" else 3
    pixels = torch.randint(0, 256, (size[1], size[0], channels), generator=generator)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.to(torch.uint8).squeeze(-1).numpy(), mode=mode).save(path)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resnet18 with 7 classes, its weights seeded (nothing is downloaded)."""
    torch.manual_seed(3)
    path = tmp_path_factory.mktemp("weights") / "seven.pth"
    torch.save(torchvision.models.resnet18(num_classes=7).state_dict(), path)
    return path


def test_the_top_classes_are_the_softmax_of_a_plain_forward(
    checkpoint: Path, tmp_path: Path
) -> None:
    files = [
        _picture(tmp_path / "a.png", 1, (90, 70)),
        _picture(tmp_path / "b.png", 2, (60, 80), "L"),
    ]
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(7)) + "\n")
    report = ri.predict(tmp_path, "resnet18", top=3, labels=labels, weights=checkpoint)

    model = torchvision.models.resnet18(num_classes=7)
    model.load_state_dict(torch.load(checkpoint))
    model.eval()
    transforms = torchvision.models.ResNet18_Weights.DEFAULT.transforms()
    for path, found in zip(files, report.predictions, strict=True):
        with Image.open(path) as image, torch.no_grad():
            scores = model(transforms(image.convert("RGB")).unsqueeze(0))
        probabilities = torch.softmax(scores.double(), dim=1)[0]
        expected = torch.argsort(probabilities, descending=True)[:3].tolist()
        assert found.image == str(path)
        assert [p.index for p in found.top] == expected
        for prediction in found.top:
            assert prediction.probability == pytest.approx(float(probabilities[prediction.index]))
            assert prediction.name == f"thing {prediction.index}"
    assert report.names_from == f"--labels {labels}"
    assert report.conversions == ("grayscale repeated to RGB (1 image)",)
    assert report.input_shape == (1, 3, 224, 224)


def test_names_from_a_hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    timm = pytest.importorskip("timm")
    from test_safetensors import fake_hub

    torch.manual_seed(0)
    model = timm.create_model("resnet18", num_classes=3)
    config = {"architecture": "resnet18", "label_names": ["cat", "dog", "fox"]}
    fake_hub(tmp_path / "hub", "someone/pets", model.state_dict(), config)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    picture = _picture(tmp_path / "x.png", 4, (40, 40))
    options = ri.ImageOptions(paths=(str(picture),), resize=40, crop=(32, 32))
    report = ri.predict(options, weights="hf:someone/pets")
    assert report.names_from == "hf:someone/pets's config.json (label_names)"
    assert sorted(p.name for p in report.predictions[0].top) == ["cat", "dog", "fox"]
    assert sum(p.probability for p in report.predictions[0].top) == pytest.approx(1)


def test_the_view_and_json(checkpoint: Path, tmp_path: Path, run_cli: Run) -> None:
    picture = _picture(tmp_path / "cat" / "one.png", 5, (50, 50))
    _picture(tmp_path / "dog" / "two.png", 6, (50, 50))
    args = ["predict", str(tmp_path), "--weights", str(checkpoint), "--crop", "64"]
    shown = run_cli([*args, "--top", "2"], width=100)
    assert shown.exit_code == 0, shown.stderr
    assert "cat/one.png" in shown.stdout and "class " in shown.stdout
    assert f"2 in {tmp_path}" in " ".join(shown.stdout.split())
    del picture
    assert "none: the weights name no classes (--labels FILE names them)" in shown.stdout
    document = json.loads(run_cli([*args, "--json"]).stdout)
    jsonschema.validate(document, ri.json_schema())
    back = ri.report_from_dict(document)
    assert isinstance(back, ri.PredictReport) and back.predictions[1].folder_class == "dog"
    from resnet_inspect.views.predict import predict_short

    assert predict_short(back).startswith("PredictReport(predict resnet18 2 images: one.png")
    assert [p["folder_class"] for p in document["predictions"]] == ["cat", "dog"]
    assert len(document["predictions"][0]["top"]) == 5
    assert document["input_shape"] == [1, 3, 64, 64]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["/no/such.png"], "IMAGES /no/such.png: no such file or folder"),
        (["{png}", "--top", "0"], "--top 0: expected a whole number from 1 to 1000"),
        (["{png}", "--input", "1,3,32,32"], "No such option: --input"),
        (["{png}", "--labels", "/no/labels.txt"], "--labels /no/labels.txt: no such file"),
    ],
)
def test_usage_errors_are_one_line(
    tmp_path: Path, run_cli: Run, args: list[str], fragment: str
) -> None:
    png = _picture(tmp_path / "p.png", 1, (20, 20))
    result = run_cli(["predict", *[a.format(png=png) for a in args]])
    assert result.exit_code == 2 and fragment in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_image_is_refused_before_torch() -> None:
    code, lines = probed_run(["predict", "/no/such.png"])
    assert code == 2 and len(lines) == 2 and lines[-1] == "torch-loaded=False", lines


def test_labels_of_the_wrong_length_are_one_line(
    checkpoint: Path, tmp_path: Path, run_cli: Run
) -> None:
    png = _picture(tmp_path / "p.png", 1, (20, 20))
    (tmp_path / "three.txt").write_text("a\nb\nc\n")
    result = run_cli(
        ["predict", str(png), "--weights", str(checkpoint), "--labels", str(tmp_path / "three.txt")]
    )
    assert result.exit_code == 2 and "3 names for a model of 7 classes" in result.stderr
