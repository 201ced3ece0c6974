"""Facts a capture pass measures that reach the report unchanged: a layer's settings, a
receptive field, where the weights came from, a parameter's step, a tensor's difference.

They are part of the JSON contract (the report types hold them, report.document writes the
schema from both), and they sit below it: capture makes these and records, never a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SettingValue = int | float | bool | str | tuple[int, ...] | None
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Setting:
    """One hyperparameter of a layer (``kernel_size=(3, 3)``) or fact of a block (``stride=2``)."""

    name: str
    value: SettingValue


class Settings(tuple[Setting, ...]):
    """Named values (a layer's hyperparameters, a command's options): in JSON an object
    ``{name: value}``, in Python a tuple of Setting, in order."""

    __slots__ = ()


NO_SETTINGS = Settings()  # the default of every Settings field (one immutable empty value)


@dataclass(frozen=True)
class WeightsInfo:
    """Where the weights came from, and what the source says about them."""

    kind: str  # none, pretrained, file, hub (a file of the local Hugging Face cache)
    name: str
    num_classes: int = 1000
    path: str = ""  # the file read, or where torchvision caches the pretrained one
    url: str = ""
    top1: float | None = None  # ImageNet-1K accuracy, in percent, as torchvision reports it
    top5: float | None = None
    metadata: Settings = NO_SETTINGS  # a safetensors file's header metadata
    # How a file's keys fitted the model: "" as saved; "removed module." (a wrapper's prefix
    # taken off every key); "kept model." (a prefix every key has, the model's own names too).
    keys: str = ""
    dtypes: tuple[str, ...] = ()  # a file's floating-point dtypes (float16 on the Hub, often)
    float_bytes: int = 0  # those tensors' bytes in the file


@dataclass(frozen=True)
class ModelInfo:
    """Which model was inspected and how it was made: a torchvision architecture, one inferred
    from a checkpoint (with what was read off it and what had to be assumed), the user's own
    code, or a module given to the library."""

    kind: str  # torchvision, inferred, user, module
    name: str  # resnet18, "ResNet(BasicBlock, [1, 1, 1, 1]) variant", models.py:build, MyNet
    built_on: str = "meta"  # where the model was built; "cpu" where the factory needs values
    note: str = ""  # why it was not built on meta: the factory's own error there
    inferred: Settings = NO_SETTINGS
    assumed: Settings = NO_SETTINGS  # what a state_dict cannot hold (stem stride, max-pool)


@dataclass(frozen=True)
class FieldAxis:
    """A receptive field along one axis (height or width), in input pixels: pixel centres
    are at 0, 1, …, H − 1, and padding lies outside them."""

    size: float  # r: how many input pixels one unit sees
    jump: float  # j: the distance between the fields of neighbouring units (effective stride)
    start: float  # the centre of the first unit's field (negative: it reaches into padding)
    units: int  # units along this axis in the output


@dataclass(frozen=True)
class ReceptiveField:
    """What one unit of a layer's output can see of the input, in theory: worked out from
    kernels, strides, padding and dilations through every branch (see capture.receptive)."""

    height: FieldAxis
    width: FieldAxis
    shared: bool = False  # every unit sees one same region (after a global pool or an SE gate)
    mismatch: bool = False  # an add joined operands on different grids (another jump)
    coverage: float = 0.0  # the share of the input the unit nearest its centre sees
    covers_input: bool = False  # that unit sees every input pixel


@dataclass(frozen=True)
class ParamStat:
    """One parameter tensor before and after a real training step.

    ``grad_norm`` is None when no gradient reached the parameter (it was not in the
    autograd graph, e.g. frozen), which is not the same as a gradient of zero.
    """

    name: str
    shape: Shape
    numel: int
    trainable: bool
    grad_norm: float | None
    update_norm: float
    param_norm: float
    relative_update: float | None
    changed: bool  # after the last step, against before the first
    total_update_norm: float = 0.0  # ‖θ_N − θ_0‖ over all the steps (the last one's alone: 1)


@dataclass(frozen=True)
class OpCount:
    """An aten operation and how many times a forward ran it."""

    name: str
    calls: int


@dataclass(frozen=True)
class ScalerSummary:
    """What float16's GradScaler did over the steps."""

    initial_scale: float
    final_scale: float
    skipped_steps: tuple[int, ...]  # from 1: where a gradient overflowed and the step was skipped


@dataclass(frozen=True)
class ZeroGradients:
    """A layer whose float16 step's gradients were more often exactly zero than a float32
    step's on the same batch and weights: they underflowed."""

    layer: str
    share: float  # of its gradient elements, exactly zero in the float16 step
    float32_share: float  # the same in float32


@dataclass(frozen=True)
class PrecisionSummary:
    """How a mixed-precision forward really ran (``--precision bf16|fp16``), measured at
    the dispatcher below autocast in the last step's forward."""

    precision: str  # bf16, fp16
    dtype: str  # bfloat16, float16
    lower: tuple[OpCount, ...]  # operations whose outputs were in ``dtype``
    mixed: tuple[OpCount, ...]  # both: batch_norm's output in ``dtype``, its statistics float32
    float32: tuple[OpCount, ...]  # operations autocast left in float32 (the loss, …)
    casts: int  # autocast's casts (weights and inputs to ``dtype``, back to float32)
    cast_bytes: int
    scaler: ScalerSummary | None = None  # fp16 only
    # fp16: layers whose share of zero gradients grew against float32's (the last step)
    underflow: tuple[ZeroGradients, ...] = ()


@dataclass(frozen=True)
class FormatChange:
    """A row that took a channels_last input and gave a 4-d output in another layout: a
    copy (its output's bytes) that undoes channels_last for the rows after it."""

    name: str
    to: str  # contiguous, other
    bytes: int


@dataclass(frozen=True)
class ChannelsLastSummary:
    """``--channels-last``: the model and the input in ``torch.channels_last``, and which
    calls kept it, read off the strides of the last real forward's outputs: every leaf
    module's call, and every function a module's own forward runs (``x.reshape``, ``+``)."""

    rows: int  # calls with a 4-d output
    kept: int  # of them, in channels_last
    changes: tuple[FormatChange, ...]  # where a row turned it back


@dataclass(frozen=True)
class ImagesSummary:
    """The real images a step took (``--images``), and how they were made its input."""

    paths: tuple[str, ...]  # as given
    found: int  # image files the paths name
    classes: tuple[str, ...]  # an ImageFolder's classes, in label order; () without labels
    ignored: int  # image files at an ImageFolder's top, which it does not read
    batch: int  # images a step
    shuffled: bool  # in an order drawn from the seed; else as found
    used: int  # distinct images the steps took
    taken: int  # images the steps took in all (steps × batch)
    preprocessing: str
    conversions: tuple[str, ...] = ()  # "grayscale repeated to RGB (2 images)"


class DiffState(StrEnum):
    IDENTICAL = "identical"  # same shape, dtype and every bit
    CHANGED = "changed"
    RESHAPED = "reshaped"  # another shape (a replaced head): not comparable value by value
    # Another dtype, and nothing else: one side is the other rounded to its dtype (a lossless
    # float32 → float64 copy, or a half-precision export), so no value was trained.
    RECAST = "dtype only"
    ONLY_A = "only in A"
    ONLY_B = "only in B"


@dataclass(frozen=True)
class TensorDiff:
    """One tensor of two checkpoints, compared in float64 whatever its stored dtype."""

    name: str
    kind: str  # parameter, buffer, or other (a key the model does not have)
    state: DiffState
    shape_a: Shape
    shape_b: Shape
    dtype_a: str
    dtype_b: str
    delta_norm: float | None = None  # ‖B − A‖
    base_norm: float | None = None  # ‖A‖
    relative: float | None = None  # ‖B − A‖ / ‖A‖; None where ‖A‖ is 0 or shapes differ
    max_abs: float | None = None  # max |B − A|
    count_delta: int | None = None  # an integer scalar (num_batches_tracked): B − A
