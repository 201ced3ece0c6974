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
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from resnet_inspect.budget import (
    LiveBytes,
    largest_batch,
    optimizer_state_bytes,
    process_range,
)
from resnet_inspect.capture.cpu_batchnorm import CpuBatchNorm
from resnet_inspect.capture.freezing import freeze_backbone
from resnet_inspect.capture.instrument import (
    model_dtype,
    preserved_modes,
    resident_storages,
    storage_id,
)
from resnet_inspect.capture.moments import Locator
from resnet_inspect.capture.precision import autocasting
from resnet_inspect.capture.recompute import checkpointed
from resnet_inspect.capture.step import loss_of, make_optimizer, meta_labels
from resnet_inspect.config import LARGEST_BATCH, FreezeOptions, LossKind, Precision, StepOptions
from resnet_inspect.errors import OptionError
from resnet_inspect.quantities import binary_bytes
from resnet_inspect.records import CutCapture

# A batch solve that has not settled after this many confirming passes searches instead.
_CONFIRM_PASSES = 4


class _Everywhere:
    """A module tracker that places every operation in one bucket, "Global"."""

    parents = frozenset({"Global"})

    def __enter__(self) -> _Everywhere:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _Flops(FlopCounterMode):
    """FlopCounterMode's own counting (its registry, its decompositions), without its
    per-module tracker: the plan needs totals only, and that tracker's backward hooks keep
    the tensors a checkpointed stage recomputes alive after their use (resnet18's step at
    8×3×224×224 with every stage checkpointed read 260 MB live with it, 184 MB without, as
    a real step allocates)."""

    def __init__(self) -> None:
        super().__init__(display=False)
        self.mod_tracker = _Everywhere()  # type: ignore[assignment]


_THRESHOLD_BACKWARD = torch.ops.aten.threshold_backward.default


class _LiveStorages(TorchDispatchMode):
    """Every storage an operation creates, from its creation until it is released.

    Storages that existed before (parameters, buffers) are known up front and never
    counted; a view or an in-place result shares a storage already seen. After each
    operation the live bytes are sampled, split by whether the tensor's first dimension is
    the batch.
    """

    def __init__(
        self, existing: set[int], batch: int, after_each: Callable[[], None] | None = None
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.batch = batch
        self.after_each = after_each  # a Locator, on the followed pass
        # Set while the Locator reads what the graph keeps: reading a saved tensor makes a
        # view of it (an operation that allocates nothing), which the step itself never runs.
        self.paused = False
        # Set for the optimizer's step: its temporaries are parameter-sized, whatever their
        # first dimension happens to equal.
        self.fixed_only = False
        self.seen: dict[int, Any] = dict.fromkeys(existing)
        self.events: list[tuple[int, int, bool]] = []  # (storage, ± bytes, scales with batch)
        self.marks: list[int] = []  # len(events) after each operation

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        if self.paused:
            return func(*args, **(kwargs or {}))
        if func is _THRESHOLD_BACKWARD and args[0].device.type == "meta":
            # ReLU's backward: on meta, torch runs a Python decomposition of it (a where()
            # over two tensors) only to make one tensor shaped as the gradient; a fifth of
            # a resnet50 pass went there. That tensor is made directly.
            out = torch.empty_like(args[0])
        else:
            out = func(*args, **(kwargs or {}))
        for item in tree_leaves(out):
            if not isinstance(item, torch.Tensor):
                continue
            storage = item.untyped_storage()
            key = int(storage._cdata)
            if key in self.seen:
                continue
            size = storage.nbytes()
            scales = not self.fixed_only and item.dim() >= 1 and item.shape[0] == self.batch
            self.events.append((key, size, scales))
            self.seen[key] = weakref.finalize(storage, self._released, key, size, scales)
        self.marks.append(len(self.events))
        if self.after_each is not None:
            self.after_each()
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


def _steady_state(model: torch.nn.Module, step: StepOptions) -> torch.optim.Optimizer:
    """The step's optimizer over the trainable parameters, with the state a first step
    leaves (momentum buffers, Adam's moments and step counts): every later step's state,
    which the plan counts apart (``optimizer_state_bytes``)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(trainable, step)
    for param in trainable:
        param.grad = torch.zeros_like(param)
    optimizer.step()
    optimizer.zero_grad()
    return optimizer


def _state_tensors(optimizer: torch.optim.Optimizer | None) -> list[torch.Tensor]:
    if optimizer is None:
        return []
    return [v for s in optimizer.state.values() for v in s.values() if isinstance(v, torch.Tensor)]


@dataclass
class _Pass:
    forward_flops: int
    backward_flops: int
    saved_bytes: int
    live: LiveBytes
    totals: tuple[int, ...]


def _run(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    input_shape: tuple[int, ...],
    loss: LossKind,
    classes: int,
    *,
    count: bool,
    precision: Precision = Precision.FP32,
    channels_last: bool = False,
    locator: Locator | None = None,
) -> _Pass:
    """One train-mode step on meta, watched, as a training loop's second step takes it:
    ``zero_grad()`` (gradients set to None), forward, loss, backward, ``optimizer.step()``
    with the optimizer state of an earlier step already there (see ``_steady_state``). The
    optimizer is torch's own, with the implementation it picks for CPU tensors, so its
    temporaries (Adam's ``exp_avg_sq.sqrt() / bias_correction2_sqrt``, SGD's
    ``grad + weight_decay * param``) are counted as a real step allocates them. A
    ``locator`` follows the pass: where each operation ran, and who kept what."""
    for param in model.parameters():
        param.grad = None
    existing = resident_storages(model) | {storage_id(t) for t in _state_tensors(optimizer)}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        key = storage_id(tensor)
        if key not in existing and key not in saved:  # each storage once, parameters never
            saved[key] = tensor.untyped_storage().nbytes()
            if locator is not None:
                locator.saved(key, tensor)
        return tensor

    batch = input_shape[0]
    forward, backward = _Flops(), _Flops()
    tracker = _LiveStorages(existing, batch, locator)
    with preserved_modes(model), tracker:
        model.train()
        dtype = model_dtype(model)
        device = next(model.parameters()).device  # meta, or a simulated CPU (mixed precision)
        data = torch.empty(input_shape, dtype=dtype, device=device)
        if channels_last:
            data = data.contiguous(memory_format=torch.channels_last)
        labels = meta_labels(loss, batch, classes, dtype, device)
        hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        # BatchNorm as the CPU computes it, on top of the modes: FlopCounterMode would
        # otherwise run its decomposition, whose statistics are not the CPU's. Autocast
        # covers the forward and the loss, as a training script's does.
        counted = forward if count else nullcontext()
        followed = locator.forward() if locator is not None else nullcontext()
        casting = autocasting(precision, device.type)
        with hooks, counted, CpuBatchNorm(), casting, followed:
            value = loss_of(loss, model(data), labels)
        if locator is not None:
            tracker.paused = True
            locator.read_graph(value.grad_fn)
            tracker.paused = False
        if value.requires_grad:
            with backward if count else nullcontext(), CpuBatchNorm():
                value.backward()  # type: ignore[no-untyped-call]
        if optimizer is not None:
            # The batch, the labels and the loss are still alive, as in a training loop.
            tracker.fixed_only = True
            if locator is not None:
                locator.stepping = True
            optimizer.step()
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
    smallest: int = 1,
    flops_from: CutCapture | None = None,
    same_as: CutCapture | None = None,
    checkpoint: tuple[str, ...] = (),
    follow: bool = False,
    recompute_flops: int = 0,
) -> CutCapture:
    """One cut point: the model from ``make`` frozen by ``recipe`` (``unfreeze`` names what
    trains beside the new head), counted at ``input_shape``.

    With ``room`` (the bytes left for the step's live tensors once the optimizer state of
    ``trainable bytes`` is set aside), the largest batch whose step fits is solved from the
    recorded timeline and confirmed by a pass at the answer; no batch below ``smallest``
    (what train-mode BatchNorm takes at this size) is ever run or answered.

    Two shortcuts for the same cut under another precision, each taken only where it is
    exact: ``flops_from``'s FLOPs (counted by shape, so the same in every dtype) instead of
    counting again; and ``same_as``'s batch answer when this pass's timeline is identical
    to its (the same operations, the same bytes: float16 and bfloat16 are both 2 bytes, and
    where autocast treats them alike every later pass would repeat it).

    ``checkpoint`` names stages recomputed in backward (``capture.recompute``); its FLOPs
    may come from the same depth without it (``flops_from``), whose backward then runs
    ``recompute_flops`` more: the stages' forward, again. ``follow`` records where the pass
    at ``input_shape`` was after each operation and who kept what.
    """
    model = make()
    freeze_backbone(model, recipe)
    # A followed pass reads every node's saved tensors, which for a checkpointed stage
    # would run its recomputation then and there: checkpointed rows are never followed.
    follow = follow and not checkpoint
    with checkpointed(model, checkpoint, preserve_rng=False):
        cut = _capture(
            model, name, recipe, input_shape, step, room, smallest, flops_from, same_as, follow
        )
    return replace(
        cut, checkpointed=checkpoint, backward_flops=cut.backward_flops + recompute_flops
    )


def _capture(
    model: torch.nn.Module,
    name: str,
    recipe: FreezeOptions,
    input_shape: tuple[int, ...],
    step: StepOptions,
    room: Callable[[int], int] | None,
    smallest: int,
    flops_from: CutCapture | None,
    same_as: CutCapture | None,
    follow: bool,
) -> CutCapture:
    trainable = [p for p in model.parameters() if p.requires_grad]
    trainable_bytes = sum(p.numel() * p.element_size() for p in trainable)
    state = optimizer_state_bytes(step.optimizer, step.momentum, trainable_bytes, len(trainable))
    optimizer = _steady_state(model, step) if trainable else None
    locator = Locator(model) if follow else None
    first = _run(
        model,
        optimizer,
        input_shape,
        step.loss,
        recipe.new_classes,
        count=flops_from is None,
        precision=step.precision,
        channels_last=step.channels_last,
        locator=locator,
    )
    if flops_from is not None:
        first = replace(
            first,
            forward_flops=flops_from.forward_flops,
            backward_flops=flops_from.backward_flops,
        )
    largest: int | None = None
    batch_one: int | None = None
    peaks: tuple[int | None, int | None] = (None, None)
    repeated = same_as is not None and same_as.timeline == first.totals
    if room is not None and repeated and same_as is not None:
        largest, batch_one = same_as.largest_batch, same_as.batch_one_live_bytes
        peaks = (same_as.batch_live_bytes, same_as.next_live_bytes)
    elif room is not None:
        space = room(state)
        largest, batch_one, peaks = _solve(
            model,
            optimizer,
            input_shape,
            step.loss,
            recipe.new_classes,
            first,
            space,
            smallest,
            step.precision,
            step.channels_last,
        )
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
        batch_live_bytes=peaks[0],
        next_live_bytes=peaks[1],
        precision=step.precision.value,
        timeline=first.totals,
        located=locator.result() if locator is not None else None,
    )


def _solve(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    input_shape: tuple[int, ...],
    loss: LossKind,
    classes: int,
    first: _Pass,
    space: int,
    smallest: int,
    precision: Precision = Precision.FP32,
    channels_last: bool = False,
) -> tuple[int, int, tuple[int | None, int | None]]:
    """The largest batch whose live peak fits ``space`` (0 when ``smallest`` does not), the
    live peak at ``smallest``, and the live peaks at the answer and one sample more.

    The first pass's split (which tensors scale with the batch) gives a guess; a pass at the
    guess gives a second point of the same timeline, and the line through the two is exact.
    The answer is confirmed by a pass at it (the guess's own pass, when it was right).
    """

    def at(batch: int) -> tuple[int, ...]:
        shape = (batch, *input_shape[1:])
        return _run(
            model,
            optimizer,
            shape,
            loss,
            classes,
            count=False,
            precision=precision,
            channels_last=channels_last,
        ).totals

    known = {input_shape[0]: first.totals}
    line = first.live
    guess = _capped(largest_batch(line, space))
    for _ in range(_CONFIRM_PASSES):
        probe = max(guess, smallest)
        if probe not in known:
            known[probe] = at(probe)
        others = [b for b in known if b != probe]
        if len(known[probe]) != len(first.totals):
            break  # another sequence of operations at this batch: no line to draw
        if others:
            line = LiveBytes.through((others[0], known[others[0]]), (probe, known[probe]))
        answer = _capped(largest_batch(line, space))
        if answer < smallest:
            answer = 0
        if answer == guess and (guess == 0 or max(known[probe]) <= space):
            least = max(known[smallest]) if smallest in known else line.peak(smallest)
            if not answer:
                return answer, least, (None, None)
            at_answer = max(known[answer]) if answer in known else line.peak(answer)
            return answer, least, (at_answer, line.peak(answer + 1))
        guess = answer
    return _walk_down(at, known, guess, space, smallest)


def _capped(batch: int) -> int:
    """No answer above the largest batch ``--input`` takes (a huge budget says "at least")."""
    return min(batch, LARGEST_BATCH)


def _walk_down(
    at: Callable[[int], tuple[int, ...]],
    known: dict[int, tuple[int, ...]],
    start: int,
    space: int,
    smallest: int,
) -> tuple[int, int, tuple[int | None, int | None]]:
    """The slow, sure way, for a model whose step does not grow in a line with the batch: a
    search over passes, assuming only that a larger batch never needs less."""

    def fits(batch: int) -> bool:
        if batch not in known:
            known[batch] = at(batch)
        return max(known[batch], default=0) <= space

    if not fits(smallest):
        return 0, max(known[smallest], default=0), (None, None)
    low, high = smallest, max(start, smallest + 1)  # low fits; high is the first candidate
    while high <= LARGEST_BATCH and fits(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    answer = min(low, LARGEST_BATCH)
    after = max(known[answer + 1]) if answer + 1 in known else None
    return answer, max(known[smallest], default=0), (max(known[answer]), after)


def too_small_budget(cuts: list[CutCapture], memory: int, kept: int, smallest: int = 1) -> None:
    """Refuse a budget in which not even the smallest batch (1, or 2 where BatchNorm needs
    it) of the cheapest cut fits: there is no plan to show, only what that batch needs (the
    parameters and buffers, and the process's growth at the top of its stated range).
    ``kept``: the parameters' and buffers' bytes."""
    if any(cut.largest_batch != 0 for cut in cuts):
        return
    cheapest = min(
        kept + process_range(cut.batch_one_live_bytes or 0, cut.optimizer_state_bytes, kept)[1]
        for cut in cuts
    )
    raise OptionError(
        f"--memory {binary_bytes(memory)} is too small: one step at batch {smallest} needs about "
        f"{binary_bytes(cheapest)}, even when only the head trains"
    )
