"""--weights: local checkpoints and torchvision's pretrained weights, with no network at all."""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision
from typer.testing import Result

from resnet_inspect import inspect_tree, train_step
from resnet_inspect.anatomy import ARCHITECTURES, PRETRAINED

Run = Callable[..., Result]


def seeded_state(arch: str = "resnet18", seed: int = 7, classes: int = 1000) -> dict[str, Any]:
    torch.manual_seed(seed)
    return getattr(torchvision.models, arch)(num_classes=classes).state_dict()


def plain_loss(state: dict[str, Any], classes: int = 1000, seed: int = 0) -> float:
    """The tutorial's step on a model holding ``state``, built as torchvision builds one."""
    torch.manual_seed(seed)
    model = torchvision.models.resnet18(num_classes=classes)
    model.load_state_dict(state)
    data = torch.rand(2, 3, 64, 64)
    labels = torch.rand(2, classes)
    return float((model(data) - labels).sum().item())


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "w.pth"
    torch.save(seeded_state(), path)
    return path


def test_a_saved_state_dict_gives_that_models_loss(saved: Path) -> None:
    report = train_step("resnet18", (2, 3, 64, 64), weights=str(saved))
    assert report.step is not None
    assert report.step.loss == pytest.approx(plain_loss(torch.load(saved)), rel=1e-6)
    assert report.weights.kind == "file"
    assert report.weights.path == str(saved)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: {f"module.{k}": v for k, v in s.items()},
        lambda s: {"state_dict": s, "epoch": 3},
        lambda s: {"model": s, "optimizer": {}},
    ],
    ids=["module-prefix", "state_dict-key", "model-key"],
)
def test_common_checkpoint_layouts_load(tmp_path: Path, saved: Path, wrap: Any) -> None:
    state = torch.load(saved)
    path = tmp_path / "wrapped.pt"
    torch.save(wrap(state), path)
    report = train_step("resnet18", (2, 3, 64, 64), weights=str(path))
    assert report.step is not None
    assert report.step.loss == pytest.approx(plain_loss(state), rel=1e-6)


def test_a_ten_class_checkpoint_is_inspected_as_ten_classes(tmp_path: Path, run_cli: Run) -> None:
    path = tmp_path / "finetuned.pth"
    torch.save(seeded_state(classes=10), path)
    report = inspect_tree("resnet18", (1, 3, 64, 64), weights=str(path))
    assert report.num_classes == 10
    assert report.sections[-1].output_shape == (1, 10)
    assert report.totals.params == 11_181_642
    result = run_cli(["train-step", "--weights", str(path), "--input", "2,3,64,64", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["num_classes"] == 10
    assert data["step"]["target"] == "torch.rand(2, 10)"
    assert data["step"]["loss"] == pytest.approx(plain_loss(torch.load(path), classes=10), 1e-6)


class CreatesAFile:
    """Unpickling this would call open(marker, "w"): what a malicious checkpoint does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(
    tmp_path: Path, run_cli: Run
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"fc.weight": CreatesAFile(marker)}, path)
    result = run_cli(["tree", "--weights", str(path)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "refused" in result.stderr and "weights_only=True" in result.stderr
    assert not marker.exists()


def test_a_resnet50_checkpoint_for_resnet18_names_keys_and_the_likely_arch(
    tmp_path: Path, run_cli: Run
) -> None:
    path = tmp_path / "r50.pth"
    torch.save(seeded_state("resnet50"), path)
    result = run_cli(["train-step", "--arch", "resnet18", "--weights", str(path)])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert len(result.stderr.splitlines()) == 1
    assert "does not fit resnet18" in line
    assert "unexpected (" in line and "conv3.weight" in line
    assert "another shape (" in line
    assert "looks like a resnet50 checkpoint (--arch resnet50)" in line
    # Without --arch the checkpoint says what it is.
    inferred = run_cli(["tree", "--weights", str(path), "--json"])
    assert inferred.exit_code == 0, inferred.stderr
    assert json.loads(inferred.stdout)["arch"] == "resnet50"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"these are not weights\n", "not a readable PyTorch checkpoint"),
        ("truncated", "not a readable PyTorch checkpoint"),
        ("tensor", "does not hold a state_dict"),
        ("no-head", "is not a ResNet checkpoint: expected conv1.weight and layer1.0."),
    ],
)
def test_files_that_are_not_checkpoints_exit_1_with_one_line(
    tmp_path: Path, saved: Path, run_cli: Run, content: Any, fragment: str
) -> None:
    path = tmp_path / "bad.pth"
    if content == "truncated":
        whole = saved.read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif content == "tensor":
        torch.save(torch.zeros(3), path)
    elif content == "no-head":
        torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, path)
    else:
        path.write_bytes(content)
    before = sorted(tmp_path.iterdir())
    result = run_cli(["tree", "--weights", str(path)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("missing.pth", "no such file"),
        ("IMAGENET1K_V2", "choose none, DEFAULT, IMAGENET1K_V1"),
        ("ResNet50_Weights.IMAGENET1K_V2", "weights of resnet50, not of resnet18"),
        ("SuperNet_Weights.X", "unknown weights enum"),
    ],
)
def test_bad_weights_values_are_usage_errors(run_cli: Run, value: str, fragment: str) -> None:
    result = run_cli(["tree", "--weights", value])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert fragment in result.stderr


def test_a_directory_is_not_a_checkpoint(tmp_path: Path, run_cli: Run) -> None:
    result = run_cli(["tree", "--weights", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_pretrained_table_matches_torchvision() -> None:
    for arch in ARCHITECTURES:
        enum = torchvision.models.get_model_weights(arch)
        enum_name, names, default = PRETRAINED[arch]
        assert enum.__name__ == enum_name
        assert tuple(w.name for w in enum) == names
        assert enum.DEFAULT.name == default


def test_tree_shows_pretrained_metadata_without_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def no_download(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("tree must not download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    result = run_cli(["tree", "--weights", "default"], width=120)
    assert result.exit_code == 0, result.stderr
    expected = "ResNet18_Weights.IMAGENET1K_V1 (ImageNet-1K top-1 69.758%, top-5 89.078%, "
    assert expected + "1000 categories)" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_says_where_to_put_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(url: str, dst: str, *args: Any, **kwargs: Any) -> None:
        raise urllib.error.URLError("simulated: no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    result = run_cli(["train-step", "--weights", "IMAGENET1K_V1"])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert len(result.stderr.splitlines()) == 1
    cache = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in line
    assert str(cache) in line
    assert "TORCH_HOME" in line and "simulated: no network" in line


def test_a_file_at_the_cache_path_is_used_without_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    state = seeded_state(seed=11)
    torch.save(state, cache / "resnet18-f37072fd.pth")

    def no_download(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the cached file should have been used")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    report = train_step("resnet18", (2, 3, 64, 64), weights="DEFAULT")
    assert report.step is not None
    assert report.step.loss == pytest.approx(plain_loss(state), rel=1e-6)
    assert report.weights.name == "ResNet18_Weights.IMAGENET1K_V1"
    assert report.weights.top1 == pytest.approx(69.758)


def test_freeze_loads_a_checkpoint_before_replacing_its_head(tmp_path: Path) -> None:
    """A 10-class fine-tuned file, frozen again with a new 3-class head, as a user would."""
    from resnet_inspect import freeze
    from resnet_inspect.config import FreezeOptions

    path = tmp_path / "ten.pth"
    state = seeded_state(classes=10)
    torch.save(state, path)
    report = freeze("resnet18", (2, 3, 64, 64), options=FreezeOptions(new_classes=3),
                    weights=str(path))  # fmt: skip
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    model.load_state_dict(state)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = torch.nn.Linear(512, 3)
    loss = (model(torch.rand(2, 3, 64, 64)) - torch.rand(2, 3)).sum()
    assert report.step is not None and report.freeze is not None
    assert report.step.loss == pytest.approx(loss.item(), rel=1e-6)
    assert report.weights.num_classes == 10 and report.num_classes == 3
    assert report.totals.trainable_params == 512 * 3 + 3
    assert report.freeze.holds
