"""What ``graph`` reports: the autograd graph of one loss, folded by the model."""

from __future__ import annotations

from dataclasses import dataclass, field

from resnet_inspect.anatomy import Role
from resnet_inspect.records.facts import NO_SETTINGS, ModelInfo, Settings, Shape, WeightsInfo
from resnet_inspect.report.subject import Level, Report


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
class GraphReport(Report):
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
    options: Settings = NO_SETTINGS
    explained: bool = False  # --explain: each op carries what it keeps for backward
    input_from: str = ""  # --images: where the input's shape came from; "" for --input
    precision: str = "fp32"  # --precision: the forward under autocast (bf16, fp16)
    channels_last: bool = False  # --channels-last: the model and the input laid out so
