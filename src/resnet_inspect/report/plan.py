"""What ``plan`` reports: each fine-tuning depth's memory and compute, from meta passes."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.records.facts import NO_SETTINGS, ModelInfo, Settings, Shape, WeightsInfo
from resnet_inspect.report.subject import Report


@dataclass(frozen=True)
class PlanRow:
    """One fine-tuning cut: what it trains, computes and keeps, for one step at the input's
    batch size; with a budget, the largest batch whose step fits."""

    name: str  # "head", a stage ("layer4": it and every stage after it), "everything", "unfreeze"
    trains: tuple[str, ...]  # what trains beside the new head
    trainable_params: int
    trainable_share: float
    gradient_bytes: int
    optimizer_state_bytes: int
    saved_bytes: (
        int  # what autograd keeps for backward, each storage once; not parameters or buffers
    )
    forward_flops: int
    backward_flops: int
    backward_share: float  # of the full fine-tune's backward
    live_peak_bytes: int  # the most bytes alive at once in a whole step, optimizer.step() too
    peak_bytes: int  # parameters + buffers + optimizer state + live_peak_bytes
    largest_batch: int | None = None  # None without a budget; 0 when batch 1 does not fit
    precision: str = "fp32"  # fp32, or the mixed precision (bf16, fp16) the step runs in
    checkpointed: tuple[str, ...] = ()  # stages recomputed in backward (--checkpoint's rows)
    recompute_flops: int = 0  # the forward FLOPs run again in backward (in backward_flops)
    process_bytes: int = 0  # the process model: how much a training process grows by
    # The growth as a range: the estimate times the measured spread of the model's fit
    # (budget.PROCESS_LOW, PROCESS_HIGH); a --memory batch is solved so that its top fits.
    process_low_bytes: int = 0
    process_high_bytes: int = 0
    verify: tuple[RowCheck, ...] = ()  # --verify: at --input's batch, then the solved one


@dataclass(frozen=True)
class MemoryShare:
    """One part of the model at the broken-down depth: what it keeps for backward, its
    trainable parameters' gradients and the optimizer state of those."""

    name: str  # a section (stem, a stage, head, loss) or a residual block
    saved_bytes: int
    gradient_bytes: int
    optimizer_state_bytes: int


@dataclass(frozen=True)
class KeptTensor:
    """One tensor a layer keeps for backward (each storage counted once, by the first layer
    that keeps it)."""

    kept_for: str  # the first backward node that needs it, and autograd's name for it
    shape: Shape
    dtype: str
    bytes: int


@dataclass(frozen=True)
class KeepingLayer:
    name: str  # a layer, or a module's own code (``layer1.0`` for its residual add)
    saved_bytes: int
    tensors: tuple[KeptTensor, ...]  # largest first


@dataclass(frozen=True)
class PlanBreakdown:
    """Where one depth's step memory goes, at ``--input``, in the first precision."""

    row: str  # the row broken down: "everything", or "unfreeze"
    precision: str
    sections: tuple[MemoryShare, ...]  # stem, each stage, head, loss: they sum to the row's
    blocks: tuple[MemoryShare, ...]  # each residual block, in order
    layers: tuple[KeepingLayer, ...]  # the five that keep the most
    peak_bytes: int  # the row's live peak
    peak_phase: str  # forward, backward or step (optimizer.step())
    peak_module: str  # whose forward, or whose backward node, ran as the peak was reached


@dataclass(frozen=True)
class RowCheck:
    """A row's estimates checked by real steps in a fresh process (``plan --verify``)."""

    batch: int
    status: str  # "measured", or "skipped" (``reason`` says why)
    reason: str = ""
    tensor_estimate_bytes: int = 0  # the plan's live peak of the step at this batch
    tensor_peak_bytes: int = 0  # the most bytes the CPU allocator held at once in a step
    tensor_error: float = 0.0  # (estimate − measured) / measured
    process_estimate_bytes: int = 0  # the process model's growth at this batch
    process_growth_bytes: int = 0  # VmHWM over the child's baseline (import, model built)
    process_error: float = 0.0
    # The stated range of the growth at this batch, and whether the measured growth fell in it.
    process_low_bytes: int = 0
    process_high_bytes: int = 0
    process_inside: bool | None = None
    fits: bool | None = None  # at the solved batch: the measured step is within --memory
    # At the solved batch: the parameters and buffers with the measured growth, less --memory
    # (above 0: the process went over the budget by that much).
    process_over_bytes: int | None = None
    next_bytes: int | None = None  # at the solved batch: the plan's peak at one sample more
    next_over_bytes: int | None = None  # that peak less --memory


@dataclass(frozen=True, repr=False)
class PlanReport(Report):
    """What ``plan`` found: each fine-tuning cut's cost, from meta passes."""

    command: str
    arch: str
    input_shape: Shape
    num_classes: int  # of the new head
    weights: WeightsInfo
    model: ModelInfo
    optimizer: str
    params: int
    param_bytes: int
    buffer_bytes: int
    memory_bytes: int | None  # the budget, when given
    rows: tuple[PlanRow, ...]  # each depth, under each precision in turn
    options: Settings = NO_SETTINGS
    precisions: tuple[str, ...] = ("fp32",)  # --precision: fp32; bf16 or fp16; all three
    channels_last: bool = False  # --channels-last: every step laid out so
    breakdown: PlanBreakdown | None = None  # where the chosen depth's memory goes
    shows_breakdown: bool = False  # --breakdown: the view shows it (JSON always has it)
