"""What ``tree``, ``train-step`` and ``freeze`` report: every layer call of the model in its
tree, with what a real step did to each."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import ClassVar

from resnet_inspect.anatomy import Role
from resnet_inspect.records.facts import (
    NO_SETTINGS,
    ChannelsLastSummary,
    ImagesSummary,
    ModelInfo,
    ParamStat,
    PrecisionSummary,
    ReceptiveField,
    Settings,
    SettingValue,
    Shape,
    WeightsInfo,
)
from resnet_inspect.report.subject import Level, Report

# A ReLU call whose outputs are zero more often than this is flagged as dead, and its share
# is drawn in red: one rule for the flag and the view.
DEAD_SHARE = 0.9


class FreezeState(StrEnum):
    TRAINABLE = "trainable"
    FROZEN = "frozen"
    PARTLY = "partly frozen"
    NO_PARAMETERS = "no parameters"


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
class StepSummary:
    """What one forward, backward and optimizer step did, for the report's header and footer."""

    seed: int
    loss: float
    loss_kind: str
    loss_expression: str
    target: str
    optimizer: str
    optimizer_settings: Settings
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
    settings: Settings = NO_SETTINGS
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

    # Facts derived from the fields that a reader of the JSON wants too (report.document).
    DERIVED: ClassVar[tuple[str, ...]] = ("frozen_params", "freeze_state")

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


@dataclass(frozen=True, repr=False)
class LayerReport(Report):
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
    options: Settings = NO_SETTINGS  # the command's own options (lr, new_classes, ...)
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
