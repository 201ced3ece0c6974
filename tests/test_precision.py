"""--precision: mixed-precision steps against a plain autocast (+ GradScaler) script with the
same seed, and the graph's saved tensors against a real autocast forward."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import torchvision
from typer.testing import Result

import user_models
from conftest import probed_run
from resnet_inspect import LayerReport, graph, plan, train_step
from resnet_inspect.config import LossKind, Precision, StepOptions
from resnet_inspect.errors import OptionError

Run = Callable[..., Result]
SHAPE = (2, 3, 32, 32)  # layer4's 1×1 maps: two values per channel for BatchNorm
DTYPES = {Precision.BF16: torch.bfloat16, Precision.FP16: torch.float16}


def plain_amp_steps(
    build: Callable[[], torch.nn.Module], precision: Precision, steps: int, lr: float = 0.01
) -> tuple[list[float], dict[str, float], dict[str, float], list[float]]:
    """The script a user writes: seed, model, data and labels, then per step zero_grad,
    forward and loss under autocast, backward (through GradScaler for float16, unscaled
    before reading the gradients), the optimizer's step. Losses, the last step's gradient
    and update norms, and the scale after each step."""
    torch.manual_seed(0)
    model = build()
    model.train()
    classes = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1].out_features
    data = torch.rand(SHAPE)
    labels = torch.randint(0, classes, (SHAPE[0],))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scaler = torch.amp.GradScaler("cpu") if precision is Precision.FP16 else None
    losses, scales = [], []
    grads: dict[str, float] = {}
    updates: dict[str, float] = {}
    for _ in range(steps):
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=DTYPES[precision]):
            loss = F.cross_entropy(model(data), labels)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        grads = {n: float(p.grad.norm()) for n, p in model.named_parameters() if p.grad is not None}
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
            scales.append(scaler.get_scale())
        else:
            optimizer.step()
        updates = {n: float((p.detach() - before[n]).norm()) for n, p in model.named_parameters()}
        losses.append(loss.item())
    return losses, grads, updates, scales


def _stats(report: LayerReport) -> dict[str, tuple[float | None, float]]:
    return {
        p.name: (p.grad_norm, p.update_norm) for leaf in report.leaves() for p in leaf.parameters
    }


@pytest.mark.parametrize(
    ("model", "precision"),  # tiny_resnet: a user's model, by spec
    [
        ("resnet18", Precision.BF16),
        ("tiny_resnet", Precision.BF16),
        ("tiny_resnet", Precision.FP16),
    ],
)
def test_a_mixed_precision_step_equals_a_plain_autocast_script(
    model: str, precision: Precision
) -> None:
    steps = 1 if model == "resnet18" else 2  # bfloat16 is emulated here: resnet18 is slow
    step = StepOptions(precision=precision, loss=LossKind.CROSS_ENTROPY, steps=steps)
    if model == "resnet18":
        report = train_step("resnet18", SHAPE, step=step)
        build: Callable[[], torch.nn.Module] = torchvision.models.resnet18
    else:
        report = train_step(input_shape=SHAPE, step=step, model=f"{user_models.__file__}:{model}")
        build = user_models.tiny_resnet
    losses, grads, updates, scales = plain_amp_steps(build, precision, steps)
    assert report.step is not None and report.step.precision is not None
    assert report.step.losses == pytest.approx(losses, rel=1e-6)
    for name, (grad, update) in _stats(report).items():
        assert grad == pytest.approx(grads[name], rel=1e-5, abs=1e-9, nan_ok=True), name
        assert update == pytest.approx(updates[name], rel=1e-5, abs=1e-12, nan_ok=True), name
    amp = report.step.precision
    assert amp.dtype == str(DTYPES[precision]).removeprefix("torch.")
    lower = {op.name for op in amp.lower}
    assert {"convolution", "addmm"} <= lower  # convs and the Linear: autocast's list
    assert {op.name for op in amp.mixed} == {"native_batch_norm"}  # statistics in float32
    assert "nll_loss_forward" in {op.name for op in amp.float32}  # the loss kept in float32
    if precision is Precision.FP16:
        assert amp.scaler is not None and amp.scaler.final_scale == scales[-1]
        assert amp.scaler.skipped_steps == backed_off(scales)  # 2**16 overflows at first


def backed_off(scales: list[float]) -> tuple[int, ...]:
    """The steps (from 1) after which a plain script's GradScaler lowered its scale: those
    it skipped, having found an inf or NaN gradient."""
    before = [65536.0, *scales]
    return tuple(i + 1 for i, scale in enumerate(scales) if scale < before[i])


def test_an_overflow_skips_the_step_and_says_so() -> None:
    """A huge learning rate makes float16 gradients overflow: GradScaler skips those steps
    (the parameters do not move, as in a plain script) and backs off its scale."""
    step = StepOptions(precision=Precision.FP16, loss=LossKind.CROSS_ENTROPY, steps=4, lr=1e4)
    spec = f"{user_models.__file__}:tiny_resnet"
    report = train_step(input_shape=SHAPE, step=step, model=spec)
    _, _, updates, scales = plain_amp_steps(user_models.tiny_resnet, Precision.FP16, 4, lr=1e4)
    assert report.step is not None and report.step.precision is not None
    scaler = report.step.precision.scaler
    assert scaler is not None and scaler.final_scale == scales[-1]
    assert scaler.skipped_steps == backed_off(scales) and len(scaler.skipped_steps) >= 2
    assert any(flag.kind.value == "scaler_skipped" for flag in report.flags)
    if scaler.skipped_steps[-1] == 4:  # the last step skipped: nothing moved in it
        assert all(update == 0 for _, update in _stats(report).values())
        assert all(update == 0 for update in updates.values())
    text = " ".join(repr(report).split())
    assert "a gradient overflowed in float16, so the optimizer did not step" in text
    assert "GradScaler skipped" in text


@pytest.mark.parametrize("precision", [Precision.BF16, Precision.FP16])
def test_the_graph_saves_what_a_real_autocast_forward_saves(precision: Precision) -> None:
    """Saved bytes by dtype against a real autocast forward: the simulation the plan's
    mixed-precision rows rest on too (bfloat16's live peak is in test_plan)."""
    report = graph("resnet18", SHAPE, precision=precision)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().train()
    resident = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    kept: dict[int, tuple[int, str]] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        pointer = tensor.untyped_storage().data_ptr()
        if pointer not in resident:
            kept[pointer] = (tensor.untyped_storage().nbytes(), str(tensor.dtype)[6:])
        return tensor

    hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
    with hooks, torch.autocast("cpu", dtype=DTYPES[precision]):
        loss = (model(torch.rand(SHAPE)) - torch.rand(SHAPE[0], 1000)).sum()
    del loss
    by_dtype: Counter[str] = Counter()
    for size, dtype in kept.values():
        by_dtype[dtype] += size
    assert report.summary.saved_bytes == sum(by_dtype.values())
    assert report.summary.saved_bytes_by_dtype == dict(sorted(by_dtype.items()))
    assert report.precision == precision.value


def test_a_half_model_is_refused_in_one_line(run_cli: Run, tmp_path: object) -> None:
    model = torchvision.models.resnet18().half()
    with pytest.raises(OptionError, match="mixed precision keeps float32 master parameters"):
        train_step(input_shape=SHAPE, model=model, step=StepOptions(precision=Precision.BF16))


def test_a_wrong_precision_is_one_line_before_torch() -> None:
    code, lines = probed_run(["train-step", "--precision", "fp8"])
    assert code == 2 and "choose from fp32, bf16, fp16" in lines[0]
    assert lines[-1] == "torch-loaded=False"


def test_channels_last_is_kept_and_the_step_equals_a_plain_channels_last_script() -> None:
    step = StepOptions(channels_last=True)
    report = train_step("resnet18", SHAPE, step=step)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().train().to(memory_format=torch.channels_last)
    data = torch.rand(SHAPE).contiguous(memory_format=torch.channels_last)
    labels = torch.rand(SHAPE[0], 1000)
    outputs: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: outputs.append(o))
        for m in model.modules()
        if not list(m.children())
    ]
    loss = (model(data) - labels).sum()
    for hook in hooks:
        hook.remove()
    loss.backward()
    assert report.step is not None and report.step.loss == pytest.approx(loss.item(), rel=1e-6)
    for name, (grad, _) in _stats(report).items():
        expected = model.get_parameter(name).grad
        assert expected is not None and grad == pytest.approx(float(expected.norm()), rel=1e-5)
    maps = [o for o in outputs if o.dim() == 4]  # a plain hook pass: every leaf's 4-d output
    assert report.channels_last is not None and report.channels_last.changes == ()
    assert all(o.is_contiguous(memory_format=torch.channels_last) for o in maps)
    assert report.channels_last.kept >= len(maps)  # and the residual adds, in the block's code


def test_a_reshape_that_breaks_channels_last_is_named_with_its_copy() -> None:
    spec = f"{user_models.__file__}:layout_breaking_resnet"
    report = train_step(input_shape=SHAPE, model=spec, step=StepOptions(channels_last=True))
    summary = report.channels_last
    assert summary is not None and summary.kept == summary.rows - 1
    (change,) = summary.changes
    assert (change.name, change.to) == ("layer2.1.reshape", "contiguous")
    assert change.bytes == 2 * 128 * 4 * 4 * 4  # layer2's 2×128×4×4 float32 map, copied
    text = " ".join(repr(report).split())
    assert "turned back by layer2.1.reshape (to contiguous: a 16.00 KiB copy)" in text


def test_a_half_precision_checkpoint_is_shown_in_its_dtype(tmp_path: Path) -> None:
    """A float16 checkpoint (common on the Hub): the header gives its dtype and bytes, and a
    step loads it into the float32 model as a plain script's load_state_dict does."""
    torch.manual_seed(0)
    state = {
        k: v.half() if v.is_floating_point() else v
        for k, v in torchvision.models.resnet18().state_dict().items()
    }
    path = tmp_path / "half.pth"
    torch.save(state, path)
    report = train_step(input_shape=SHAPE, weights=str(path))
    floats = [v for v in state.values() if v.is_floating_point()]
    assert report.weights.dtypes == ("float16",)
    assert report.weights.float_bytes == sum(v.numel() * v.element_size() for v in floats)
    assert report.dtype == "float32"  # the model's own parameters
    model = torchvision.models.resnet18()
    model.load_state_dict(state)  # copied into float32 parameters
    torch.manual_seed(0)
    torchvision.models.resnet18()  # the tool builds (and seeds) the model before loading
    model.train()
    data, labels = torch.rand(SHAPE), torch.rand(SHAPE[0], 1000)
    loss = (model(data) - labels).sum()
    assert report.step is not None and report.step.loss == pytest.approx(loss.item(), rel=1e-6)
    assert "the file's tensors are float16" in " ".join(repr(report).split())


def test_float16_underflow_is_flagged_against_float32(run_cli: Run) -> None:
    """A model whose scores are scaled by 1e-12: in float16 its gradients underflow to zero
    (GradScaler's 2**16 is not enough); a plain script's float16 and float32 gradients on the
    same weights and batch say which layers, and by how much."""
    spec = f"{user_models.__file__}:whisper"
    step = StepOptions(precision=Precision.FP16, loss=LossKind.CROSS_ENTROPY)
    report = train_step(input_shape=SHAPE, model=spec, step=step)
    torch.manual_seed(0)
    model = user_models.whisper().train()
    data, labels = torch.rand(SHAPE), torch.randint(0, 7, (SHAPE[0],))
    shares = {}
    for dtype in (torch.float16, None):
        trial = copy.deepcopy(model)
        with torch.autocast("cpu", dtype=dtype or torch.float16, enabled=dtype is not None):
            loss = F.cross_entropy(trial(data), labels)
        (loss * (65536.0 if dtype else 1.0)).backward()
        shares[dtype] = {
            name: sum(int((p.grad == 0).sum()) for p in m.parameters(recurse=False))
            / sum(p.numel() for p in m.parameters(recurse=False))
            for name, m in trial.named_modules()
            if list(m.parameters(recurse=False))
        }
    expected = {n for n, s in shares[torch.float16].items() if s - shares[None][n] >= 0.05}
    assert report.step is not None and report.step.precision is not None
    found = {z.layer: z for z in report.step.precision.underflow}
    assert set(found) == expected and expected
    for name, zero in found.items():
        assert zero.share == pytest.approx(shares[torch.float16][name])
        assert zero.float32_share == pytest.approx(shares[None][name])
    assert any(flag.kind.value == "grad_underflow" for flag in report.flags)


def test_graph_and_plan_count_a_channels_last_step(tmp_path: Path) -> None:
    """Simulated on fake CPU tensors laid out in channels_last: the saved bytes of the
    graph and of the plan's full fine-tune equal a real channels_last forward's, the copy
    that a reshape makes included."""
    spec = f"{user_models.__file__}:layout_breaking_resnet"
    dag = graph(input_shape=SHAPE, model=spec, channels_last=True)
    torch.manual_seed(0)
    model = user_models.layout_breaking_resnet().train().to(memory_format=torch.channels_last)
    resident = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    kept: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        pointer = tensor.untyped_storage().data_ptr()
        if pointer not in resident:
            kept[pointer] = tensor.untyped_storage().nbytes()
        return tensor

    data = torch.rand(SHAPE).contiguous(memory_format=torch.channels_last)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = (model(data) - torch.rand(SHAPE[0], 7)).sum()
    del loss
    assert dag.channels_last and dag.summary.saved_bytes == sum(kept.values())
    costs = plan(input_shape=SHAPE, model=spec, new_classes=7, step=StepOptions(channels_last=True))
    everything = next(row for row in costs.rows if row.name == "everything")
    assert costs.channels_last and everything.saved_bytes == sum(kept.values())


def test_a_timm_model_that_reads_values_as_it_builds_is_simulated() -> None:
    """timm's ResNetV2 computes its drop-path rates with linspace(...).tolist() as it builds:
    the model is built on meta outside the fake mode, then simulated. Its weight
    standardisation keeps a float32 batch_norm, which the graph's dtypes show."""
    pytest.importorskip("timm")
    report = graph("timm:resnetv2_18", SHAPE, precision=Precision.BF16)
    assert report.precision == "bf16"
    assert set(report.summary.saved_bytes_by_dtype) >= {"bfloat16", "float32"}


def test_broadcast_gates_and_in_place_adds_keep_channels_last() -> None:
    """An SE-style gate broadcast over the map (expand_as: a view with 0 strides) and the
    blocks' in-place residual adds make no map of their own: nothing turns channels_last
    back, and no copy is claimed."""
    spec = f"{user_models.__file__}:gated_resnet"
    report = train_step(input_shape=SHAPE, model=spec, step=StepOptions(channels_last=True))
    summary = report.channels_last
    assert summary is not None and summary.changes == () and summary.kept == summary.rows
