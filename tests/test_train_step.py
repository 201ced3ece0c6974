"""train-step against the tutorial's own code, run as a plain script with the same seed."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
import torchvision
from typer.testing import Result

from resnet_inspect import train_step
from resnet_inspect.assemble.layers import aggregate_step
from resnet_inspect.config import LossKind, StepOptions
from resnet_inspect.report import LayerReport, Level, ParamStat

Run = Callable[..., Result]


@dataclass
class Plain:
    loss: float
    grad_norms: dict[str, float]
    update_norms: dict[str, float]
    global_norm: float
    buffers_changed: list[str]


def tutorial_step(arch: str, shape: tuple[int, int, int, int], seed: int = 0) -> Plain:
    """The autograd tutorial's step, line for line, with no tool code."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)()
    data = torch.rand(shape)
    labels = torch.rand(shape[0], 1000)
    params_before = {n: p.detach().clone() for n, p in model.named_parameters()}
    state_before = {n: t.clone() for n, t in model.state_dict().items()}

    prediction = model(data)
    loss = (prediction - labels).sum()
    loss.backward()
    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    optim.step()

    named = dict(model.named_parameters())
    return Plain(
        loss=loss.item(),
        grad_norms={n: p.grad.norm().item() for n, p in named.items()},
        update_norms={n: (p.detach() - params_before[n]).norm().item() for n, p in named.items()},
        global_norm=torch.nn.utils.clip_grad_norm_(model.parameters(), math.inf).item(),
        buffers_changed=[
            n
            for n, t in model.state_dict().items()
            if n not in named and not torch.equal(t, state_before[n])
        ],
    )


def _params(report: LayerReport) -> dict[str, ParamStat]:
    return {p.name: p for node in report.leaves() for p in node.parameters}


@pytest.fixture(scope="module", params=["resnet18", "resnet50"])
def both(request: pytest.FixtureRequest) -> tuple[LayerReport, Plain]:
    shape = (2, 3, 64, 64)
    return train_step(request.param, shape, seed=0), tutorial_step(request.param, shape, seed=0)


def test_loss_and_every_gradient_norm_equal_the_plain_script(
    both: tuple[LayerReport, Plain],
) -> None:
    report, plain = both
    assert report.step is not None
    assert report.step.loss == pytest.approx(plain.loss, rel=1e-6)
    params = _params(report)
    assert set(params) == set(plain.grad_norms)
    for name, stat in params.items():
        assert stat.grad_norm == pytest.approx(plain.grad_norms[name], rel=1e-6), name


def test_update_sizes_equal_the_parameter_change(both: tuple[LayerReport, Plain]) -> None:
    report, plain = both
    for name, stat in _params(report).items():
        assert stat.update_norm == pytest.approx(plain.update_norms[name], rel=1e-6, abs=1e-9)
        assert stat.changed
        if stat.param_norm:
            assert stat.relative_update == pytest.approx(stat.update_norm / stat.param_norm)


def test_global_norm_is_what_clip_grad_norm_returns(both: tuple[LayerReport, Plain]) -> None:
    report, plain = both
    assert report.step is not None
    assert report.step.global_grad_norm == pytest.approx(plain.global_norm, rel=1e-6)


def test_changed_batchnorm_buffers_match_a_state_dict_comparison(
    both: tuple[LayerReport, Plain],
) -> None:
    report, plain = both
    assert report.step is not None
    assert list(report.step.buffers_changed) == plain.buffers_changed
    norms = [n for n in report.leaves() if n.kind == "BatchNorm2d"]
    assert report.step.buffers_total == 3 * len(norms)  # mean, var, num_batches_tracked


def test_groups_combine_their_parameters_norms(both: tuple[LayerReport, Plain]) -> None:
    report, _ = both
    for node in report.nodes():
        if node.level is Level.LAYER or node.step is None:
            continue
        leaves = [p for leaf in node.walk() for p in leaf.parameters]
        expected = math.sqrt(sum(p.grad_norm**2 for p in leaves if p.grad_norm is not None))
        assert node.step.grad_norm == pytest.approx(expected, rel=1e-9)
        assert node.step.tensors == len(leaves)


def test_no_gradient_is_not_a_zero_gradient() -> None:
    base = {"shape": (3,), "numel": 3, "update_norm": 0.0, "param_norm": 1.0}
    missing = ParamStat("a", trainable=False, grad_norm=None, relative_update=0.0,
                        changed=False, **base)  # fmt: skip
    zero = ParamStat("b", trainable=True, grad_norm=0.0, relative_update=0.0,
                     changed=False, **base)  # fmt: skip
    only_missing = aggregate_step([missing])
    assert only_missing is not None and only_missing.grad_norm is None
    with_zero = aggregate_step([missing, zero])
    assert with_zero is not None and with_zero.grad_norm == 0.0
    assert with_zero.tensors_with_grad == 1


@pytest.mark.parametrize("loss", [LossKind.CROSS_ENTROPY, LossKind.MSE])
def test_other_losses_match_their_plain_computation(loss: LossKind) -> None:
    report = train_step("resnet18", (2, 3, 64, 64), seed=3, step=StepOptions(loss=loss))
    torch.manual_seed(3)
    model = torchvision.models.resnet18()
    data = torch.rand(2, 3, 64, 64)
    if loss is LossKind.CROSS_ENTROPY:
        expected = torch.nn.functional.cross_entropy(model(data), torch.randint(0, 1000, (2,)))
    else:
        expected = torch.nn.functional.mse_loss(model(data), torch.rand(2, 1000))
    assert report.step is not None
    assert report.step.loss == pytest.approx(expected.item(), rel=1e-6)
    assert report.step.loss_kind == loss.value


def test_optimizer_settings_are_those_of_the_param_group() -> None:
    options = StepOptions(lr=0.1, momentum=0.5, weight_decay=1e-4, nesterov=True)
    report = train_step("resnet18", (2, 3, 64, 64), step=options)
    assert report.step is not None
    settings = {s.name: s.value for s in report.step.optimizer_settings}
    assert settings["lr"] == 0.1
    assert settings["momentum"] == 0.5
    assert settings["weight_decay"] == 1e-4
    assert settings["nesterov"] is True
    assert "dampening" in settings


def test_same_seed_gives_byte_identical_json(run_cli: Run) -> None:
    # Over several steps (the per-step losses too), as one test: once is enough to prove it.
    args = ["train-step", "--json", "--input", "2,3,32,32", "--steps", "3"]
    first, second = run_cli(args), run_cli(args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert data["command"] == "train-step"
    assert data["step"]["steps"] == 3 and len(data["step"]["losses"]) == 3
    assert data["step"]["forward_s"] is None  # times only with --timings
    other_seed = run_cli([*args, "--seed", "1"])
    assert json.loads(other_seed.stdout)["step"]["loss"] != data["step"]["loss"]
    with_timings = json.loads(run_cli([*args, "--timings"]).stdout)
    assert with_timings["step"]["backward_s"] > 0


def test_train_step_view_at_80_columns(run_cli: Run) -> None:
    result = run_cli(["train-step"], width=80)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    expected = ["Loss", "SGD(lr=0.01, momentum=0.9", "forward", "backward", "‖grad‖"]
    expected += ["‖Δθ‖/‖θ‖", "Global grad norm", "60 of 60 changed", "· weight", "n/a"]
    for text in expected:
        assert text in out, text
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--lr", "0"], "greater than 0"),
        (["--lr", "-0.1"], "greater than 0"),
        (["--lr", "fast"], "not a number"),
        (["--momentum", "1"], "[0, 1)"),
        (["--momentum", "-0.5"], "[0, 1)"),
        (["--weight-decay", "-1"], "0 or more"),
        (["--loss", "hinge"], "sum, cross-entropy, mse"),
        (["--nesterov", "--momentum", "0"], "--nesterov needs a momentum"),
        (["--input", "1,3,64"], "B,C,H,W"),
        (["--arch", "resnet19"], "did you mean resnet18"),
    ],
)
def test_bad_step_options_are_usage_errors(run_cli: Run, args: list[str], fragment: str) -> None:
    result = run_cli(["train-step", *args])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_an_input_train_mode_batchnorm_cannot_take_is_refused_naming_the_layer(
    run_cli: Run,
) -> None:
    result = run_cli(["train-step", "--input", "1,3,32,32"])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "layer4.0.bn1" in result.stderr
    assert "batch of 2 or more" in result.stderr


def test_a_step_too_big_for_memory_is_refused_before_allocating(run_cli: Run) -> None:
    result = run_cli(["train-step", "--arch", "resnet152", "--input", "256,3,512,512"])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "not enough memory" in line and "GiB" in line and "available" in line
    assert len(result.stderr.splitlines()) == 1
