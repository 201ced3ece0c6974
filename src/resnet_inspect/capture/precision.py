"""Automatic mixed precision on the CPU, as a training script uses it: the forward and the
loss under ``torch.autocast("cpu", dtype)``, float32 master parameters, and for float16 a
``torch.amp.GradScaler`` between the loss and the optimizer.

``OpDtypes`` watches a real forward at the dispatcher, below autocast: each aten operation
as it really ran, with the dtypes of its outputs. That is where the report's "ran in
bfloat16" and "kept in float32" come from: measured, not a copy of autocast's op lists.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from resnet_inspect.config import Precision
from resnet_inspect.errors import OptionError
from resnet_inspect.records import OpCount, ZeroGradients

if TYPE_CHECKING:
    from resnet_inspect.capture.models.source import ModelSource

MakeModel = Callable[[], torch.nn.Module]

CASTS = frozenset({"_to_copy", "to", "copy_"})  # autocast's casts of inputs and weights


def autocast_dtype(precision: Precision) -> torch.dtype | None:
    return {Precision.BF16: torch.bfloat16, Precision.FP16: torch.float16}.get(precision)


# Mixed precision is planned on the meta device with autocast's observed casts applied
# (capture.meta_autocast); False: on fake CPU tensors under FakeTensorMode with autocast
# itself, the reference the fast path is tested against.
AUTOCAST_ON_META = True


@contextlib.contextmanager
def autocasting(precision: Precision, device: str = "cpu") -> Iterator[None]:
    """The forward's context: autocast to the precision's dtype on the CPU (its observed
    casts, on the meta device), or nothing."""
    dtype = autocast_dtype(precision)
    if dtype is None:
        yield
        return
    if device == "meta":
        from resnet_inspect.capture.meta_autocast import MetaAutocast

        with MetaAutocast(dtype):
            yield
        return
    with torch.autocast("cpu", dtype=dtype):
        yield


def on_meta(precision: Precision, channels_last: bool, *, meta_autocast: bool) -> bool:
    """Whether ``simulated_cpu`` runs the passes on the meta device (else on fake CPU
    tensors)."""
    fast = meta_autocast and AUTOCAST_ON_META and not channels_last
    return fast or (precision is Precision.FP32 and not channels_last)


@contextlib.contextmanager
def simulated_cpu(
    precision: Precision, channels_last: bool = False, *, meta_autocast: bool = False
) -> Iterator[Callable[[ModelSource], MakeModel]]:
    """Where a step's passes run: on the meta device for float32, and for mixed precision
    or channels_last on tensors that say they are on the CPU and hold no data
    (``FakeTensorMode``): ``autocast("cpu")`` casts CPU tensors only (a meta forward under
    it stays float32), and the meta device's convolution drops the channels_last layout,
    which the fake CPU one keeps. Yields how to make the model there from its source.
    ``meta_autocast``: the caller runs its forward under ``autocasting(precision, "meta")``,
    so mixed precision without channels_last stays on the meta device."""
    if on_meta(precision, channels_last, meta_autocast=meta_autocast):
        yield lambda found: found.meta
        return
    from torch._subclasses.fake_tensor import FakeTensorMode, unset_fake_temporarily

    def make(found: ModelSource) -> MakeModel:
        def made() -> torch.nn.Module:
            # Built on meta outside the fake mode: a factory may read values as it builds
            # (timm's drop-path rates: linspace(...).tolist()), which fake tensors cannot.
            with unset_fake_temporarily():
                meta = found.meta()
            return on_simulated_cpu(meta, channels_last)

        return made

    with FakeTensorMode():
        yield make


def on_simulated_cpu(model: torch.nn.Module, channels_last: bool = False) -> torch.nn.Module:
    """``model`` (on meta) with every parameter and buffer made anew, in place, as an empty
    CPU tensor of its shape and dtype (4-d ones in channels_last, if asked, as
    ``model.to(memory_format=torch.channels_last)`` lays them out): under
    ``FakeTensorMode``, one that holds no data. A tensor shared by two modules stays shared."""
    made: dict[int, torch.Tensor] = {}

    def anew(tensor: torch.Tensor) -> torch.Tensor:
        if id(tensor) not in made:
            fresh = torch.empty(tensor.shape, dtype=tensor.dtype, device="cpu")
            if channels_last and fresh.dim() == 4:
                fresh = fresh.contiguous(memory_format=torch.channels_last)
            made[id(tensor)] = fresh
        return made[id(tensor)]

    for module in model.modules():
        for name, param in module._parameters.items():
            if param is not None:
                fresh = torch.nn.Parameter(anew(param), requires_grad=param.requires_grad)
                module._parameters[name] = made[id(param)] = fresh
        for name, buffer in module._buffers.items():
            if buffer is not None:
                module._buffers[name] = anew(buffer)
    return model


def check_master_parameters(model: torch.nn.Module, precision: Precision) -> None:
    """Mixed precision keeps float32 master parameters (GradScaler refuses float16 ones)."""
    if precision is Precision.FP32:
        return
    kinds = sorted({str(p.dtype).removeprefix("torch.") for p in model.parameters()})
    if kinds != ["float32"]:
        raise OptionError(
            f"--precision {precision.value}: mixed precision keeps float32 master parameters "
            f"and these are {', '.join(kinds)}; load the model in float32 (model.float()), or "
            "leave --precision out to step it in its own dtype"
        )


def make_scaler(precision: Precision) -> torch.amp.GradScaler | None:
    """float16's GradScaler with torch's defaults (init_scale 2**16, growth every 2000
    steps, backoff 0.5); bfloat16 has float32's range and needs none."""
    if precision is not Precision.FP16:
        return None
    return torch.amp.GradScaler("cpu")


class OpDtypes(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Counts each aten operation of a forward by the dtypes of its floating outputs."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.low_dtypes = (torch.bfloat16, torch.float16)
        self.reset()

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """The report's own work during the forward (counting ReLU zeros) is not counted."""
        self.quiet = True
        try:
            yield
        finally:
            self.quiet = False

    def reset(self) -> None:
        self.quiet = False
        self.lower: Counter[str] = Counter()  # outputs in the autocast dtype only
        self.mixed: Counter[str] = Counter()  # both: batch_norm's output and its statistics
        self.float32: Counter[str] = Counter()  # float32 outputs only
        self.casts = 0
        self.cast_bytes = 0

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        if self.quiet or func.is_view:  # a view computes nothing: its base's dtype is counted
            return out
        name = func.overloadpacket.__name__
        floats = [
            t for t in tree_leaves(out) if isinstance(t, torch.Tensor) and t.is_floating_point()
        ]
        if name in CASTS:
            self.casts += 1
            self.cast_bytes += sum(t.numel() * t.element_size() for t in floats)
        else:
            low = sum(t.dtype in self.low_dtypes for t in floats)
            full = sum(t.dtype == torch.float32 for t in floats)
            if low and full:
                self.mixed[name] += 1
            elif low:
                self.lower[name] += 1
            elif full:
                self.float32[name] += 1
        return out

    @staticmethod
    def counted(counts: Counter[str]) -> tuple[OpCount, ...]:
        return tuple(OpCount(name, calls) for name, calls in counts.most_common())


UNDERFLOW_GROWTH = 0.05  # a layer's share of zero gradients up by 5 points: underflow


def zero_shares(model: torch.nn.Module) -> dict[str, float]:
    """Per module that owns parameters with gradients: the share of exactly-zero elements."""
    shares = {}
    for name, module in model.named_modules():
        grads = [p.grad for p in module.parameters(recurse=False) if p.grad is not None]
        total = sum(g.numel() for g in grads)
        if total:
            zeros = sum(int(g.numel() - torch.count_nonzero(g)) for g in grads)
            shares[name] = zeros / total
    return shares


def float32_zero_shares(
    model: torch.nn.Module, run: Callable[[torch.nn.Module], torch.Tensor]
) -> dict[str, float]:
    """The zero-gradient shares of a float32 step on a copy of ``model`` (its weights now;
    ``run`` gives its loss on the same batch), without the report's hooks: the reference an
    fp16 step's shares are held against. The copy's statistics move, the model's do not."""
    import copy

    reference = copy.deepcopy(model)
    for module in reference.modules():
        module._forward_hooks.clear()
        module._forward_pre_hooks.clear()
    reference.zero_grad(set_to_none=True)
    run(reference).backward()  # type: ignore[no-untyped-call]
    return zero_shares(reference)


def underflowed(half: dict[str, float], full: dict[str, float]) -> tuple[ZeroGradients, ...]:
    return tuple(
        ZeroGradients(name, share, full.get(name, 0.0))
        for name, share in half.items()
        if share - full.get(name, 0.0) >= UNDERFLOW_GROWTH
    )
