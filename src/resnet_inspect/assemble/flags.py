"""Health flags of a real step: what a person debugging it should look at first.

Each flag is decided from facts already in the report (the step's norms, each ReLU call's
zeros, the optimizer's settings, the BatchNorm calls' inputs) and names the layers it
concerns, in model order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from resnet_inspect.records import StepCapture, StructureCapture
from resnet_inspect.report import DEAD_SHARE, Flag, FlagKind, Node

UPDATE_LARGE = 1e-2  # the usual relative update is about 1e-3
UPDATE_SMALL = 1e-5
BATCHNORM_MIN_VALUES = 8  # values per channel per batch below which the statistics are noise


def step_flags(
    leaves: Sequence[Node],
    capture: StructureCapture,
    step: StepCapture,
    *,
    frozen_batchnorms: tuple[str, ...] = (),
    batchnorms_in_eval: tuple[str, ...] = (),
) -> tuple[Flag, ...]:
    """Every flag that fires, in a fixed order. ``frozen_batchnorms`` are, during a freeze,
    the BatchNorm layers whose parameters are all frozen yet which run in train mode."""
    flags: list[Flag] = []
    updates = [(n, _relative(n)) for n in leaves if n.step and n.step.tensors_with_grad]
    finite = [(n, r) for n, r in updates if math.isfinite(r)]
    large = [(n, r) for n, r in finite if r > UPDATE_LARGE]
    if large:
        flags.append(_flag(FlagKind.UPDATE_LARGE, large, max(r for _, r in large)))
    small = [(n, r) for n, r in finite if r < UPDATE_SMALL]
    scaler = step.precision.scaler if step.precision else None
    # GradScaler skipped every step: nothing moved because the optimizer never stepped (its
    # own flag says so), not because a layer learns slowly.
    never_stepped = scaler is not None and len(scaler.skipped_steps) == len(step.losses or (0,))
    if small and not never_stepped:
        flags.append(_flag(FlagKind.UPDATE_SMALL, small, min(r for _, r in small)))
    losses = step.losses or (step.loss,)
    first_loss = _first_not_finite(losses)
    if first_loss is not None:
        at = first_loss + 1 if len(losses) > 1 else None
        flags.append(Flag(FlagKind.LOSS_NOT_FINITE, (), losses[first_loss], step=at))
    broken = [
        n
        for n in leaves
        if n.step and n.step.grad_norm is not None and not math.isfinite(n.step.grad_norm)
    ]
    first_grad = _first_not_finite(step.global_grad_norms)
    if broken or first_grad is not None:
        # Backward runs from the head: the last in model order is where it appears.
        where = (broken[-1].name,) if broken else ()
        at = first_grad + 1 if first_grad is not None and len(step.global_grad_norms) > 1 else None
        flags.append(Flag(FlagKind.GRAD_NOT_FINITE, where, float(len(broken)), step=at))
    zeros = [(n, n.zero_fraction) for n in leaves if n.zero_fraction is not None]
    dead = [(n, share) for n, share in zeros if share > DEAD_SHARE]
    if dead:
        flags.append(_flag(FlagKind.DEAD_RELU, dead, max(share for _, share in dead)))
    decay = _setting(step, "weight_decay")
    if decay:
        decayed = tuple(
            name
            for name, record in capture.modules.items()
            if record.kind.startswith("BatchNorm") and record.trainable_params
        )
        if decayed:
            flags.append(Flag(FlagKind.DECAY_ON_BATCHNORM, decayed, decay))
    noisy = _small_batchnorm_batches(capture, batchnorms_in_eval)
    if noisy:
        flags.append(Flag(FlagKind.BATCHNORM_SMALL_BATCH, tuple(noisy), float(min(noisy.values()))))
    if scaler and scaler.skipped_steps:
        skipped = scaler.skipped_steps
        flags.append(Flag(FlagKind.SCALER_SKIPPED, (), float(len(skipped)), step=skipped[0]))
    underflow = step.precision.underflow if step.precision else ()
    if underflow:
        flags.append(
            Flag(
                FlagKind.GRAD_UNDERFLOW,
                tuple(found.layer for found in underflow),
                max(found.share for found in underflow),
            )
        )
    if frozen_batchnorms:
        flags.append(
            Flag(FlagKind.FROZEN_BATCHNORM_TRAINING, frozen_batchnorms, len(frozen_batchnorms))
        )
    return tuple(flags)


def _first_not_finite(values: Sequence[float]) -> int | None:
    return next((i for i, value in enumerate(values) if not math.isfinite(value)), None)


def _relative(node: Node) -> float:
    """‖Δθ‖/‖θ‖ of a layer's last step; NaN where undefined (‖θ‖ was 0)."""
    value = node.step.relative_update if node.step else None
    return math.nan if value is None else value


def _flag(kind: FlagKind, found: Sequence[tuple[Node, float]], value: float) -> Flag:
    """A flag about these layer calls; the calls are kept where a module runs more than once
    (a block's ReLU), so that each row can be found again."""
    calls = tuple(n.call for n, _ in found) if any(n.calls > 1 for n, _ in found) else ()
    return Flag(kind, tuple(n.name for n, _ in found), value, calls)


def _setting(step: StepCapture, name: str) -> float:
    value = next((s.value for s in step.optimizer_settings if s.name == name), 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def _small_batchnorm_batches(capture: StructureCapture, in_eval: tuple[str, ...]) -> dict[str, int]:
    """Train-mode BatchNorm calls that see fewer than 8 values per channel: name -> count."""
    found: dict[str, int] = {}
    for call, per_channel in capture.batchnorm_values(in_eval):
        if per_channel < BATCHNORM_MIN_VALUES:
            found[call.name] = min(per_channel, found.get(call.name, per_channel))
    return found
