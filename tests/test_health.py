"""--steps N, each ReLU call's zeros, the health flags and the bars, against plain scripts.

Every flag has a test that makes it fire and one where it stays quiet.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from torch.overrides import TorchFunctionMode
from typer.testing import Result

import user_models
from resnet_inspect import freeze, train_step
from resnet_inspect.config import FreezeOptions, LossKind, StepOptions
from resnet_inspect.report import FlagKind, LayerReport

Run = Callable[..., Result]
SHAPE = (2, 3, 64, 64)


def plain_steps(
    steps: int, shape: tuple[int, ...] = SHAPE
) -> tuple[list[float], list[float], dict[str, float], dict[str, float]]:
    """The tutorial's step taken ``steps`` times on one seeded batch, written out: losses,
    global gradient norms, the last step's ‖Δθ‖ and ‖θN − θ0‖ per parameter."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    data, labels = torch.rand(shape), torch.rand(shape[0], 1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    first = {n: p.detach().clone() for n, p in model.named_parameters()}
    losses, norms = [], []
    before = first
    for _ in range(steps):
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        optimizer.zero_grad()
        loss = (model(data) - labels).sum()
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        optimizer.step()
        losses.append(loss.item())
    last = {n: (p.detach() - before[n]).norm().item() for n, p in model.named_parameters()}
    total = {n: (p.detach() - first[n]).norm().item() for n, p in model.named_parameters()}
    return losses, norms, last, total


def by_name(report: LayerReport) -> dict[str, tuple[float, float]]:
    return {
        p.name: (p.update_norm, p.total_update_norm)
        for node in report.leaves()
        for p in node.parameters
    }


def test_three_steps_equal_a_plain_script() -> None:
    report = train_step(input_shape=SHAPE, step=StepOptions(steps=3))
    losses, norms, last, total = plain_steps(3)
    assert report.step is not None and report.step.steps == 3
    assert report.step.losses == pytest.approx(losses, rel=1e-5)
    assert report.step.global_grad_norms == pytest.approx(norms, rel=1e-5)
    assert report.step.loss == pytest.approx(losses[-1], rel=1e-5)
    got = by_name(report)
    for name in last:
        assert got[name][0] == pytest.approx(last[name], rel=1e-4, abs=1e-6), name
        assert got[name][1] == pytest.approx(total[name], rel=1e-4, abs=1e-6), name
    # Momentum shows from the second step: the last update is not the first's size.
    assert report.step.losses[0] != report.step.losses[-1]


def test_one_step_total_is_its_own_update() -> None:
    report = train_step(input_shape=SHAPE)
    assert report.step is not None and report.step.steps == 1
    assert len(report.step.losses) == 1
    for update, total in by_name(report).values():
        assert total == update


def test_freeze_steps_keep_the_frozen_part_bit_identical() -> None:
    report = freeze(
        input_shape=SHAPE, options=FreezeOptions(new_classes=3), step=StepOptions(steps=2)
    )
    assert report.freeze is not None and report.freeze.holds
    assert report.step is not None and len(report.step.losses) == 2


def plain_zero_shares(
    shape: tuple[int, ...] = SHAPE, weights: Path | None = None
) -> list[tuple[str, float]]:
    """(ReLU module, share of exact zeros) for every call of the real forward: plain hooks."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    if weights is not None:
        model.load_state_dict(torch.load(weights, weights_only=True))
    data = torch.rand(shape)
    found: list[tuple[str, float]] = []
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.ReLU):
            module.register_forward_hook(
                lambda m, i, o, name=name: found.append((name, (o == 0).sum().item() / o.numel()))
            )
    model.train()
    model(data)
    return found


def test_relu_zero_shares_equal_a_plain_hook_count() -> None:
    report = train_step(input_shape=SHAPE)
    got = [(n.name, n.zero_fraction) for n in report.leaves() if n.zero_fraction is not None]
    expected = plain_zero_shares()
    assert [name for name, _ in got] == [name for name, _ in expected]
    for (_, share), (_, plain) in zip(got, expected, strict=True):
        assert share == pytest.approx(plain, abs=1e-9)
    assert all(n.zero_fraction is None for n in report.leaves() if n.kind != "ReLU")


def test_zero_counting_changes_nothing_the_step_computes() -> None:
    losses, norms, last, _ = plain_steps(1)  # a script with no hook at all
    report = train_step(input_shape=SHAPE)
    assert report.step is not None
    assert report.step.loss == pytest.approx(losses[0], rel=1e-6)
    assert report.step.global_grad_norm == pytest.approx(norms[0], rel=1e-6)
    got = by_name(report)
    assert all(
        got[name][0] == pytest.approx(norm, rel=1e-5, abs=1e-7) for name, norm in last.items()
    )


def kinds(report: LayerReport) -> set[FlagKind]:
    return {flag.kind for flag in report.flags}


def flag(report: LayerReport, kind: FlagKind) -> tuple[str, ...]:
    return next(f.layers for f in report.flags if f.kind is kind)


def test_a_large_learning_rate_rewrites_the_weights() -> None:
    loud = train_step(input_shape=SHAPE, step=StepOptions(lr=10.0))
    assert FlagKind.UPDATE_LARGE in kinds(loud)
    quiet = train_step(
        input_shape=SHAPE, step=StepOptions(lr=1e-4, loss=LossKind.CROSS_ENTROPY, momentum=0.0)
    )
    assert FlagKind.UPDATE_LARGE not in kinds(quiet)
    every = [n.step.relative_update for n in quiet.leaves() if n.step and n.step.relative_update]
    assert max(every) <= 1e-2


def test_a_tiny_learning_rate_barely_learns() -> None:
    loud = train_step(
        input_shape=SHAPE, step=StepOptions(lr=1e-9, loss=LossKind.CROSS_ENTROPY, momentum=0.0)
    )
    assert FlagKind.UPDATE_SMALL in kinds(loud)
    assert FlagKind.UPDATE_SMALL not in kinds(train_step(input_shape=SHAPE))


def nan_checkpoint(folder: Path) -> Path:
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    with torch.no_grad():
        model.layer2[0].conv1.weight[0, 0, 0, 0] = math.nan
    path = folder / "nan.pth"
    torch.save(model.state_dict(), path)
    return path


def test_a_nan_weight_flags_the_loss_and_the_first_gradient_in_backward_order(
    tmp_path: Path,
) -> None:
    report = train_step("resnet18", SHAPE, weights=str(nan_checkpoint(tmp_path)))
    assert {FlagKind.LOSS_NOT_FINITE, FlagKind.GRAD_NOT_FINITE} <= kinds(report)
    assert flag(report, FlagKind.GRAD_NOT_FINITE) == ("fc",)  # backward starts at the head
    # A NaN is not a zero: the shares still equal a plain count.
    shares = [n.zero_fraction for n in report.leaves() if n.zero_fraction is not None]
    plain = [share for _, share in plain_zero_shares(weights=nan_checkpoint(tmp_path))]
    assert shares == pytest.approx(plain, abs=1e-9)
    quiet = train_step(input_shape=SHAPE)
    assert not {FlagKind.LOSS_NOT_FINITE, FlagKind.GRAD_NOT_FINITE} & kinds(quiet)


def test_weight_decay_on_batchnorm_is_flagged() -> None:
    loud = train_step(input_shape=SHAPE, step=StepOptions(weight_decay=0.1))
    layers = flag(loud, FlagKind.DECAY_ON_BATCHNORM)
    assert "bn1" in layers and len(layers) == 20  # resnet18's BatchNorm layers
    assert FlagKind.DECAY_ON_BATCHNORM not in kinds(train_step(input_shape=SHAPE))
    frozen = freeze(
        input_shape=SHAPE, options=FreezeOptions(new_classes=3), step=StepOptions(weight_decay=0.1)
    )
    assert FlagKind.DECAY_ON_BATCHNORM not in kinds(frozen)  # no BatchNorm is trained


def test_batch_2_at_32x32_gives_batchnorm_noisy_statistics() -> None:
    loud = train_step(input_shape=(2, 3, 32, 32))
    layers = flag(loud, FlagKind.BATCHNORM_SMALL_BATCH)
    assert "layer4.0.bn1" in layers and "bn1" not in layers
    assert next(f.value for f in loud.flags if f.kind is FlagKind.BATCHNORM_SMALL_BATCH) == 2
    assert FlagKind.BATCHNORM_SMALL_BATCH not in kinds(train_step(input_shape=SHAPE))


def dead_checkpoint(folder: Path) -> Path:
    """bn1 scaled to 0 and shifted below 0: the stem's ReLU passes nothing."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    with torch.no_grad():
        model.bn1.weight.zero_()
        model.bn1.bias.fill_(-1.0)
    path = folder / "dead.pth"
    torch.save(model.state_dict(), path)
    return path


def test_an_input_that_kills_the_relus_is_flagged(tmp_path: Path) -> None:
    loud = train_step("resnet18", SHAPE, weights=str(dead_checkpoint(tmp_path)))
    assert flag(loud, FlagKind.DEAD_RELU)[0] == "relu"
    dead = next(f for f in loud.flags if f.kind is FlagKind.DEAD_RELU)
    by_call = {(n.name, n.call): n.zero_fraction for n in loud.leaves()}
    calls = dead.calls or (1,) * len(dead.layers)
    expected = [key for key, share in by_call.items() if share is not None and share > 0.9]
    assert list(zip(dead.layers, calls, strict=True)) == expected
    stem_relu = next(n for n in loud.leaves() if n.name == "relu")
    assert stem_relu.zero_fraction == 1.0
    assert FlagKind.DEAD_RELU not in kinds(train_step(input_shape=SHAPE))


def test_frozen_batchnorm_in_train_mode_points_at_bn_eval(run_cli: Run) -> None:
    loud = freeze(input_shape=SHAPE, options=FreezeOptions(new_classes=3))
    assert len(flag(loud, FlagKind.FROZEN_BATCHNORM_TRAINING)) == 20
    quiet = freeze(input_shape=SHAPE, options=FreezeOptions(new_classes=3, bn_eval=True))
    assert FlagKind.FROZEN_BATCHNORM_TRAINING not in kinds(quiet)
    shown = run_cli(["freeze", "--new-classes", "3", "--input", "2,3,64,64"])
    assert "--bn-eval" in shown.stdout.split("Name")[0]  # in the Flags block, above the table


def test_flags_are_in_the_json_and_a_quiet_step_says_none(run_cli: Run) -> None:
    loud = json.loads(run_cli(["train-step", "--input", "2,3,32,32", "--json"]).stdout)
    assert {f["kind"] for f in loud["flags"]} >= {"update_large", "batchnorm_small_batch"}
    quiet = run_cli(
        ["train-step", "--loss", "cross-entropy", "--lr", "0.0001", "--momentum", "0"], width=100
    )
    assert "Flags" in quiet.stdout and "none" in quiet.stdout


def test_bars_beside_grad_and_relative_update_from_100_columns(run_cli: Run) -> None:
    wide = run_cli(["train-step", "--input", "2,3,64,64", "--depth", "stage"], width=120)
    rows = [line for line in wide.stdout.splitlines() if line.startswith("Stage 1")]
    assert rows and rows[0].count("█") >= 2
    ascii_rows = run_cli(
        ["train-step", "--input", "2,3,64,64", "--depth", "stage", "--ascii"], width=120
    ).stdout
    line = next(row for row in ascii_rows.splitlines() if row.startswith("Stage 1"))
    assert "#" in line and "█" not in ascii_rows
    narrow = run_cli(["train-step", "--input", "2,3,64,64", "--depth", "stage"], width=80)
    assert "█" not in narrow.stdout and max(map(len, narrow.stdout.splitlines())) <= 80


def test_steps_show_a_sparkline_of_losses(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "steps.svg"
    shown = run_cli(["train-step", "--steps", "4", "--save-svg", str(target)], width=100)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert "4 on the same seeded batch" in next(row for row in lines if row.startswith("Steps"))
    losses = next(row for row in lines if row.startswith("Losses"))
    assert losses.count("→") == 3 and any(ch in losses for ch in "▁▂▃▄▅▆▇█")
    assert any(row.startswith("Grad norms") for row in lines)
    assert "Losses" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["0", "-1", "two", "10001"])
def test_bad_steps_are_usage_errors(run_cli: Run, value: str) -> None:
    result = run_cli(["train-step", "--steps", value])
    assert result.exit_code == 2
    assert "--steps" in result.stderr


class PlainReluCalls(TorchFunctionMode):
    """Every relu function's output share of zeros, in call order: no owners, no names."""

    def __init__(self) -> None:
        super().__init__()
        self.shares: list[float] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        if getattr(func, "__name__", "") in ("relu", "relu_"):
            self.shares.append((out == 0).sum().item() / out.numel())
        return out


def test_relu_functions_of_a_cifar_resnet_are_counted_too() -> None:
    shape = (2, 3, 32, 32)
    report = train_step(input_shape=shape, model=f"{user_models.__file__}:cifar_from_scratch")
    got = [n.zero_fraction for n in report.leaves() if n.zero_fraction is not None]
    assert len(got) == sum(1 for n in report.leaves() if n.kind in ("relu", "relu_")) == 17
    torch.manual_seed(0)
    model = user_models.cifar_from_scratch()
    data = torch.rand(shape)
    model.train()
    with PlainReluCalls() as plain:
        model(data)
    assert got == pytest.approx(plain.shares, abs=1e-9)
