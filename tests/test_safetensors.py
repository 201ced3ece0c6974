"""safetensors checkpoints, the Hugging Face cache (a fake one, in huggingface_hub's layout,
built here: nothing is downloaded) and a conv classifier under freeze."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import save_file
from typer.testing import Result

import user_models
from resnet_inspect import FreezeOptions, diff, freeze, inspect_tree, train_step

timm = pytest.importorskip("timm")
Run = Callable[..., Result]
SHAPE = (2, 3, 64, 64)


@pytest.fixture(scope="module")
def resnet18_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same seeded resnet18 weights as .pth and as .safetensors (with metadata)."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(3)
    state = torchvision.models.resnet18().state_dict()
    torch.save(state, folder / "r18.pth")
    save_file(state, folder / "r18.safetensors", metadata={"format": "pt", "epoch": "7"})
    return folder / "r18.pth", folder / "r18.safetensors"


def test_a_safetensors_file_is_inferred_and_read_like_the_pth(
    resnet18_files: tuple[Path, Path],
) -> None:
    pth, safetensors = resnet18_files
    tree = inspect_tree(weights=str(safetensors))
    assert tree.arch == "resnet18" and tree.model.kind == "inferred"
    assert {s.name: s.value for s in tree.weights.metadata} == {"epoch": "7", "format": "pt"}
    stepped = [train_step(input_shape=SHAPE, weights=str(path)) for path in (pth, safetensors)]
    assert stepped[0].step is not None and stepped[1].step is not None
    assert stepped[0].step.loss == stepped[1].step.loss
    assert stepped[0].step.global_grad_norm == stepped[1].step.global_grad_norm


def test_diff_of_the_same_weights_in_both_formats_is_identical(
    resnet18_files: tuple[Path, Path],
) -> None:
    report = diff(str(resnet18_files[0]), str(resnet18_files[1]))
    verdict = report.verdict
    assert verdict.backbone_identical == verdict.backbone_tensors > 0
    assert all(t.state.value == "identical" for t in report.tensors)


def test_timm_and_user_layouts_read_from_safetensors(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = timm.create_model("resnet18", num_classes=5)
    path = tmp_path / "timm.safetensors"
    save_file(model.state_dict(), path)
    report = inspect_tree("timm:resnet18", (1, 3, 64, 64), str(path))
    assert report.num_classes == 5  # the checkpoint's head, built in
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    user = tmp_path / "tiny.safetensors"
    save_file(user_models.tiny_resnet().state_dict(), user)
    mine = inspect_tree(input_shape=(1, 3, 64, 64), model=f"{user_models.__file__}:tiny_resnet",
                        weights=str(user))  # fmt: skip
    assert mine.weights.kind == "file" and mine.weights.name == "tiny.safetensors"


def test_a_truncated_safetensors_file_is_one_line(
    resnet18_files: tuple[Path, Path], tmp_path: Path, run_cli: Run
) -> None:
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(resnet18_files[1].read_bytes()[:4000])
    result = run_cli(["tree", "--weights", str(cut)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "not a readable safetensors file" in result.stderr


def fake_hub(
    root: Path, repo: str, state: dict[str, torch.Tensor], config: dict[str, object]
) -> None:
    """A repository in huggingface_hub's cache layout: refs/main names a snapshot folder."""
    folder = root / f"models--{repo.replace('/', '--')}"
    snapshot = folder / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("0123abcd")
    save_file(state, snapshot / "model.safetensors")
    (snapshot / "config.json").write_text(json.dumps(config))


def test_the_hub_cache_is_read_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    torch.manual_seed(0)
    model = timm.create_model("resnet18", num_classes=3)
    fake_hub(tmp_path, "timm/resnet18.tiny", model.state_dict(), {"architecture": "resnet18"})
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = run_cli(
        ["tree", "--weights", "hf:timm/resnet18.tiny", "--input", "1,3,64,64", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["arch"] == "timm:resnet18" and data["num_classes"] == 3
    assert data["weights"]["kind"] == "hub" and data["weights"]["name"] == "hf:timm/resnet18.tiny"
    missing = run_cli(["tree", "--weights", "hf:timm/resnet50.a1_in1k"])
    assert missing.exit_code == 1
    assert "not in the local Hugging Face cache" in missing.stderr
    assert "hf download timm/resnet50.a1_in1k" in missing.stderr
    assert run_cli(["tree", "--weights", "hf:no-slash"]).exit_code == 2


def test_freeze_replaces_a_conv_classifier_with_one_of_n_outputs() -> None:
    report = freeze("timm:resnetv2_50x1_bit", SHAPE, options=FreezeOptions(new_classes=7))
    assert report.freeze is not None and report.freeze.head == "head.fc"
    assert report.freeze.head_kind == "Conv2d" and report.freeze.head_in_features == 2048
    assert report.totals.trainable_params == 2048 * 7 + 7  # the new 1×1 conv alone
    assert report.freeze.holds  # frozen tensors kept every bit, the new head moved


def test_diff_sees_a_change_in_a_norm_with_an_activation_inside(tmp_path: Path) -> None:
    # skresnet18's BatchNormAct2d: a BatchNorm with children, once missing from every row.
    torch.manual_seed(0)
    state = timm.create_model("skresnet18").state_dict()
    changed = {k: v.clone() for k, v in state.items()}
    changed["layer2.0.conv1.paths.0.bn.weight"] += 0.5
    save_file(state, tmp_path / "a.safetensors")
    save_file(changed, tmp_path / "b.safetensors")
    report = diff(str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"),
                  arch="timm:skresnet18")  # fmt: skip
    assert report.verdict.backbone_tensors - report.verdict.backbone_identical == 1
    moved = {s.name for s in report.sections if s.identical < s.tensors}
    assert moved == {"layer2"}
