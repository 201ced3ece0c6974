"""Fine-tuning depths simulated on the meta device: what each trains, computes and keeps.

For each cut point the model is frozen by the freeze recipe and one forward and backward
run on meta tensors: FlopCounterMode counts the forward and the backward apart,
``saved_tensors_hooks`` sees what autograd keeps, and a dispatch mode follows every storage
from its allocation to its release, so the live bytes of the step are known after every
operation, exactly as a CPU run allocates them (kernel workspaces and the allocator's own
slack aside). Nothing is allocated and no real step runs.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from resnet_inspect.capture.budget import LiveBytes, largest_batch, optimizer_state_bytes
from resnet_inspect.capture.freezing import freeze_backbone
from resnet_inspect.capture.instrument import preserved_modes, storage_id
from resnet_inspect.capture.step import loss_of, meta_labels
from resnet_inspect.config import FreezeOptions, LossKind, StepOptions
from resnet_inspect.errors import OptionError
from resnet_inspect.quantities import binary_bytes
from resnet_inspect.records import CutCapture

# A batch solve that has not settled after this many confirming passes searches instead.
_CONFIRM_PASSES = 4
_LARGEST_BATCH = 2**31 - 1  # what --input accepts


class _LiveStorages(TorchDispatchMode):
    """Every storage an operation creates, from its creation until it is released.

    Storages that existed before (parameters, buffers) are known up front and never
    counted; a view or an in-place result shares a storage already seen. After each
    operation the live bytes are sampled, split by whether the tensor's first dimension is
    the batch.
    """

    def __init__(self, existing: set[int], batch: int) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.batch = batch
        self.seen: dict[int, Any] = dict.fromkeys(existing)
        self.events: list[tuple[int, int, bool]] = []  # (storage, ± bytes, scales with batch)
        self.marks: list[int] = []  # len(events) after each operation

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        shortcut = _BATCHNORM_SHAPES.get(func)
        out = shortcut(*args) if shortcut else func(*args, **(kwargs or {}))
        for item in tree_leaves(out):
            if not isinstance(item, torch.Tensor):
                continue
            storage = item.untyped_storage()
            key = int(storage._cdata)
            if key in self.seen:
                continue
            size = storage.nbytes()
            scales = item.dim() >= 1 and item.shape[0] == self.batch
            self.events.append((key, size, scales))
            self.seen[key] = weakref.finalize(storage, self._released, key, size, scales)
        self.marks.append(len(self.events))
        return out

    def _released(self, key: int, size: int, scales: bool) -> None:
        self.seen.pop(key, None)
        self.events.append((key, -size, scales))

    def live(self, fixed_storages: set[int]) -> LiveBytes:
        """The timeline, with ``fixed_storages`` (the parameters' gradients, whose first
        dimension may equal the batch by chance) counted as not scaling."""
        fixed = scaling = 0
        fixed_line: list[int] = []
        scaling_line: list[int] = []
        done = 0
        for mark in self.marks:
            for key, size, scales in self.events[done:mark]:
                if scales and key not in fixed_storages:
                    scaling += size
                else:
                    fixed += size
            done = mark
            fixed_line.append(fixed)
            scaling_line.append(scaling)
        per_sample = tuple(s // self.batch for s in scaling_line)
        return LiveBytes(batch=self.batch, fixed=tuple(fixed_line), per_sample=per_sample)

    def totals(self) -> tuple[int, ...]:
        """Live bytes after each operation, whatever scales."""
        line = []
        total = done = 0
        for mark in self.marks:
            total += sum(size for _, size, _ in self.events[done:mark])
            done = mark
            line.append(total)
        return tuple(line)


def _batchnorm_forward(
    data: torch.Tensor, weight: Any, bias: Any, mean: Any, var: Any, training: bool, *rest: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What ``native_batch_norm`` returns, shapes only: its meta kernel is a Python
    decomposition that would cost most of a pass (a resnet50 pass has 53 of them each way)."""
    channels = data.shape[1] if training else 0
    stats = torch.float32 if data.dtype in (torch.float16, torch.bfloat16) else data.dtype
    return (
        torch.empty_like(data),
        torch.empty(channels, dtype=stats, device=data.device),
        torch.empty(channels, dtype=stats, device=data.device),
    )


def _batchnorm_backward(
    grad: torch.Tensor, data: torch.Tensor, weight: Any, *rest: Any
) -> tuple[torch.Tensor | None, ...]:
    """What ``native_batch_norm_backward`` returns, shapes only: the gradients its output
    mask asks for."""
    mask = rest[-1]
    channels = data.shape[1]
    dtype = weight.dtype if weight is not None else data.dtype
    return (
        torch.empty_like(data) if mask[0] else None,
        torch.empty(channels, dtype=dtype, device=data.device) if mask[1] else None,
        torch.empty(channels, dtype=dtype, device=data.device) if mask[2] else None,
    )


_BATCHNORM_SHAPES: dict[Any, Callable[..., Any]] = {
    torch.ops.aten.native_batch_norm.default: _batchnorm_forward,
    torch.ops.aten.native_batch_norm_backward.default: _batchnorm_backward,
}


@dataclass
class _Pass:
    forward_flops: int
    backward_flops: int
    saved_bytes: int
    live: LiveBytes
    totals: tuple[int, ...]


def _run(
    model: torch.nn.Module,
    input_shape: tuple[int, ...],
    loss: LossKind,
    classes: int,
    *,
    count: bool,
) -> _Pass:
    """One train-mode forward, loss and backward on meta, watched."""
    for param in model.parameters():
        param.grad = None
    existing = {storage_id(t) for t in (*model.parameters(), *model.buffers())}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        key = storage_id(tensor)
        if key not in existing and key not in saved:  # each storage once, parameters never
            saved[key] = tensor.untyped_storage().nbytes()
        return tensor

    batch = input_shape[0]
    forward, backward = FlopCounterMode(display=False), FlopCounterMode(display=False)
    tracker = _LiveStorages(existing, batch)
    with preserved_modes(model), tracker:
        model.train()
        data = torch.empty(input_shape, device="meta")
        labels = meta_labels(loss, batch, classes)
        hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        with hooks, forward if count else nullcontext():
            value = loss_of(loss, model(data), labels)
        if value.requires_grad:
            with backward if count else nullcontext():
                value.backward()  # type: ignore[no-untyped-call]
        del data, labels, value
    grads = {storage_id(p.grad) for p in model.parameters() if p.grad is not None}
    return _Pass(
        forward_flops=forward.get_total_flops(),  # 0 where not counted
        backward_flops=backward.get_total_flops(),
        saved_bytes=sum(saved.values()),
        live=tracker.live(grads),
        totals=tracker.totals(),
    )


def capture_cut(
    make: Callable[[], torch.nn.Module],
    name: str,
    recipe: FreezeOptions,
    input_shape: tuple[int, ...],
    step: StepOptions,
    *,
    room: Callable[[int], int] | None = None,
) -> CutCapture:
    """One cut point: the model from ``make`` frozen by ``recipe`` (``unfreeze`` names what
    trains beside the new head), counted at ``input_shape``.

    With ``room`` (the bytes left for the step's live tensors once the optimizer state of
    ``trainable bytes`` is set aside), the largest batch whose step fits is solved from the
    recorded timeline and confirmed by a pass at the answer.
    """
    model = make()
    freeze_backbone(model, recipe)
    trainable = [p for p in model.parameters() if p.requires_grad]
    trainable_bytes = sum(p.numel() * p.element_size() for p in trainable)
    state = optimizer_state_bytes(step.optimizer, step.momentum, trainable_bytes, len(trainable))
    first = _run(model, input_shape, step.loss, recipe.new_classes, count=True)
    largest: int | None = None
    batch_one: int | None = None
    if room is not None:
        space = room(state)
        largest, batch_one = _solve(model, input_shape, step.loss, recipe.new_classes, first, space)
    return CutCapture(
        name=name,
        unfreeze=recipe.unfreeze,
        trainable_params=sum(p.numel() for p in trainable),
        trainable_tensors=len(trainable),
        gradient_bytes=trainable_bytes,
        optimizer_state_bytes=state,
        saved_bytes=first.saved_bytes,
        forward_flops=first.forward_flops,
        backward_flops=first.backward_flops,
        live_peak_bytes=max(first.totals, default=0),
        largest_batch=largest,
        batch_one_live_bytes=batch_one,
    )


def _solve(
    model: torch.nn.Module,
    input_shape: tuple[int, ...],
    loss: LossKind,
    classes: int,
    first: _Pass,
    space: int,
) -> tuple[int, int]:
    """The largest batch whose live peak fits ``space``, and the live peak of batch 1.

    The first pass's split (which tensors scale with the batch) gives a guess; a pass at the
    guess gives a second point of the same timeline, and the line through the two is exact.
    The answer is confirmed by a pass at it (the guess's own pass, when it was right).
    """

    def at(batch: int) -> tuple[int, ...]:
        shape = (batch, *input_shape[1:])
        return _run(model, shape, loss, classes, count=False).totals

    known = {input_shape[0]: first.totals}
    line = first.live
    guess = largest_batch(line, space)
    for _ in range(_CONFIRM_PASSES):
        probe = max(guess, 1)
        if probe not in known:
            known[probe] = at(probe)
        others = [b for b in known if b != probe]
        if len(known[probe]) != len(first.totals):
            break  # another sequence of operations at this batch: no line to draw
        if others:
            line = LiveBytes.through((others[0], known[others[0]]), (probe, known[probe]))
        answer = largest_batch(line, space)
        if answer == guess and (guess == 0 or max(known[probe]) <= space):
            return answer, line.peak(1) if 1 not in known else max(known[1])
        guess = answer
    return _walk_down(at, known, guess, space)


def _walk_down(
    at: Callable[[int], tuple[int, ...]], known: dict[int, tuple[int, ...]], start: int, space: int
) -> tuple[int, int]:
    """The slow, sure way, for a model whose step does not grow in a line with the batch: a
    search over passes, assuming only that a larger batch never needs less."""

    def fits(batch: int) -> bool:
        if batch not in known:
            known[batch] = at(batch)
        return max(known[batch], default=0) <= space

    low, high = 0, max(start, 1)  # low fits (0 trivially); high is the first candidate
    while high <= _LARGEST_BATCH and fits(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    fits(1)
    return low, max(known[1], default=0)


def too_small_budget(cuts: list[CutCapture], memory: int, kept: int) -> None:
    """Refuse a budget in which not even batch 1 of the cheapest cut fits: there is no plan
    to show, only what batch 1 needs. ``kept``: the parameters' and buffers' bytes."""
    if any(cut.largest_batch != 0 for cut in cuts):
        return
    cheapest = min(
        kept + cut.optimizer_state_bytes + (cut.batch_one_live_bytes or 0) for cut in cuts
    )
    raise OptionError(
        f"--memory {binary_bytes(memory)} is too small: one step at batch 1 needs about "
        f"{binary_bytes(cheapest)}, even when only the head trains"
    )
