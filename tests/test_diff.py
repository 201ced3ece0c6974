"""`diff`: two checkpoints after a fine-tune, against plain float64 computations."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import torch
import torchvision
from typer.testing import Result

import resnet_inspect
from resnet_inspect import diff, report_from_dict
from resnet_inspect.report import DiffState

Run = Callable[..., Result]
STEPS = 3


def fine_tuned(tmp_path: Path, *, bn_eval: bool) -> tuple[Path, Path]:
    """A seeded resnet18 saved, then the freeze recipe and a few real SGD steps in train mode,
    saved as DataParallel would (a module. prefix)."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    base = tmp_path / "base.pth"
    torch.save(model.state_dict(), base)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = torch.nn.Linear(512, 10)
    model.train()
    if bn_eval:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(STEPS):
        loss = model(torch.rand(2, 3, 64, 64)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    tuned = tmp_path / ("tuned-bn-eval.pth" if bn_eval else "tuned.pth")
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, tuned)
    return base, tuned


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return fine_tuned(tmp_path_factory.mktemp("diff"), bn_eval=False)


def test_a_frozen_fine_tune_keeps_the_backbone_and_moves_batchnorm(
    pair: tuple[Path, Path],
) -> None:
    report = diff(str(pair[0]), str(pair[1]))
    verdict = report.verdict
    assert verdict.backbone_tensors == verdict.backbone_identical == 60
    assert verdict.backbone_unchanged and verdict.stages_moved == ()
    assert verdict.head == "fc" and verdict.head_state == "replaced"
    assert (verdict.head_shape_a, verdict.head_shape_b) == ((1000, 512), (10, 512))
    assert verdict.batchnorm_layers == len(verdict.batchnorm_drifted) == 20
    assert verdict.batches_tracked_delta == STEPS
    counts = [d.count_delta for d in report.tensors if d.name.endswith("num_batches_tracked")]
    assert counts == [STEPS] * 20
    assert verdict.dtypes_a == verdict.dtypes_b == ("float32", "int64")


def test_with_batchnorm_in_eval_no_buffer_moves(tmp_path: Path) -> None:
    base, tuned = fine_tuned(tmp_path, bn_eval=True)
    verdict = diff(str(base), str(tuned)).verdict
    assert verdict.batchnorm_drifted == () and not verdict.batches_tracked_delta
    assert verdict.backbone_unchanged and verdict.head_state == "replaced"


def test_every_norm_equals_a_plain_float64_computation(pair: tuple[Path, Path]) -> None:
    a = torch.load(pair[0], weights_only=True)
    b = {k.removeprefix("module."): v for k, v in torch.load(pair[1], weights_only=True).items()}
    report = diff(str(pair[0]), str(pair[1]))
    compared = [d for d in report.tensors if d.state in (DiffState.IDENTICAL, DiffState.CHANGED)]
    assert len(compared) == 120  # 122 keys, fc's two reshaped
    for d in compared:
        delta = b[d.name].double() - a[d.name].double()
        assert d.delta_norm == pytest.approx(delta.norm().item(), rel=1e-12, abs=1e-12)
        assert d.base_norm == pytest.approx(a[d.name].double().norm().item(), rel=1e-12)
        assert d.max_abs == pytest.approx(delta.abs().max().item(), rel=1e-12, abs=1e-12)
        assert (d.state is DiffState.IDENTICAL) == torch.equal(a[d.name], b[d.name])
    stage = report.sections[1]  # layer1: its buffers moved, its parameters did not
    assert stage.relative == 0 and stage.buffers_changed == 12 and stage.identical == 12


def test_the_same_seed_is_identical_and_another_is_not() -> None:
    same = diff("init:0", "init:0", arch="resnet18")
    assert all(d.state is DiffState.IDENTICAL for d in same.tensors)
    other = diff("init:0", "init:1", arch="resnet18")
    drawn = [d for d in other.tensors if d.name.endswith("weight") and "bn" not in d.name]
    drawn = [d for d in drawn if "downsample.1" not in d.name]
    assert len(drawn) == 21  # 17 convs, 3 projection convs and fc: randomly initialised
    assert all(d.state is DiffState.CHANGED for d in drawn)
    assert other.verdict.head_state == "trained" and len(other.verdict.stages_moved) == 5


def test_a_half_precision_export_is_named(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    state = torch.load(pair[0], weights_only=True)
    half = tmp_path / "half.pth"
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, half)
    verdict = diff(str(pair[0]), str(half)).verdict
    assert verdict.dtypes_a == ("float32", "int64") and verdict.dtypes_b == ("float16", "int64")


def test_the_cli_json_is_the_report_and_follows_the_schema(
    run_cli: Run, pair: tuple[Path, Path]
) -> None:
    result = run_cli(["diff", str(pair[0]), str(pair[1]), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, resnet_inspect.json_schema())
    assert data["verdict"]["head_state"] == "replaced"
    assert report_from_dict(data) == diff(str(pair[0]), str(pair[1]))


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("depth", ["stage", "block", "layer"])
def test_the_view_says_the_verdict_at_every_depth(
    run_cli: Run, pair: tuple[Path, Path], width: int, depth: str
) -> None:
    result = run_cli(["diff", str(pair[0]), str(pair[1]), "--depth", depth], width=width)
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    for text in ("bit-identical: all 60", "fc replaced: 1000×512 → 10×512", "+3: B saw 3"):
        assert text in " ".join(result.stdout.split())


def test_different_architectures_compare_the_common_keys(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    other = tmp_path / "r34.pth"
    torch.save(torchvision.models.resnet34().state_dict(), other)
    result = run_cli(["diff", str(pair[0]), str(other)], width=200)
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert "B does not fit resnet18: only the common keys were compared" in said


@pytest.mark.parametrize(
    ("make", "code", "fragment"),
    [
        (
            lambda p: p.write_text("not a checkpoint"),
            1,
            "is not a readable PyTorch checkpoint (neither",
        ),
        (lambda p: p.write_bytes(b""), 1, "is empty"),
        (lambda p: p.mkdir(), 2, "is a directory"),
        (None, 2, "no such file"),
        (lambda p: torch.save({"features.0.weight": torch.zeros(3)}, p), 1, "not a ResNet"),
    ],
)
def test_bad_sides_are_one_line(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path], make: object, code: int, fragment: str
) -> None:
    path = tmp_path / "bad.pth"
    if callable(make):
        make(path)
    result = run_cli(["diff", str(path), str(pair[1])])
    assert result.exit_code == code, result.stderr
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


def test_a_truncated_checkpoint_is_one_line(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    cut = tmp_path / "cut.pth"
    cut.write_bytes(pair[0].read_bytes()[:1000])
    result = run_cli(["diff", str(pair[0]), str(cut)])
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1


class _Exploit:
    def __reduce__(self) -> tuple[object, ...]:
        return (open, ("/tmp/resnet-inspect-pwned", "w"))


def test_a_malicious_pickle_is_refused_and_runs_nothing(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps({"conv1.weight": _Exploit()}))
    Path("/tmp/resnet-inspect-pwned").unlink(missing_ok=True)
    result = run_cli(["diff", str(pair[0]), str(evil)])
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert not Path("/tmp/resnet-inspect-pwned").exists()


def test_no_key_in_common_is_one_line(run_cli: Run, tmp_path: Path) -> None:
    left, right = tmp_path / "l.pth", tmp_path / "r.pth"
    torch.save(torchvision.models.resnet18().state_dict(), left)
    torch.save({"something.else": torch.zeros(2)}, right)
    result = run_cli(["diff", str(left), str(right)])
    assert result.exit_code == 1 and "no key in common" in result.stderr


def test_init_needs_a_whole_number(run_cli: Run) -> None:
    result = run_cli(["diff", "init:abc", "init:0"])
    assert result.exit_code == 2 and "init:SEED takes a whole number" in result.stderr


# Verdicts that say only what is true (issue #28, items 10 and 11) ---------------------------


def _saved(tmp_path: Path, name: str, state: dict[str, torch.Tensor]) -> str:
    torch.save(state, tmp_path / name)
    return str(tmp_path / name)


def _recast(state: dict[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}


def _said(run_cli: Run, a: str, b: str) -> str:
    result = run_cli(["diff", a, b, "--depth", "stage"], width=200)
    assert result.exit_code == 0, result.stderr
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_a_copy_in_another_dtype_is_never_called_trained(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path], dtype: torch.dtype
) -> None:
    state = torch.load(pair[0], weights_only=True)
    copy = _saved(tmp_path, "copy.pth", _recast(state, dtype))
    report = diff(str(pair[0]), copy)
    verdict = report.verdict
    assert verdict.backbone_recast == verdict.backbone_tensors == 60
    assert verdict.stages_moved == () and verdict.batchnorm_drifted == ()
    assert verdict.head_state == "dtype only"
    # The rounding, as a plain computation has it: the largest |B - A| of any float tensor.
    rounding = max(
        float((v.to(dtype).double() - v.double()).abs().max())
        for v in state.values()
        if v.is_floating_point()
    )
    assert verdict.recast_max_abs == rounding
    assert (rounding == 0) is (dtype is torch.float64)
    said = _said(run_cli, str(pair[0]), copy)
    assert "only the dtype changed, values equal" in said
    assert "moved" not in said.replace("Buffers moved", "")
    assert " trained" not in said.replace("not trained", "")
    assert "not trained: all 60 parameter tensors outside the head differ only in dtype" in said


def test_a_checkpoint_of_only_a_new_head_does_not_move_the_backbone(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    head = _saved(
        tmp_path, "head.pth", {"fc.weight": torch.ones(10, 512), "fc.bias": torch.ones(10)}
    )
    verdict = diff(str(pair[0]), head).verdict
    assert verdict.backbone_missing == 60 and verdict.stages_moved == ()
    assert verdict.head_state == "replaced" and not verdict.b_fits and verdict.a_fits
    assert len(verdict.batchnorm_missing) == 20 and verdict.only_a == 120
    said = _said(run_cli, str(pair[0]), head)
    assert "nothing to compare: all 60 parameter tensors outside the head are on one side" in said
    assert "the running statistics of all 20 layers are on one side only" in said
    assert "B does not fit resnet18" in said and "unchanged" not in said


def test_missing_statistics_are_their_own_state(
    run_cli: Run, tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    state = torch.load(pair[0], weights_only=True)
    del state["layer1.0.bn1.running_var"]
    del state["fc.bias"]
    lacking = _saved(tmp_path, "lacking.pth", state)
    report = diff(str(pair[0]), lacking)
    verdict = report.verdict
    assert verdict.batchnorm_missing == ("layer1.0.bn1",) and verdict.batchnorm_drifted == ()
    assert verdict.head_state == "only in A" and verdict.backbone_unchanged
    layer1 = next(s for s in report.sections if s.name == "layer1")
    assert layer1.missing == 1 and layer1.identical == layer1.tensors - 1
    said = _said(run_cli, str(pair[0]), lacking)
    assert "running statistics of 19 of 20 layers unchanged; 1 of 20 layers'" in said
    assert "fc missing from B" in said


def test_a_model_that_fits_neither_file_is_one_line(run_cli: Run, pair: tuple[Path, Path]) -> None:
    result = run_cli(["diff", str(pair[0]), str(pair[0]), "--arch", "resnet50"])
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert "resnet50 fits neither A nor B (A: 165 missing" in result.stderr
