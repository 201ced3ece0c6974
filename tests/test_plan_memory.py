"""plan's memory, checked against independent counts: where it goes (--breakdown), what
activation checkpointing saves and costs (--checkpoint), the real steps of --verify, and
train-step/freeze --checkpoint against the same step without it."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.checkpoint import checkpoint
from torch.utils.flop_counter import FlopCounterMode

from conftest import probed_run
from resnet_inspect import FreezeOptions, StepOptions, plan, train_step
from resnet_inspect.api import freeze
from resnet_inspect.capture.recompute import checkpointed
from resnet_inspect.errors import InspectError, OptionError

SHAPE = (2, 3, 64, 64)
STAGES = ("layer1", "layer2", "layer3", "layer4")
USER_MODELS = Path(__file__).parent / "user_models.py"


@pytest.fixture(scope="module")
def checkpointed_plan() -> Any:
    return plan("resnet18", SHAPE, new_classes=10, checkpoint=True)


def _head_model() -> torch.nn.Module:
    """resnet18 with a new 10-class head, every parameter trainable (the everything row)."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    model.fc = torch.nn.Linear(512, 10)
    return model.train()


# --- where the memory goes --------------------------------------------------------------


def test_the_breakdown_adds_up_to_its_row(checkpointed_plan: Any) -> None:
    report = checkpointed_plan
    breakdown = report.breakdown
    row = next(r for r in report.rows if r.name == "everything" and not r.checkpointed)
    assert breakdown.row == "everything"
    sections = breakdown.sections
    assert [s.name for s in sections] == ["stem", *STAGES, "head"]
    assert sum(s.saved_bytes for s in sections) == row.saved_bytes
    assert sum(s.gradient_bytes for s in sections) == row.gradient_bytes
    assert sum(s.optimizer_state_bytes for s in sections) == row.optimizer_state_bytes
    # Each stage is the sum of its blocks; each block's gradients are its parameters'.
    model = _head_model()
    for stage in STAGES:
        blocks = [b for b in breakdown.blocks if b.name.startswith(f"{stage}.")]
        section = next(s for s in sections if s.name == stage)
        assert sum(b.saved_bytes for b in blocks) == section.saved_bytes
        for block in blocks:
            params = model.get_submodule(block.name).parameters()
            assert block.gradient_bytes == sum(p.numel() * 4 for p in params)
    assert breakdown.peak_bytes == row.live_peak_bytes
    assert "Where the memory" not in str(report)  # JSON has it; the view waits for --breakdown


def test_the_layers_that_keep_the_most_are_what_autograd_keeps(checkpointed_plan: Any) -> None:
    """The five layers' saved bytes = a plain saved_tensors_hooks pass on the CPU that puts
    each new storage on the module whose forward hook is open."""
    report = checkpointed_plan  # the breakdown is of the everything row, not checkpointed
    model = _head_model()
    resident = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    running: list[str] = []
    kept: dict[str, int] = {}
    seen: set[int] = set()

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        pointer = tensor.untyped_storage().data_ptr()
        if pointer not in resident and pointer not in seen:
            seen.add(pointer)
            owner = running[-1] if running else ""
            kept[owner] = kept.get(owner, 0) + tensor.untyped_storage().nbytes()
        return tensor

    handles = []
    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_pre_hook(lambda m, i, n=name: running.append(n)))
            handles.append(module.register_forward_hook(lambda m, i, o: running.pop() and None))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(torch.rand(SHAPE))
    for handle in handles:
        handle.remove()
    top = sorted(kept.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(layer.name, layer.saved_bytes) for layer in report.breakdown.layers] == top
    biggest = report.breakdown.layers[0]
    assert sum(t.bytes for t in biggest.tensors) == biggest.saved_bytes


class _LivePeak(TorchDispatchMode):
    """Live bytes of new storages on real CPU tensors, and the backward node that ran as
    they peaked (autograd's own ``_current_autograd_node``)."""

    def __init__(self, resident: set[int]) -> None:
        super().__init__()
        self.resident = resident
        self.live: dict[int, int] = {}
        self.total = self.peak = 0
        self.node = ""

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for item in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(item, torch.Tensor):
                storage = item.untyped_storage()
                key = storage.data_ptr()
                if key and key not in self.resident and key not in self.live:
                    self.live[key] = storage.nbytes()
                    self.total += storage.nbytes()
                    import weakref

                    weakref.finalize(storage, self._free, key)
        if self.total > self.peak:
            self.peak = self.total
            node = torch._C._current_autograd_node()
            self.node = type(node).__name__ if node is not None else "forward"
        return out

    def _free(self, key: int) -> None:
        self.total -= self.live.pop(key, 0)


def test_the_peak_falls_where_a_real_step_peaks(checkpointed_plan: Any) -> None:
    report = checkpointed_plan
    model = _head_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(2):  # the plan's step is a second step: the momentum exists
        optimizer.zero_grad()
        (model(torch.rand(SHAPE)) - torch.rand(2, 10)).sum().backward()
        optimizer.step()
    optimizer.zero_grad()
    resident = {
        t.untyped_storage().data_ptr()
        for t in (
            *model.parameters(),
            *model.buffers(),
            *(v for s in optimizer.state.values() for v in s.values()),
        )
    }
    with _LivePeak(resident) as watch:  # the batch and labels live through the step
        data, labels = torch.rand(SHAPE), torch.rand(2, 10)
        (model(data) - labels).sum().backward()
        optimizer.step()
    breakdown = report.breakdown
    assert breakdown.peak_bytes == watch.peak
    assert breakdown.peak_phase == "backward"
    kind = type(model.get_submodule(breakdown.peak_module)).__name__
    expected = {"Conv2d": "ConvolutionBackward0", "BatchNorm2d": "NativeBatchNormBackward0"}
    assert expected.get(kind, kind) == watch.node


# --- activation checkpointing -----------------------------------------------------------


def _checkpoint_stages(model: torch.nn.Module, stages: tuple[str, ...]) -> None:
    """The plain way: each stage's forward through torch.utils.checkpoint."""
    for name in stages:
        module = model.get_submodule(name)
        module.forward = functools.partial(checkpoint, module.forward, use_reentrant=False)


def _keep_new(resident: set[int], saved: dict[int, int], tensor: torch.Tensor) -> torch.Tensor:
    """A pack hook: each storage autograd keeps, once, unless it was there before."""
    pointer = tensor.untyped_storage().data_ptr()
    if pointer not in resident:
        saved[pointer] = tensor.untyped_storage().nbytes()
    return tensor


def test_checkpointed_rows_keep_and_count_what_a_real_checkpointed_step_does(
    checkpointed_plan: Any,
) -> None:
    rows = {(r.name, r.checkpointed): r for r in checkpointed_plan.rows}
    plain = rows["everything", ()]
    assert [r.checkpointed for r in checkpointed_plan.rows if r.checkpointed] == [
        *((stage,) for stage in STAGES),
        STAGES,
    ]
    for stages in (("layer2",), STAGES):
        row = rows["everything", stages]
        model = _head_model()
        _checkpoint_stages(model, stages)
        resident = {p.untyped_storage().data_ptr() for p in (*model.parameters(), *model.buffers())}
        saved: dict[int, int] = {}
        pack = functools.partial(_keep_new, resident, saved)
        forward, backward = FlopCounterMode(display=False), FlopCounterMode(display=False)
        with forward, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loss = (model(torch.rand(SHAPE)) - torch.rand(2, 10)).sum()
        with backward:
            loss.backward()
        assert row.saved_bytes == sum(saved.values())
        assert row.forward_flops == forward.get_total_flops()
        assert row.backward_flops == backward.get_total_flops()
        assert row.recompute_flops == row.backward_flops - plain.backward_flops > 0
        assert row.saved_bytes < plain.saved_bytes


def test_a_checkpointed_step_equals_the_step_without_it() -> None:
    """Loss, every gradient, every update and every buffer (BatchNorm's running statistics
    updated once) bit for bit, over two SGD steps."""
    results = []
    for stages in ((), ("layer3", "layer4")):
        model = _head_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        torch.manual_seed(1)
        data, labels = torch.rand(SHAPE), torch.rand(2, 10)
        with checkpointed(model, stages):
            for _ in range(2):
                optimizer.zero_grad()
                loss = (model(data) - labels).sum()
                loss.backward()
                optimizer.step()
        assert "forward" not in model.layer3.__dict__  # the wrapper is gone afterwards
        grads = [p.grad.clone() for p in model.parameters()]
        results.append((loss.detach(), grads, list(model.parameters()), list(model.buffers())))
    (loss_a, grads_a, params_a, buffers_a), (loss_b, grads_b, params_b, buffers_b) = results
    assert torch.equal(loss_a, loss_b)
    assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(buffers_a, buffers_b, strict=True))


def test_train_step_and_freeze_with_checkpoint_report_the_same_step() -> None:
    plain = train_step("resnet18", SHAPE)
    ours = train_step("resnet18", SHAPE, step=StepOptions(checkpoint=("layer3", "layer4")))
    assert ours.step.checkpointed == ("layer3", "layer4")
    assert ours.step.losses == plain.step.losses
    assert ours.step.global_grad_norms == plain.step.global_grad_norms
    assert ours.step.buffers_changed == plain.step.buffers_changed
    assert [n.step for n in ours.nodes()] == [n.step for n in plain.nodes()]
    assert [n.zero_fraction for n in ours.nodes()] == [n.zero_fraction for n in plain.nodes()]
    recipe = FreezeOptions(new_classes=5, unfreeze=("layer4",))
    frozen = freeze("resnet18", SHAPE, options=recipe)
    again = freeze("resnet18", SHAPE, options=recipe, step=StepOptions(checkpoint=("layer4",)))
    assert [n.step for n in again.nodes()] == [n.step for n in frozen.nodes()]


class _Restless(torch.nn.Module):
    """A stage whose output changes shape each call: recomputation cannot repeat it."""

    def __init__(self, stage: torch.nn.Module) -> None:
        super().__init__()
        self.stage = stage
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        out = self.stage(x)
        return torch.relu(out[:, :, : out.shape[2] - self.calls % 2])  # relu keeps its result


def test_a_stage_that_cannot_be_recomputed_says_so_in_one_line() -> None:
    model = _head_model()
    model.layer4 = torch.nn.Sequential(_Restless(model.layer4))
    with (
        pytest.raises(InspectError, match="cannot be checkpointed"),
        checkpointed(model, ("layer4",)),
    ):
        (model(torch.rand(SHAPE)) - torch.rand(2, 10)).sum().backward()
    assert "forward" not in model.layer4.__dict__


def test_checkpoint_usage_errors(run_cli: Any) -> None:
    for args, message in (
        (["--checkpoint", "fc"], "--checkpoint fc: not a residual stage of resnet18"),
        (["--checkpoint", ","], "--checkpoint names no stage"),
    ):
        result = run_cli(["train-step", *args])
        assert result.exit_code == 2
        assert message in result.output
    result = run_cli(
        [
            "freeze",
            "--model",
            f"{USER_MODELS}:tiny_resnet",
            "--new-classes",
            "3",
            "--checkpoint",
            "stem",
        ]
    )
    assert result.exit_code == 2
    assert "--checkpoint stem: not a residual stage of this model" in result.output
    status, stderr = probed_run(["train-step", "--checkpoint", "layer9"])
    assert status == 2
    assert stderr[-1] == "torch-loaded=False"


# --- the views --------------------------------------------------------------------------


def test_a_verified_plan_says_that_real_steps_ran(
    monkeypatch: pytest.MonkeyPatch, run_cli: Any
) -> None:
    import resnet_inspect.capture.verify as verify

    measured = verify.Measured(tensor_peak=2**20, growth=2**24)
    monkeypatch.setattr(verify, "measure_row", lambda spec, needs: measured)
    result = run_cli(["plan", "--input", "2,3,32,32", "--new-classes", "10", "--verify"])
    words = " ".join(result.output.split())
    assert "then --verify's rows run for real, each in a fresh process" in words
    assert "no real step" not in words
    assert words.count("measured at batch 2") == 6


def test_the_view_shows_the_breakdown_and_the_checkpointed_rows(run_cli: Any) -> None:
    args = ["plan", "--input", "2,3,32,32", "--new-classes", "10", "--checkpoint", "--breakdown"]
    result = run_cli(args, width=100)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "everything, recompute layer3" in out
    assert "everything, recompute 4 stages" in out
    assert "Recomputed" in out
    assert "Where the memory of everything goes at 2×3×32×32 (fp32)" in out
    assert "The layers that keep the most for backward" in out
    assert "Peak: " in out and "'s backward" in out
    assert "Process" in out


# --- verify -----------------------------------------------------------------------------


# The layer4 row's two steps, written plainly: the independent reading of VmHWM.
_PLAIN_STEPS = """
import torch, torchvision
from pathlib import Path

def status(key):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key))
    return int(line.split()[1]) * 1024

torch.manual_seed(0)
model = torchvision.models.resnet18()
for p in model.parameters():
    p.requires_grad = False
model.fc = torch.nn.Linear(512, 10)
for p in model.layer4.parameters():
    p.requires_grad = True
model.train()
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
base = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")
for _ in range(2):
    opt.zero_grad()
    (model(torch.rand(2, 3, 64, 64)) - torch.rand(2, 10)).sum().backward()
    opt.step()
print(status("VmHWM") - base)
"""


def test_verify_measures_the_tensor_peak_to_the_byte_where_the_estimate_is_exact() -> None:
    """resnet18's layer4 row at 2×3×64×64 allocates nothing the plan does not see but
    kernels' workspaces: the allocator's tensor peak equals the estimate to the byte. The
    process growth is read again by a plain script of the same steps."""
    plain = subprocess.Popen(  # the plain script runs beside the plan's own child
        [sys.executable, "-c", _PLAIN_STEPS], stdout=subprocess.PIPE, text=True
    )
    report = plan("resnet18", SHAPE, new_classes=10, verify=("layer4",))
    plain_growth = int(plain.communicate(timeout=120)[0].strip())
    rows = {row.name: row for row in report.rows}
    (check,) = rows["layer4"].verify
    assert not rows["head"].verify
    assert check.status == "measured" and check.batch == 2
    assert check.tensor_peak_bytes == rows["layer4"].live_peak_bytes == check.tensor_estimate_bytes
    assert check.tensor_error == 0
    assert check.process_estimate_bytes == rows["layer4"].process_bytes
    # Two processes' heaps differ by what their imports left: the same order, not the byte.
    assert 0.7 < check.process_growth_bytes / plain_growth < 1.4
    assert check.process_error == pytest.approx(
        (check.process_estimate_bytes - check.process_growth_bytes) / check.process_growth_bytes
    )


def test_verify_skips_a_row_that_does_not_fit_and_says_why(
    monkeypatch: pytest.MonkeyPatch, run_cli: Any
) -> None:
    import resnet_inspect.capture.verify as verify

    monkeypatch.setattr(verify, "available_memory_bytes", lambda: 50 * 2**20)
    result = run_cli(
        ["plan", "--input", "2,3,64,64", "--new-classes", "10", "--verify", "head"], width=120
    )
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())  # the note wraps under its row
    assert "simulated on the meta device: nothing allocated, no real step" in words
    assert "batch 2 skipped: needs about" in words
    assert "50.00 MiB available" in words


def test_verify_usage_errors(run_cli: Any) -> None:
    base = ["plan", "--new-classes", "10"]
    for args, message in (
        (["--verify", "layer9"], "--verify layer9: no such row"),
        (["--verify", "unfreeze"], "no unfreeze row without --unfreeze"),
        (["--verify", "all,head"], "give 'all' alone"),
    ):
        result = run_cli([*base, *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
    from resnet_inspect.commands.verify import check_row_names

    with pytest.raises(OptionError, match="--verify stage9: no such row"):
        check_row_names(("stage9",), ["head", "everything"])


def test_verify_with_a_budget_also_runs_the_solved_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --memory each row runs at --input's batch and at its largest batch B; the note's
    B + 1 is the plan's own peak at B + 1 (a plan at that batch says the same)."""
    import resnet_inspect.capture.verify as verify
    from resnet_inspect.commands import run
    from resnet_inspect.commands.plan import PlanRequest
    from resnet_inspect.config import ModelChoice

    runs: list[tuple[int, ...]] = []

    def fake(spec: Any, needs: int) -> Any:  # the real child is tested above
        runs.append(spec.shape)
        return verify.Measured(tensor_peak=10 * 2**20, growth=20 * 2**20)

    monkeypatch.setattr(verify, "measure_row", fake)
    budget = 200 * 2**20
    request = PlanRequest(
        model=ModelChoice(arch="resnet18", input_shape=SHAPE),
        new_classes=10,
        memory=budget,
        verify=("layer4",),
    )
    row = next(r for r in run(request).rows if r.name == "layer4")
    batch = row.largest_batch
    assert batch is not None and batch > SHAPE[0]
    assert runs == [SHAPE, (batch, *SHAPE[1:])]
    first, solved = row.verify
    assert (first.batch, solved.batch) == (SHAPE[0], batch)
    assert first.fits is None and solved.fits is True
    assert solved.process_error == pytest.approx(
        (solved.process_estimate_bytes - 20 * 2**20) / (20 * 2**20)
    )
    # The stated range at that batch, and whether the measured growth fell in it.
    low, high = solved.process_low_bytes, solved.process_high_bytes
    assert low < solved.process_estimate_bytes < high
    assert solved.process_inside == (low <= 20 * 2**20 <= high)
    after = plan("resnet18", (batch + 1, *SHAPE[1:]), new_classes=10)
    one_more = next(r for r in after.rows if r.name == "layer4")
    kept = after.param_bytes + after.buffer_bytes
    assert solved.next_bytes == max(one_more.peak_bytes, kept + one_more.process_high_bytes)
    assert solved.next_bytes > budget
