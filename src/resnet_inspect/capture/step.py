"""Real training steps on the CPU, as the tutorial takes them, recorded as plain facts.

Per step exactly one forward, one backward and one optimizer step: nothing runs twice for
the sake of the report. The only hooks are forward hooks (and, during the forward, a torch
function mode) that count the zeros of each ReLU call's output and change nothing; no
backward hook (module backward hooks would break on ResNet's in-place ReLU and ``+=``).
Gradients are read from ``param.grad`` after ``backward()``; updates are the parameter
after a step minus a copy taken before it.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from resnet_inspect.capture.images.batches import ImageBatches
from resnet_inspect.capture.instrument import ModuleStack, function_row, model_dtype
from resnet_inspect.capture.layout import LayoutWatch
from resnet_inspect.capture.precision import (
    OpDtypes,
    autocast_dtype,
    autocasting,
    float32_zero_shares,
    make_scaler,
    underflowed,
    zero_shares,
)
from resnet_inspect.capture.recompute import checkpointed
from resnet_inspect.config import LossKind, OptimizerKind, Precision, StepOptions
from resnet_inspect.records import (
    ParamStat,
    PrecisionSummary,
    ScalerSummary,
    Setting,
    Settings,
    SettingValue,
    StepCapture,
    ZeroGradients,
)

LOSS_EXPRESSIONS = {
    LossKind.SUM: "(prediction - labels).sum()",
    LossKind.CROSS_ENTROPY: "F.cross_entropy(prediction, labels)",
    LossKind.MSE: "F.mse_loss(prediction, labels)",
}


def make_labels(
    kind: LossKind, batch: int, classes: int, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, str]:
    """The seeded random target of the step (in the model's dtype), and how it was made."""
    if kind is LossKind.CROSS_ENTROPY:
        return torch.randint(0, classes, (batch,)), f"torch.randint(0, {classes}, ({batch},))"
    typed = "" if dtype is torch.float32 else f", dtype={dtype}"
    return torch.rand(batch, classes, dtype=dtype), f"torch.rand({batch}, {classes}{typed})"


def meta_labels(
    kind: LossKind,
    batch: int,
    classes: int,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "meta",
) -> torch.Tensor:
    """The target ``make_labels`` draws, as shapes only, for the passes on the meta device
    (or on a simulated CPU)."""
    if kind is LossKind.CROSS_ENTROPY:
        return torch.empty(batch, dtype=torch.long, device=device)
    return torch.empty(batch, classes, dtype=dtype, device=device)


def loss_of(kind: LossKind, prediction: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if kind is LossKind.CROSS_ENTROPY:
        return F.cross_entropy(prediction, labels)
    if kind is LossKind.MSE:
        return F.mse_loss(prediction, labels)
    return (prediction - labels).sum()


def run_step(
    model: torch.nn.Module,
    input_shape: tuple[int, ...],
    options: StepOptions,
    classes: int,
    images: ImageBatches | None = None,
) -> StepCapture:
    """Random input and labels from the current RNG state, then ``options.steps`` times
    zero_grad, forward, backward, optimizer step, all on that one batch.

    With ``images``, each step takes its own batch of them instead of the random input;
    their ImageFolder labels, where they have them, replace the random labels.

    The model's train/eval modes are the caller's choice and are left as they are.
    """
    dtype = model_dtype(model)
    layout = torch.channels_last if options.channels_last else torch.contiguous_format
    if options.channels_last:
        model.to(memory_format=torch.channels_last)
    if images is None:
        data = torch.rand(input_shape, dtype=dtype).contiguous(memory_format=layout)
    if images is not None and images.labelled:
        labels, target = images.labels(0), "the images' ImageFolder classes"
    else:
        labels, target = make_labels(options.loss, input_shape[0], classes, dtype)
    optimizer = make_optimizer(model.parameters(), options)
    precision = options.precision  # float32 master parameters: checked on meta before
    scaler = make_scaler(precision)
    initial_scale = scaler.get_scale() if scaler else 1.0
    skipped: list[int] = []
    ops = OpDtypes() if autocast_dtype(precision) is not None else None
    layout_watch = LayoutWatch(model) if options.channels_last else None
    underflow: tuple[ZeroGradients, ...] = ()
    buffers_before = {name: b.detach().clone() for name, b in model.named_buffers()}
    losses: list[float] = []
    norms: list[float] = []
    forward_s = backward_s = step_s = 0.0
    params_first: dict[str, torch.Tensor] = {}
    params_before = params_first
    with _ZeroCounter(model, ops) as zeros, checkpointed(model, options.checkpoint):
        for index in range(options.steps):
            if images is not None:  # read before the clock starts
                data = images.inputs(index).to(dtype).contiguous(memory_format=layout)
                labels = images.labels(index) if images.labelled else labels
            optimizer.zero_grad()
            zeros.fractions.clear()  # the last forward's are reported
            if ops is not None:
                ops.reset()  # the last forward's are reported
            if layout_watch is not None:
                layout_watch.reset()
            start = time.perf_counter()
            with zeros.function_calls(), autocasting(precision), _watched(ops):
                with _layouts(layout_watch):
                    prediction = model(data)
                loss = loss_of(options.loss, prediction, labels)
            forwarded = time.perf_counter()
            last = index == options.steps - 1
            if scaler is not None and last:  # float32's zero gradients, at these weights
                full = float32_zero_shares(model, _loss_on(options.loss, data, labels))
            if scaler is not None:
                scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
                scaler.unscale_(optimizer)  # the true gradients, read below
            else:
                loss.backward()  # type: ignore[no-untyped-call]
            backwarded = time.perf_counter()
            norms.append(_global_norm(model))
            if scaler is not None and last and math.isfinite(norms[-1]):  # not an overflow
                underflow = underflowed(zero_shares(model), full)
            # Forward and backward never change a parameter, so the copies for Δθ are taken
            # here, once backward has freed the activations: they add nothing to the step's
            # peak (a whole copy of resnet50's parameters is 98 MiB).
            if index == 0:
                params_first = params_before = _copies(model)
            elif index == options.steps - 1:  # the last step's own Δθ
                params_before = _copies(model)
            stepping = time.perf_counter()
            if scaler is not None:
                scale = scaler.get_scale()
                scaler.step(optimizer)  # skipped where a gradient is not finite
                scaler.update()
                if scaler.get_scale() < scale:  # backed off: this step found inf/NaN
                    skipped.append(index + 1)
            else:
                optimizer.step()
            stepped = time.perf_counter()
            losses.append(float(loss.item()))
            forward_s += forwarded - start
            backward_s += backwarded - forwarded
            step_s += stepped - stepping
            del loss, prediction

    with torch.no_grad():
        params = {
            name: _param_stat(name, p, params_before[name], params_first[name])
            for name, p in model.named_parameters()
        }
        changed_buffers = tuple(
            name
            for name, buffer in model.named_buffers()
            if not torch.equal(buffer, buffers_before[name])
        )
    group = optimizer.param_groups[0]
    return StepCapture(
        loss=losses[-1],
        loss_kind=options.loss.value,
        loss_expression=LOSS_EXPRESSIONS[options.loss],
        target=target,
        params=params,
        forward_s=forward_s,
        backward_s=backward_s,
        step_s=step_s,
        optimizer=type(optimizer).__name__,
        optimizer_settings=Settings(
            Setting(key, _plain_setting(value)) for key, value in group.items() if key != "params"
        ),
        global_grad_norm=norms[-1],
        optimizer_state_bytes=optimizer_state_bytes(optimizer),
        buffers_total=len(buffers_before),
        buffers_changed=changed_buffers,
        losses=tuple(losses),
        global_grad_norms=tuple(norms),
        relu_zeros={name: tuple(found) for name, found in zeros.fractions.items()},
        images=images.summary() if images is not None else None,
        precision=_precision_summary(precision, ops, scaler, initial_scale, skipped, underflow),
        channels_last=layout_watch.summary() if layout_watch is not None else None,
        checkpointed=options.checkpoint,
    )


def _loss_on(
    kind: LossKind, data: torch.Tensor, labels: torch.Tensor
) -> Callable[[torch.nn.Module], torch.Tensor]:
    """The step's loss on this batch, for another copy of the model."""
    return lambda model: loss_of(kind, model(data), labels)


def _watched(ops: OpDtypes | None) -> contextlib.AbstractContextManager[Any]:
    return ops if ops is not None else contextlib.nullcontext()


@contextlib.contextmanager
def _layouts(watch: LayoutWatch | None) -> Iterator[None]:
    """--channels-last: the forward watched for the layout of every call's output."""
    if watch is None:
        yield
        return
    with watch.modules, watch.functions():
        yield


def _precision_summary(
    precision: Precision,
    ops: OpDtypes | None,
    scaler: torch.amp.GradScaler | None,
    initial_scale: float,
    skipped: list[int],
    underflow: tuple[ZeroGradients, ...],
) -> PrecisionSummary | None:
    dtype = autocast_dtype(precision)
    if ops is None or dtype is None:
        return None
    return PrecisionSummary(
        precision=precision.value,
        dtype=str(dtype).removeprefix("torch."),
        lower=ops.counted(ops.lower),
        mixed=ops.counted(ops.mixed),
        float32=ops.counted(ops.float32),
        casts=ops.casts,
        cast_bytes=ops.cast_bytes,
        scaler=ScalerSummary(initial_scale, scaler.get_scale(), tuple(skipped)) if scaler else None,
        underflow=underflow,
    )


def _copies(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _global_norm(model: torch.nn.Module) -> float:
    """What clip_grad_norm_(parameters, inf) returns: the 2-norm of the per-tensor 2-norms."""
    with torch.no_grad():
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        if not grads:
            return 0.0
        norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])
        return float(torch.linalg.vector_norm(norms).item())


class _ZeroCounter:
    """Counts the exact zeros of every ReLU call's output: each ``nn.ReLU`` as its forward
    ends, and for ``F.relu`` / ``torch.relu`` / ``x.relu()`` that a module's own forward calls
    (the CIFAR ResNets' way), a torch function mode active during the forward only. Calls are
    named as the structure capture names them (``instrument.function_row``).

    Everything here reads and returns None or the function's own result, so nothing the step
    computes changes (an in-place ReLU's output is its input: it is only read).
    """

    def __init__(self, model: torch.nn.Module, ops: OpDtypes | None = None) -> None:
        self.fractions: dict[str, list[float]] = {}
        self.quiet = ops.muted if ops is not None else contextlib.nullcontext
        relus = {name for name, m in model.named_modules() if isinstance(m, torch.nn.ReLU)}

        def left(name: str, module: torch.nn.Module, inputs: Any, output: Any) -> None:
            if name in relus and isinstance(output, torch.Tensor):
                self.count(name, output)

        self.modules = ModuleStack(model, on_leave=left)

    def __enter__(self) -> _ZeroCounter:
        self.modules.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.modules.__exit__(*exc)

    def function_calls(self) -> _ReluCalls:
        return _ReluCalls(self)

    def count(self, name: str, output: torch.Tensor) -> None:
        with self.quiet():
            self._count(name, output)

    def _count(self, name: str, output: torch.Tensor) -> None:
        if output.numel():
            zero = (output.numel() - _nonzero(output)) / output.numel()
            self.fractions.setdefault(name, []).append(zero)


class _ReluCalls(TorchFunctionMode):
    """ReLU functions a module's own forward runs (not those inside a leaf module: an
    ``nn.ReLU`` is counted as its forward ends)."""

    _NAMES = frozenset({"relu", "relu_"})

    def __init__(self, counter: _ZeroCounter) -> None:
        super().__init__()
        self.counter = counter

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "")
        modules = self.counter.modules
        if name in self._NAMES and modules.in_own_code() and isinstance(out, torch.Tensor):
            self.counter.count(function_row(modules.current, name), out)
        return out


# A float32 sum of ones is exact up to 2^24: chunks of 2^23 keep every partial sum exact.
_CHUNK = 2**23


def _nonzero(output: torch.Tensor) -> int:
    """Elements that are not 0, of a ReLU's output (never negative): the sum of their signs,
    chunk by chunk, about 5x faster than torch.count_nonzero on the CPU. torch's sign of NaN
    is 0, so a chunk whose sum is NaN is counted the slow way (NaN is not zero)."""
    counted = 0
    with torch.no_grad():
        for chunk in torch.split(output.detach().reshape(-1), _CHUNK):
            # Summed in float32 whatever the model's dtype: a float16 sum of ones stops
            # being exact at 2048 and overflows at 65504.
            if math.isnan(float(chunk.sum(dtype=torch.float32).item())):
                counted += int(torch.count_nonzero(chunk))
            else:
                counted += int(chunk.sign().sum(dtype=torch.float32).item())
    return counted


def make_optimizer(params: Any, options: StepOptions) -> torch.optim.Optimizer:
    """SGD as the tutorial makes it, or Adam / AdamW with their defaults beside lr and decay."""
    if options.optimizer is OptimizerKind.ADAM:
        return torch.optim.Adam(params, lr=options.lr, weight_decay=options.weight_decay)
    if options.optimizer is OptimizerKind.ADAMW:
        return torch.optim.AdamW(params, lr=options.lr, weight_decay=options.weight_decay)
    return torch.optim.SGD(
        params,
        lr=options.lr,
        momentum=options.momentum,
        weight_decay=options.weight_decay,
        nesterov=options.nesterov,
    )


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """What the optimizer keeps between steps, read from optimizer.state: momentum buffers,
    Adam's two moments and its step counters."""
    return sum(
        value.numel() * value.element_size()
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    )


def _param_stat(
    name: str, param: torch.Tensor, before: torch.Tensor, first: torch.Tensor
) -> ParamStat:
    """The last step's gradient and update, and the change over all the steps."""
    grad = param.grad
    update_norm = float(torch.linalg.vector_norm(param - before).item())
    param_norm = float(torch.linalg.vector_norm(before).item())
    total = update_norm if first is before else float(torch.linalg.vector_norm(param - first))
    return ParamStat(
        name=name,
        shape=tuple(param.shape),
        numel=param.numel(),
        trainable=param.requires_grad,
        grad_norm=None if grad is None else float(torch.linalg.vector_norm(grad).item()),
        update_norm=update_norm,
        param_norm=param_norm,
        relative_update=None if param_norm == 0 else update_norm / param_norm,
        changed=not torch.equal(param, first),
        total_update_norm=total,
    )


def _plain_setting(value: object) -> SettingValue:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)
