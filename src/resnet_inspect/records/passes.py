"""What a capture pass hands over: plain facts about calls and modules, no tensors."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from resnet_inspect.records.facts import (
    NO_SETTINGS,
    ChannelsLastSummary,
    ImagesSummary,
    ParamStat,
    PrecisionSummary,
    ReceptiveField,
    Settings,
    Shape,
)


@dataclass(frozen=True)
class CallRecord:
    """One call during the forward pass: of a leaf module, or of a function that a module's
    own ``forward()`` runs outside any submodule (``out += identity``, ``F.relu``,
    ``torch.flatten``): those are what make a ResNet residual, so they are rows too."""

    name: str  # the module's name, or for a function "<owner>.<function>" ("layer1.0.add")
    call: int  # which call of this name, from 1
    input_shape: Shape
    output_shape: Shape
    output_bytes: int
    allocates: bool  # False where the output shares its input's storage (in place, a view)
    flops: int
    module_call: bool = True
    owner: str = ""  # for a function: the module whose forward ran it ("" for the model's)
    after: str = ""  # for the model's own functions: the top-level child that ran last
    kind: str = ""  # for a function: its name ("add_", "relu", "flatten", ...)
    settings: Settings = NO_SETTINGS  # for a function: its plain arguments (start_dim)
    residual: bool = False  # a function that adds two tensors of one shape: a residual add
    field: ReceptiveField | None = None  # of one unit of its output (None: not worked out)
    output_dtype: str = ""  # float32; bfloat16 where autocast ran the call in it

    @property
    def module(self) -> str:
        """The module this call is placed by: itself, or the one whose forward ran it."""
        return self.name if self.module_call else self.owner


@dataclass(frozen=True)
class Layout:
    """Where a model's residual stages are, found from what ran, never from names.

    A residual block is a module whose own forward adds a shortcut to a branch that holds a
    convolution; a stage is a container (at any depth: ``layer3``, ``stages.2.blocks``,
    ``model.layer1``) whose children that ran are all blocks. The stem is what ran before the
    first stage, the head what ran after the last.
    """

    stages: tuple[str, ...]
    blocks: dict[str, tuple[str, ...]]  # stage -> its residual blocks, in order
    shortcuts: dict[str, str]  # block -> its shortcut child (downsample, shortcut), if any
    stem: tuple[str, ...]  # row modules that ran before the first stage
    head: tuple[str, ...]  # row modules that ran after the last stage
    head_linear: str  # the head's classifier: what a new head replaces

    def section_of(self, module: str, after: str = "") -> str:
        """The section of a module, or of code a module that spans the stages runs itself
        (the model's own forward, a wrapper's) after the module ``after`` finished."""
        stage = self.stage_of(module)
        if stage:
            return stage
        spans = any(within(stage, module) for stage in self.stages)
        if module and not spans:
            # A module of the stem or the head (a timm stem, a head container): where its
            # rows are; or one that ran between stages, or not at all.
            rows = [row for row in (*self.stem, *self.head) if within(row, module)]
            if rows and all(row in self.head for row in rows):
                return "head"
            return "stem"
        # The model's own forward, or a wrapper's (self.backbone = resnet18()): its code
        # ran where the module before it finished.
        if not after:
            return "stem"
        if any(within(stage, after) for stage in self.stages):  # a wrapper finished: all ran
            return "head"
        placed = self.section_of(after)
        return "head" if placed == self.stages[-1] else placed

    def stage_of(self, module: str) -> str:
        return next((stage for stage in self.stages if within(module, stage)), "")

    def block_of(self, module: str) -> str | None:
        """``layer2.1`` for ``layer2.1.conv1``; None outside the residual blocks."""
        stage = self.stage_of(module)
        if not stage:
            return None
        return next((block for block in self.blocks[stage] if within(module, block)), None)


def within(module: str, ancestor: str) -> bool:
    """``module`` is ``ancestor`` or one of its submodules (every module is within the root)."""
    return not ancestor or module == ancestor or module.startswith(f"{ancestor}.")


@dataclass(frozen=True)
class ModuleRecord:
    """A named module: its class, hyperparameters and the parameters it owns directly."""

    name: str
    kind: str
    settings: Settings
    params: int
    trainable_params: int
    param_names: tuple[str, ...] = ()  # its own parameters, local names ("weight", "bias")


@dataclass(frozen=True)
class StructureCapture:
    """Everything one shape/FLOP pass learned about a model and an input."""

    calls: tuple[CallRecord, ...]
    modules: dict[str, ModuleRecord]
    layout: Layout
    dtype: str
    num_classes: int
    total_flops: int
    param_bytes: int
    buffer_bytes: int
    input_bytes: int

    def batchnorm_values(self, in_eval: tuple[str, ...] = ()) -> list[tuple[CallRecord, int]]:
        """Each train-mode BatchNorm call with the values per channel its batch statistics
        see (B·H·W); those ``in_eval`` use their running statistics and are left out."""
        return [
            (call, math.prod(call.input_shape) // call.input_shape[1])
            for call in self.calls
            if call.module_call
            and call.name not in in_eval
            and len(call.input_shape) >= 2
            and self.modules[call.name].kind.startswith("BatchNorm")
        ]

    def smallest_batch(self) -> int:
        """The smallest batch train-mode BatchNorm takes at this input's height and width:
        2 where a BatchNorm sees one value per channel and sample (a 1×1 map), else 1."""
        batch = self.calls[0].input_shape[0] if self.calls else 1
        per_sample = [values // batch for _, values in self.batchnorm_values()]
        return 2 if any(values <= 1 for values in per_sample) else 1

    @property
    def activation_bytes(self) -> int:
        """Outputs of the forward pass that allocate (in-place calls write into their input)."""
        return sum(call.output_bytes for call in self.calls if call.allocates)


@dataclass(frozen=True)
class StepCapture:
    """One real forward, backward and optimizer step: what it computed and changed."""

    loss: float
    loss_kind: str
    loss_expression: str
    target: str
    params: dict[str, ParamStat]
    forward_s: float
    backward_s: float
    step_s: float
    optimizer: str
    optimizer_settings: Settings
    global_grad_norm: float
    optimizer_state_bytes: int
    buffers_total: int
    buffers_changed: tuple[str, ...]
    losses: tuple[float, ...] = ()  # every step's
    global_grad_norms: tuple[float, ...] = ()
    relu_zeros: dict[str, tuple[float, ...]] | None = None  # module -> each call's zero share
    images: ImagesSummary | None = None  # --images: the real images the steps took
    precision: PrecisionSummary | None = None
    checkpointed: tuple[str, ...] = ()  # stages recomputed in backward
    channels_last: ChannelsLastSummary | None = None


@dataclass(frozen=True)
class CutCapture:
    """One fine-tuning cut, simulated on the meta device at the input's batch size."""

    name: str  # "head", a stage's name, "everything", or "unfreeze" for --unfreeze's row
    unfreeze: tuple[str, ...]  # what trains beside the new head
    trainable_params: int
    trainable_tensors: int
    gradient_bytes: int
    optimizer_state_bytes: int
    saved_bytes: int  # what autograd keeps for backward, each storage once
    forward_flops: int
    backward_flops: int
    live_peak_bytes: int  # the most bytes alive at once in forward and backward
    largest_batch: int | None = None  # with a memory budget: the largest batch that fits
    # The live peak at the smallest batch BatchNorm takes, for a budget too small.
    batch_one_live_bytes: int | None = None
    precision: str = "fp32"
    timeline: tuple[int, ...] = ()  # live bytes after each operation of the pass at --input
    located: LocatedPass | None = None  # the chosen depth's pass, followed (--breakdown)
    batch_live_bytes: int | None = None  # with a budget: the live peak at largest_batch
    next_live_bytes: int | None = None  # and at one sample more
    checkpointed: tuple[str, ...] = ()  # stages recomputed in backward


@dataclass(frozen=True)
class KeptRecord:
    """One storage autograd keeps for backward, with the layer whose forward kept it."""

    module: str  # the running module ("" for the model's own code, "loss" after the forward)
    after: str  # for the model's own code: the module that finished last (places it)
    name: (
        str  # the first node from the loss that keeps it, and its attribute: "ReluBackward0.result"
    )
    shape: Shape
    dtype: str
    bytes: int


@dataclass(frozen=True)
class LocatedPass:
    """The plan's pass at the chosen depth, followed: what each layer kept, and where the
    step was after each operation (``(phase, module)``, as the timeline's moments)."""

    kept: tuple[KeptRecord, ...]
    moments: tuple[tuple[str, str], ...]
    trainable: tuple[tuple[str, int], ...]  # each trainable parameter and its bytes


@dataclass(frozen=True)
class GraphNodeRecord:
    """One autograd node: its type, the module whose forward made it, and for a leaf the
    parameter it accumulates into."""

    kind: str
    module: str
    order: int  # when it was created, for reading the nodes in forward order
    param: str = ""
    param_shape: Shape = ()
    after: str = ""  # made by the model's own code: the top-level child that ran last
    saved: tuple[SavedRecord, ...] = ()  # with explain: what the node keeps for backward


@dataclass(frozen=True)
class SavedRecord:
    """One tensor an autograd node keeps for backward (its ``_saved_*`` attribute)."""

    name: str  # input, weight, result, result1, self, mat1, ...
    shape: Shape
    bytes: int
    kind: str  # activation, parameter, buffer, or shared (kept already by a node before it)
    dtype: str = ""  # float32, bfloat16, int64, ...


@dataclass(frozen=True)
class GraphCapture:
    nodes: tuple[GraphNodeRecord, ...]  # in walk order from the loss; index 0 is the loss
    edges: tuple[tuple[int, int], ...]  # (node, one of its next_functions)
    saved: tuple[tuple[int, str, str], ...]  # (bytes, module, after) of each saved tensor
    saved_by_dtype: dict[str, int] = field(default_factory=dict)  # the same bytes by dtype


Grid = tuple[tuple[float, ...], ...]


def counted_notes(counts: Mapping[str, int]) -> tuple[str, ...]:
    """How the images' conversions are recorded: ``grayscale repeated to RGB (2 images)``,
    each with how many images it took."""
    return tuple(
        f"{note} ({count} image{'s' if count > 1 else ''})"
        for note, count in sorted(counts.items())
    )


@dataclass(frozen=True)
class ErfCapture:
    """erf's measurement: the mean |∂unit/∂input| of one row's centre unit."""

    heat: Grid  # H×W, sums to 1
    output_shape: tuple[int, ...]  # of one sample at the row
    unit: tuple[int, int]


@dataclass(frozen=True)
class CamCapture:
    """Grad-CAM of one image at each chosen layer, and the scores it explains."""

    logits: tuple[float, ...]
    target: int
    grids: dict[str, Grid]  # at the layer's own resolution, as computed
    maps: dict[str, Grid]  # upsampled to the input, scaled so the largest is 1 (0 stays 0)
    # The layer's strongest channels (by mean activation), strongest first: (channel, mean,
    # its activation map at the layer's resolution, as computed).
    channels: dict[str, tuple[tuple[int, float, Grid], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImageRecord:
    """One image as a command read it: where, the model's scores, and what reading it took."""

    path: str
    scores: tuple[float, ...]
    conversions: tuple[str, ...] = ()  # "alpha dropped", "turned upright by its EXIF …"
