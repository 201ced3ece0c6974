"""What a training step keeps in memory, and the largest batch that fits a budget.

Pure arithmetic over facts a simulated step recorded (no torch here), beside the plan's pass
that calls it and the preflight that shares its optimizer rule. The one modelling fact:
every tensor of a ResNet step either scales with the batch (activations, what autograd
saves, their gradients) or does not (parameter gradients, BatchNorm's per-channel
statistics). So at each moment of the step the live bytes are ``fixed + per_sample × B``,
exactly, and one simulated step at one batch size answers for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.config import OptimizerKind

# Adam and AdamW keep their step count as a float32 scalar tensor per parameter tensor.
ADAM_STEP_BYTES = 4


@dataclass(frozen=True)
class LiveBytes:
    """Bytes alive after each operation of one forward and backward, split into the part that
    scales with the batch and the part that does not, as recorded at batch ``batch``."""

    batch: int
    fixed: tuple[int, ...]
    per_sample: tuple[int, ...]

    def at(self, batch: int) -> tuple[int, ...]:
        return tuple(f + s * batch for f, s in zip(self.fixed, self.per_sample, strict=True))

    def peak(self, batch: int) -> int:
        return max(self.at(batch), default=0)

    @classmethod
    def through(cls, a: tuple[int, tuple[int, ...]], b: tuple[int, tuple[int, ...]]) -> LiveBytes:
        """The exact line through two recordings of the same step at two batch sizes
        (``(batch, live bytes per moment)``): no guess about which tensor scales."""
        (batch_a, live_a), (batch_b, live_b) = a, b
        step = batch_b - batch_a
        per_sample = tuple((y - x) // step for x, y in zip(live_a, live_b, strict=True))
        fixed = tuple(x - s * batch_a for x, s in zip(live_a, per_sample, strict=True))
        return cls(batch=batch_a, fixed=fixed, per_sample=per_sample)


def largest_batch(live: LiveBytes, room: int) -> int:
    """The largest B whose peak fits in ``room`` bytes (0 when not even B = 1 does)."""
    best: int | None = None
    for fixed, per_sample in zip(live.fixed, live.per_sample, strict=True):
        if per_sample <= 0:
            if fixed > room:
                return 0
            continue
        fits = (room - fixed) // per_sample
        best = fits if best is None else min(best, fits)
    return max(best if best is not None else 0, 0)


def optimizer_state_bytes(
    kind: OptimizerKind, momentum: float, trainable_bytes: int, trainable_tensors: int
) -> int:
    """What the optimizer keeps between steps for the trainable parameters: SGD one momentum
    buffer each (none without momentum), Adam and AdamW two moments each and a step count."""
    steps = ADAM_STEP_BYTES * trainable_tensors if kind is not OptimizerKind.SGD else 0
    return optimizer_state_copies(kind, momentum) * trainable_bytes + steps


def optimizer_state_copies(kind: OptimizerKind, momentum: float) -> int:
    """Parameter-sized tensors the optimizer keeps: SGD's momentum buffer (none without
    momentum), Adam's and AdamW's two moments."""
    if kind is not OptimizerKind.SGD:
        return 2
    return 1 if momentum > 0 else 0


# The process model: what a training process grows by over its baseline (torch imported,
# the model built) in its first two steps, beyond the tensors. Fitted to 72 rows measured
# here in two runs (resnet18 at 8×3×224×224 and 16×3×128×128, resnet50 at 8×3×224×224 and
# 8×3×128×128, timm's resnet26d at 8×3×224×224 and 8×3×160×160, every depth, SGD;
# benchmarks/bench_plan.py prints the table again) so that the spread of measured ÷ estimate
# is as narrow as it can be (the smallest max/min ratio), then scaled so the estimate sits
# at that spread's geometric middle. Its parts: glibc's heaps keep what the step freed and
# hand it out again in pieces, the optimizer state is made in the first step between that
# step's tensors, and the first step's one-time costs (oneDNN's kernels and caches, the
# thread pool) grow with the model.
PROCESS_FIXED = 18 * 2**20
PROCESS_PER_LIVE = 1.64
PROCESS_PER_STATE = 1.14
PROCESS_PER_PARAM = 0.21


def process_growth(live_peak: int, state: int, kept: int) -> int:
    """The process model's growth for a step whose tensors peak at ``live_peak`` bytes,
    with ``state`` bytes of optimizer state, in a model of ``kept`` parameter and buffer
    bytes."""
    return int(
        PROCESS_FIXED
        + PROCESS_PER_LIVE * live_peak
        + PROCESS_PER_STATE * state
        + PROCESS_PER_PARAM * kept
    )


# The model's spread, as measured: a row's growth over the model's estimate ranged from
# 0.80 (resnet18, + layer4 at 8×3×224×224) to 1.25 (timm's resnet26d, head only at
# 8×3×160×160) over those 72 rows, glibc's heap state moving a row by up to 26% between
# runs. A row's growth is stated as 0.78 to 1.28 times the estimate (a little wider than
# measured; its half-width is 24% of its middle), and a --memory batch is solved so that
# the range's top fits (docs/planner.md has the table).
PROCESS_LOW = 0.78
PROCESS_HIGH = 1.28


def process_range(live_peak: int, state: int, kept: int) -> tuple[int, int]:
    """The growth a training process is expected within: the model's estimate times the
    measured spread of its fit."""
    estimate = process_growth(live_peak, state, kept)
    return int(PROCESS_LOW * estimate), int(PROCESS_HIGH * estimate)


def process_room(memory: int, kept: int, state: int) -> int:
    """The most bytes a step's tensors may peak at for its process growth, at the range's
    top, to fit in ``memory`` beside ``kept`` bytes of parameters and buffers (below 0: no
    step fits)."""
    growth = (memory - kept) / PROCESS_HIGH
    rest = PROCESS_FIXED + PROCESS_PER_STATE * state + PROCESS_PER_PARAM * kept
    return int((growth - rest) / PROCESS_PER_LIVE)
