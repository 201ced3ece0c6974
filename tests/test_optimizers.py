"""--optimizer: Adam and AdamW steps against a plain script, and the state they keep."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torchvision
from typer.testing import Result

from resnet_inspect import freeze, train_step
from resnet_inspect.config import FreezeOptions, OptimizerKind, StepOptions
from resnet_inspect.errors import OptionError

Run = Callable[..., Result]
SHAPE = (2, 3, 64, 64)


def plain_step(kind: str, weight_decay: float = 0.0) -> tuple[float, dict[str, float], int]:
    """The tutorial's step with another optimizer, written out: loss, update norms, state."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    data, labels = torch.rand(SHAPE), torch.rand(SHAPE[0], 1000)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.train()
    loss = (model(data) - labels).sum()
    loss.backward()
    make = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    optimizer = make(model.parameters(), lr=0.01, weight_decay=weight_decay)
    optimizer.step()
    updates = {n: (p.detach() - before[n]).norm().item() for n, p in model.named_parameters()}
    state = sum(
        v.numel() * v.element_size()
        for s in optimizer.state.values()
        for v in s.values()
        if isinstance(v, torch.Tensor)
    )
    return loss.item(), updates, state


@pytest.mark.parametrize(("kind", "decay"), [("adam", 0.0), ("adamw", 0.01)])
def test_adam_and_adamw_equal_a_plain_script(kind: str, decay: float) -> None:
    step = StepOptions(optimizer=OptimizerKind(kind), weight_decay=decay)
    report = train_step(input_shape=SHAPE, step=step)
    loss, updates, state = plain_step(kind, decay)
    assert report.step is not None
    assert report.step.loss == pytest.approx(loss, rel=1e-6)
    assert report.step.optimizer == {"adam": "Adam", "adamw": "AdamW"}[kind]
    assert report.step.optimizer_state_bytes == state
    got = {p.name: p.update_norm for node in report.leaves() for p in node.parameters}
    for name, norm in updates.items():
        assert got[name] == pytest.approx(norm, rel=1e-5, abs=1e-7), name


def test_state_bytes_are_what_each_optimizer_keeps() -> None:
    params = sum(p.numel() for p in torchvision.models.resnet18().parameters()) * 4
    tensors = len(list(torchvision.models.resnet18().parameters()))
    sgd = train_step(input_shape=SHAPE).step
    plain = train_step(input_shape=SHAPE, step=StepOptions(momentum=0.0)).step
    adam = train_step(input_shape=SHAPE, step=StepOptions(optimizer=OptimizerKind.ADAM)).step
    assert sgd is not None and plain is not None and adam is not None
    assert sgd.optimizer_state_bytes == params  # one momentum buffer per parameter
    assert plain.optimizer_state_bytes == 0  # SGD without momentum keeps nothing
    assert adam.optimizer_state_bytes == 2 * params + 4 * tensors  # two moments, step counts
    tuned = freeze(
        input_shape=SHAPE,
        step=StepOptions(optimizer=OptimizerKind.ADAMW),
        options=FreezeOptions(new_classes=10),
    ).step
    assert tuned is not None
    assert tuned.optimizer_state_bytes == 2 * (512 * 10 + 10) * 4 + 4 * 2  # the head only


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--optimizer", "rmsprop"], "choose from sgd, adam, adamw"),
        (["--optimizer", "adam", "--momentum", "0.5"], "--momentum is SGD's"),
        (["--optimizer", "adamw", "--nesterov"], "--nesterov is SGD's"),
    ],
)
def test_optimizer_usage_errors(run_cli: Run, args: list[str], fragment: str) -> None:
    for command in (["train-step"], ["freeze", "--new-classes", "2"]):
        result = run_cli([*command, *args])
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


def test_the_header_shows_the_state_read_from_the_optimizer(run_cli: Run) -> None:
    result = run_cli(["train-step", "--optimizer", "adam", "--input", "2,3,64,64"], width=120)
    assert result.exit_code == 0
    model = torchvision.models.resnet18()
    state = 2 * 4 * sum(p.numel() for p in model.parameters()) + 4 * len(list(model.parameters()))
    shown = f"Optimizer state  {state / 2**20:.2f} MiB (read from optimizer.state after the step)"
    assert shown in result.stdout
    with pytest.raises(OptionError, match="--nesterov is SGD's"):
        StepOptions(optimizer=OptimizerKind.ADAM, nesterov=True)
