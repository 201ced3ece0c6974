"""The one contract between capture and views: plain, frozen facts.

No torch, no formatting. Units are in the field names (``params``, ``macs``, ``bytes``);
states are enums. Views read these and never compute numbers; producers fill them and
never format strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from resnet_inspect.anatomy import Role
from resnet_inspect.words import Lang

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

SCHEMA_VERSION = 2  # 2: Node.explain is Node.formulas

SettingValue = int | float | bool | str | tuple[int, ...] | None
Shape = tuple[int, ...]


# A ReLU call whose outputs are zero more often than this is flagged as dead, and its share
# is drawn in red: one rule for the flag and the view.
DEAD_SHARE = 0.9


class FreezeState(StrEnum):
    TRAINABLE = "trainable"
    FROZEN = "frozen"
    PARTLY = "partly frozen"
    NO_PARAMETERS = "no parameters"


class Level(StrEnum):
    """Where a node sits in the tree: a section (stem, a stage, head), a block, a layer call.
    Also how far a view unfolds (``--depth stage|block|layer``)."""

    SECTION = "section"
    BLOCK = "block"
    LAYER = "layer"

    @property
    def levels_below_sections(self) -> int:
        """How many levels a view unfolding to this one shows under each section."""
        return (Level.SECTION, Level.BLOCK, Level.LAYER).index(self)


@dataclass(frozen=True)
class Setting:
    """One hyperparameter of a layer (``kernel_size=(3, 3)``) or fact of a block (``stride=2``)."""

    name: str
    value: SettingValue


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
class StepStats:
    """A node's parameters taken together: L2 norms over all their elements."""

    grad_norm: float | None
    update_norm: float
    param_norm: float
    relative_update: float | None
    tensors: int
    tensors_with_grad: int
    tensors_changed: int
    total_update_norm: float = 0.0  # ‖θ_N − θ_0‖ over all the steps


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


@dataclass(frozen=True)
class StepSummary:
    """What one forward, backward and optimizer step did, for the report's header and footer."""

    seed: int
    loss: float
    loss_kind: str
    loss_expression: str
    target: str
    optimizer: str
    optimizer_settings: tuple[Setting, ...]
    forward_s: float | None  # None where left out so that a seed gives the same bytes
    backward_s: float | None
    step_s: float | None
    global_grad_norm: float
    optimizer_state_bytes: int  # read from optimizer.state after the step
    tensors_total: int
    tensors_with_grad: int
    tensors_changed: int
    elements_changed: int
    buffers_total: int
    buffers_changed: tuple[str, ...]
    buffers_changed_by_kind: dict[str, int]  # running_mean, running_var, num_batches_tracked
    steps: int = 1  # on the same seeded batch; the norms above are the last step's
    losses: tuple[float, ...] = ()  # every step's, in order
    global_grad_norms: tuple[float, ...] = ()
    images: ImagesSummary | None = None  # --images: the real images the steps took
    precision: PrecisionSummary | None = None  # --precision bf16|fp16; None for float32
    checkpointed: tuple[str, ...] = ()  # --checkpoint: stages recomputed in backward


class FlagKind(StrEnum):
    UPDATE_LARGE = "update_large"  # ‖Δθ‖/‖θ‖ above 1e-2: the step rewrites the weights
    UPDATE_SMALL = "update_small"  # below 1e-5: the layer barely learns
    LOSS_NOT_FINITE = "loss_not_finite"
    GRAD_NOT_FINITE = "grad_not_finite"  # layers: the first, in backward order
    DEAD_RELU = "dead_relu"  # ReLU calls whose output is more than 90% exact zeros
    DECAY_ON_BATCHNORM = "decay_on_batchnorm"  # weight decay pulls BatchNorm's γ and β to 0
    BATCHNORM_SMALL_BATCH = "batchnorm_small_batch"  # fewer than 8 values per channel
    FROZEN_BATCHNORM_TRAINING = "frozen_batchnorm_training"  # frozen, yet statistics move
    SCALER_SKIPPED = "scaler_skipped"  # fp16: a gradient overflowed, GradScaler skipped a step
    GRAD_UNDERFLOW = "grad_underflow"  # fp16: more zero gradients than float32's


@dataclass(frozen=True)
class Flag:
    """Something in a step worth a look, with the layers it concerns and the number behind
    it (the largest relative update, the share of zeros, the weight decay, ...)."""

    kind: FlagKind
    layers: tuple[str, ...]
    value: float | None = None
    calls: tuple[int, ...] = ()  # for a flag about calls (dead ReLUs): each layer's call, from 1
    step: int | None = None  # with --steps N: the step (from 1) where it first happened


@dataclass(frozen=True)
class FreezeSummary:
    """The fine-tuning set-up and the one-step proof that the freeze holds."""

    new_classes: int
    head: str  # the classifier that was replaced: fc, fc.1, linear, head.fc
    head_in_features: int
    unfrozen: tuple[str, ...]
    bn_eval: bool
    batchnorms_in_eval: tuple[str, ...]
    trainable_share: float
    frozen_tensors: int
    frozen_without_grad: int
    frozen_unchanged: int
    trainable_tensors: int
    trainable_changed: int
    frozen_buffers_changed: tuple[str, ...]
    frozen_part_unchanged: bool
    holds: bool  # every frozen tensor without gradient and unchanged, every trainable one moved
    head_kind: str = "Linear"  # or Conv2d: BiT's classifier is a 1×1 conv


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
class Formula:
    """One number of a layer and the arithmetic that gives it, with the layer's own numbers:
    ``params`` = ``64·3·7·7`` = 9408. ``quantity`` names what it is (the views say it in
    words); ``expression`` is language-neutral."""

    quantity: str  # out_side, out_height, out_width, params, macs, bn_params, bn_buffers, ...
    expression: str
    value: int | float  # a float only for a field's centre, which may fall between two pixels
    detail: str = ""  # what the arithmetic is about, e.g. the two shapes a residual add adds


@dataclass(frozen=True)
class Node:
    """A section, a block, or one *call* of a leaf module (a reused ReLU has one node per call).

    Parameter counts of a module are carried by its first call only, so summing leaves
    never counts a reused module twice. ``module_call`` is False for steps of
    ``forward()`` that are not modules (the residual add, the flatten).
    """

    name: str
    level: Level
    role: Role
    kind: str
    settings: tuple[Setting, ...] = ()
    input_shape: Shape = ()
    output_shape: Shape = ()
    call: int = 1
    calls: int = 1
    module_call: bool = True
    params: int = 0
    trainable_params: int = 0
    macs: int = 0
    flops: int = 0
    activation_bytes: int = 0
    children: tuple[Node, ...] = ()
    parameters: tuple[ParamStat, ...] = ()
    step: StepStats | None = None
    zero_fraction: float | None = None  # a ReLU call's exact zeros, in the real step's forward
    formulas: tuple[Formula, ...] = ()  # with --explain: the arithmetic behind this call's numbers
    receptive_field: ReceptiveField | None = None  # of one unit of its output; None: unknown
    output_dtype: str = ""  # float32, or bfloat16 / float16 where autocast ran it so

    @property
    def frozen_params(self) -> int:
        return self.params - self.trainable_params

    @property
    def freeze_state(self) -> FreezeState:
        if not self.params:
            return FreezeState.NO_PARAMETERS
        if self.trainable_params == self.params:
            return FreezeState.TRAINABLE
        return FreezeState.FROZEN if not self.trainable_params else FreezeState.PARTLY

    def walk(self) -> list[Node]:
        """This node and every node below it, in model order."""
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes

    def setting(self, name: str) -> SettingValue:
        for item in self.settings:
            if item.name == name:
                return item.value
        raise KeyError(name)


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
    metadata: tuple[Setting, ...] = ()  # a safetensors file's header metadata
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
    inferred: tuple[Setting, ...] = ()
    assumed: tuple[Setting, ...] = ()  # what a state_dict cannot hold (stem stride, max-pool)


@dataclass(frozen=True)
class Totals:
    params: int
    trainable_params: int
    frozen_params: int
    param_bytes: int
    buffer_bytes: int
    macs: int
    flops: int
    activation_bytes: int
    input_bytes: int


class Drawable:
    """A report shows itself as its tree: ``repr``/``str`` give the plain text (what
    ``--save-text`` writes), rich draws it at the console's width and character set, Jupyter
    gets HTML and that text, once. ``format(report, "short")`` is one line for logs, and
    ``report.view(depth=..., lang=..., width=...)`` chooses the view. Drawing is the views'
    job: these only hand the report over to them, through ``_views``."""

    def view(
        self,
        *,
        depth: str = "layer",
        lang: str = "en",
        width: int = 120,
        ascii_only: bool = False,
    ) -> Any:
        """The report drawn another way: ``r.view(depth="block", lang="zh", width=100)``."""
        return _views().view_of(self, depth=depth, lang=lang, width=width, ascii_only=ascii_only)

    def _default(self) -> Any:
        return _views().default_view(self)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self._default().__rich_console__(console, options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundle: dict[str, str] = self._default()._repr_mimebundle_(include, exclude)
        return bundle

    def _repr_html_(self) -> str:
        # For frontends that ask for HTML alone; IPython takes the bundle above, never both.
        html: str = self._default().html()
        return html

    def __repr__(self) -> str:
        return str(self._default())

    def __str__(self) -> str:
        return str(self._default())

    def __format__(self, spec: str) -> str:
        if spec == "short":
            short: str = _views().short(self)
            return short
        if spec:
            raise ValueError(f"unknown format {spec!r} for a report: '' or 'short'")
        return str(self)

    def to_dict(self, lang: Lang | str = Lang.EN) -> dict[str, Any]:
        """Plain data, exactly what ``--json`` prints (see docs/json.md and the schema):
        every node carries its role's annotation in ``lang``."""
        document: dict[str, Any] = _views().report_document(self, Lang(lang))
        return document


def _views() -> Any:
    """The one deliberate lazy hook from the contract to the views (tests/test_layout.py):
    a report draws itself and writes its JSON by handing itself to ``views.output``, which
    is imported only when that happens, so that the contract stays below the views."""
    from resnet_inspect.views import output

    return output


@dataclass(frozen=True, repr=False)
class LayerReport(Drawable):
    """Every layer call of the model in its tree (stem, stages, blocks, head), with totals:
    what ``tree`` shows, and with a real step's effect on each layer what ``train-step`` and
    ``freeze`` show. (Named ModelReport before 0.2; that name still works.)"""

    command: str
    arch: str
    input_shape: Shape
    dtype: str
    num_classes: int
    weights: WeightsInfo
    shape_pass_device: str
    model: ModelInfo
    sections: tuple[Node, ...]
    totals: Totals
    step: StepSummary | None = None
    freeze: FreezeSummary | None = None
    options: tuple[Setting, ...] = ()  # the command's own options (lr, new_classes, ...)
    flags: tuple[Flag, ...] = ()  # health flags of a real step (train-step, freeze)
    channels_last: ChannelsLastSummary | None = None  # --channels-last: which rows kept it

    def nodes(self) -> list[Node]:
        return [node for section in self.sections for node in section.walk()]

    def leaves(self) -> list[Node]:
        return [node for node in self.nodes() if node.level is Level.LAYER]

    def without_timings(self) -> LayerReport:
        """The same report with its wall-clock times set to None, so that the same seed gives
        the same bytes: the one timings policy of ``--json`` and of every save."""
        if self.step is None:
            return self
        step = replace(self.step, forward_s=None, backward_s=None, step_s=None)
        return replace(self, step=step)


@dataclass(frozen=True)
class GraphNode:
    index: int
    kind: str  # the grad_fn's type: ConvolutionBackward0, AccumulateGrad, ...
    module: str  # the module whose forward created it ("loss" for the loss's own nodes)
    section: str
    param: str = ""  # for an AccumulateGrad leaf, the parameter it accumulates into
    param_shape: Shape = ()


@dataclass(frozen=True)
class GraphSummary:
    nodes: int
    edges: int
    counts: dict[str, int]  # node type -> how many
    leaves: tuple[str, ...]  # parameter names of the AccumulateGrad leaves
    longest_path: int  # edges from the loss to the farthest leaf
    saved_bytes: int
    saved_bytes_by_section: dict[str, int]
    saved_bytes_by_dtype: dict[str, int] = field(default_factory=dict)  # float32, bfloat16, …


@dataclass(frozen=True)
class SavedTensor:
    """A tensor a backward node keeps: ``input`` of a convolution, ``result1`` of BatchNorm
    (the batch mean), the max-pool's indices; ``kind`` says whether it costs memory
    (``activation``) or exists anyway (``parameter``, ``buffer``, or ``shared`` with a node
    before it)."""

    name: str
    shape: Shape
    bytes: int
    kind: str
    dtype: str = ""  # float32, bfloat16, int64 (the max-pool's indices), ...


@dataclass(frozen=True)
class GraphOp:
    kind: str
    module: str
    inputs: tuple[str, ...] = ()  # modules whose nodes it passes gradients to (the add's two)
    saved: tuple[SavedTensor, ...] = ()  # with --explain: what it keeps for backward


@dataclass(frozen=True)
class GraphGroup:
    """A section or block and the backward nodes its forward created, in forward order."""

    name: str
    level: Level
    role: Role
    ops: tuple[GraphOp, ...]
    nodes: int  # backward nodes made here, leaves included, children's too
    leaves: int
    saved_bytes: int
    children: tuple[GraphGroup, ...] = ()


@dataclass(frozen=True, repr=False)
class GraphReport(Drawable):
    """What ``graph`` found: the autograd graph of one loss, and what freezing removes."""

    command: str
    arch: str
    input_shape: Shape
    loss_kind: str
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    summary: GraphSummary
    sections: tuple[GraphGroup, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[int, int], ...]
    unfrozen_summary: GraphSummary | None = None  # with --new-classes: the same, all trainable
    new_classes: int | None = None
    unfrozen: tuple[str, ...] = ()
    options: tuple[Setting, ...] = ()
    explained: bool = False  # --explain: each op carries what it keeps for backward
    input_from: str = ""  # --images: where the input's shape came from; "" for --input
    precision: str = "fp32"  # --precision: the forward under autocast (bf16, fp16)
    channels_last: bool = False  # --channels-last: the model and the input laid out so

    def without_timings(self) -> GraphReport:
        """A graph is built on the meta device and holds no time: the report as it is."""
        return self


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


@dataclass(frozen=True)
class DiffNode:
    """A section, block or layer of the model with its tensors' changes taken together."""

    name: str
    level: Level
    role: Role
    kind: str
    tensors: int  # parameters and buffers compared here
    identical: int
    delta_norm: float  # over the parameters: sqrt of the sum of ‖B − A‖²
    base_norm: float
    relative: float | None  # delta_norm / base_norm
    max_abs: float | None  # the largest |B − A| of its parameters
    buffers_changed: int
    missing: int = 0  # tensors on one side only: neither identical nor changed
    children: tuple[DiffNode, ...] = ()
    diffs: tuple[TensorDiff, ...] = ()  # a layer's own tensors


@dataclass(frozen=True)
class DiffVerdict:
    """The questions after a fine-tune, answered: did the backbone stay put, did BatchNorm
    drift, was the head replaced or trained, did the dtype change."""

    common_tensors: int
    only_a: int
    only_b: int
    reshaped: int
    backbone_tensors: int  # parameters outside the head
    backbone_identical: int
    stages_moved: tuple[str, ...]  # sections with a changed parameter
    batchnorm_layers: int
    batchnorm_drifted: tuple[str, ...]  # layers whose running statistics changed
    batchnorm_max_relative: float | None  # largest ‖B − A‖/‖A‖ of a running_mean/var
    batches_tracked_delta: int | None  # num_batches_tracked B − A: train-mode forwards seen
    head: str  # the head's Linear (fc, fc.1, linear)
    # replaced, trained, dtype only, unchanged, only in A, only in B, missing (from both)
    head_state: str
    head_shape_a: Shape
    head_shape_b: Shape
    dtypes_a: tuple[str, ...]
    dtypes_b: tuple[str, ...]
    backbone_recast: int = 0  # of backbone_tensors: the same values in another dtype
    backbone_missing: int = 0  # of backbone_tensors: on one side only
    batchnorm_missing: tuple[str, ...] = ()  # layers whose statistics one side lacks
    recast_max_abs: float | None = None  # the largest rounding difference of a recast tensor
    a_fits: bool = True  # A's keys and shapes are the model's
    b_fits: bool = True

    @property
    def backbone_unchanged(self) -> bool:
        return self.backbone_identical == self.backbone_tensors


@dataclass(frozen=True, repr=False)
class DiffReport(Drawable):
    """What ``diff`` found between two checkpoints of one architecture."""

    command: str
    arch: str
    input_shape: Shape  # of the structure pass that gives the tree
    num_classes: int
    model: ModelInfo
    a: str
    b: str
    sections: tuple[DiffNode, ...]
    tensors: tuple[TensorDiff, ...]  # every key of either side, in model order
    verdict: DiffVerdict
    options: tuple[Setting, ...] = ()

    def without_timings(self) -> DiffReport:
        return self


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
    fits: bool | None = None  # at the solved batch: the measured step is within --memory
    # At the solved batch: the parameters and buffers with the measured growth, less --memory
    # (above 0: the process went over the budget by that much).
    process_over_bytes: int | None = None
    next_bytes: int | None = None  # at the solved batch: the plan's peak at one sample more
    next_over_bytes: int | None = None  # that peak less --memory


@dataclass(frozen=True, repr=False)
class PlanReport(Drawable):
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
    options: tuple[Setting, ...] = ()
    precisions: tuple[str, ...] = ("fp32",)  # --precision: fp32; bf16 or fp16; all three
    channels_last: bool = False  # --channels-last: every step laid out so
    breakdown: PlanBreakdown | None = None  # where the chosen depth's memory goes
    shows_breakdown: bool = False  # --breakdown: the view shows it (JSON always has it)

    def without_timings(self) -> PlanReport:
        return self


@dataclass(frozen=True, repr=False)
class ErfReport(Drawable):
    """What ``erf`` measured: the effective receptive field of one unit of one row, the mean
    absolute gradient of that unit with respect to the input (Luo et al., NeurIPS 2016),
    beside its theoretical field."""

    command: str
    arch: str
    input_shape: Shape  # one sample's
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    layer: str  # the row whose unit is measured (a stage, block or layer)
    output_shape: Shape  # that row's output for one sample
    unit: tuple[int, int]  # the unit: its row and column in that output (the centre)
    samples: int  # inputs averaged over
    inputs: str  # "random" (torch.rand under the seed) or "images"
    images: tuple[str, ...]  # the image files, when those were the inputs
    preprocessing: str  # how images were made into inputs ("" for random inputs)
    seed: int
    heat: tuple[tuple[float, ...], ...]  # H×W, the mean |∂y/∂x| over channels and samples, sum 1
    field: ReceptiveField  # the theoretical field of the row
    field_box: tuple[float, float, float, float]  # that unit's field: top, left, bottom, right
    radius_50: float  # the radius around the field's centre that holds 50% of the gradient
    radius_90: float
    field_radius: float  # half the theoretical field: (r − 1)/2 along the shorter axis
    inside_field: float  # the share of the gradient inside the theoretical field (1 in theory)
    options: tuple[Setting, ...] = ()

    @property
    def grid(self) -> list[list[float]]:
        """The heatmap as nested lists (row by row), summing to 1."""
        return [list(row) for row in self.heat]

    def without_timings(self) -> ErfReport:
        return self


@dataclass(frozen=True)
class Prediction:
    index: int
    name: str  # "" where the weights carry no class names
    probability: float  # softmax of the model's scores


@dataclass(frozen=True)
class ChannelMap:
    """One channel's activation map at a layer (``cam --maps``)."""

    channel: int
    mean: float  # its mean activation over the map: what ranks it among the strongest
    grid: tuple[tuple[float, ...], ...]  # h×w, as computed


@dataclass(frozen=True)
class CamLayer:
    """Grad-CAM at one layer: its map at the layer's resolution, and upsampled."""

    layer: str
    grid: tuple[tuple[float, ...], ...]  # ReLU(Σ α_k·A_k), h×w, as computed
    heat: tuple[tuple[float, ...], ...]  # upsampled to the input's H×W, the largest 1
    channels: tuple[ChannelMap, ...] = ()  # --maps: the strongest channels, strongest first


@dataclass(frozen=True, repr=False)
class CamReport(Drawable):
    """What ``cam`` found for one image: the model's top classes, and where in the image a
    layer's evidence for the chosen class lies (Grad-CAM, Selvaraju et al. 2017)."""

    command: str
    arch: str
    input_shape: Shape
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    image: str
    preprocessing: str
    pixels: tuple[tuple[tuple[int, int, int], ...], ...]  # the input as seen, RGB 0-255
    target: int  # the class explained
    target_name: str
    score: float  # its logit
    probability: float
    top: tuple[Prediction, ...]  # the five most probable classes
    layers: tuple[CamLayer, ...]
    options: tuple[Setting, ...] = ()

    def without_timings(self) -> CamReport:
        return self


@dataclass(frozen=True)
class ImagePrediction:
    """One image's most probable classes."""

    image: str  # its path
    folder_class: str  # its ImageFolder class folder; "" outside an ImageFolder
    top: tuple[Prediction, ...]


@dataclass(frozen=True, repr=False)
class PredictReport(Drawable):
    """What the model predicts for each image: its most probable classes (softmax of one
    eval-mode forward), with the names the weights (or ``--labels``) give them."""

    command: str
    arch: str
    input_shape: Shape  # one image, as prepared
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    preprocessing: str
    conversions: tuple[str, ...]
    names_from: str  # where the class names were read; "" where nothing names them
    predictions: tuple[ImagePrediction, ...]
    options: tuple[Setting, ...] = ()

    def without_timings(self) -> PredictReport:
        return self


Report = LayerReport | GraphReport | DiffReport | PlanReport | ErfReport | CamReport | PredictReport
ModelReport = LayerReport  # the name before 0.2
