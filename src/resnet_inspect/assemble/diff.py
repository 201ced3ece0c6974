"""Two checkpoints' tensors folded into the model's tree, and the verdict in facts.

The tree is the one every command shows (the structure pass, assembled as ``tree`` does);
each layer gets its own parameters' and buffers' changes, and groups take their leaves'
together: ‖B − A‖ and ‖A‖ over all their parameters, so the relative change of a stage is
that of the stage as one vector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from resnet_inspect.assemble.layers import build_model_report
from resnet_inspect.records import StructureCapture
from resnet_inspect.report import (
    NO_SETTINGS,
    DiffNode,
    DiffReport,
    DiffState,
    DiffVerdict,
    ModelInfo,
    Node,
    Settings,
    TensorDiff,
    WeightsInfo,
)


def build_diff_report(
    capture: StructureCapture,
    tensors: Sequence[TensorDiff],
    *,
    model: ModelInfo,
    a: str,
    b: str,
    options: Settings = NO_SETTINGS,
    fits: tuple[bool, bool] = (True, True),
) -> DiffReport:
    tree = build_model_report(
        capture, command="diff", model=model, weights=WeightsInfo(kind="none", name="none")
    )
    by_module: dict[str, list[TensorDiff]] = {}
    for diff in tensors:
        by_module.setdefault(diff.name.rpartition(".")[0], []).append(diff)
    sections = tuple(_node(section, by_module) for section in tree.sections)
    return DiffReport(
        command="diff",
        arch=model.name,
        input_shape=tree.input_shape,
        num_classes=tree.num_classes,
        model=model,
        a=a,
        b=b,
        sections=sections,
        tensors=tuple(tensors),
        verdict=_verdict(capture, tensors, sections, fits),
        options=options,
    )


def _node(node: Node, by_module: dict[str, list[TensorDiff]]) -> DiffNode:
    children = tuple(_node(child, by_module) for child in node.children)
    # A reused module's tensors ride on its first call, as its parameters do in the tree.
    own = tuple(by_module.get(node.name, ())) if node.module_call and node.call == 1 else ()
    every = [*own, *(d for child in children for d in _all(child))]
    params = [d for d in every if d.kind == "parameter" and d.delta_norm is not None]
    delta = math.sqrt(math.fsum(d.delta_norm**2 for d in params if d.delta_norm is not None))
    base = math.sqrt(math.fsum(d.base_norm**2 for d in params if d.base_norm is not None))
    return DiffNode(
        name=node.name,
        level=node.level,
        role=node.role,
        kind=node.kind,
        tensors=len(every),
        identical=sum(d.state is DiffState.IDENTICAL for d in every),
        delta_norm=delta,
        base_norm=base,
        relative=delta / base if base > 0 else None,
        max_abs=max((d.max_abs for d in params if d.max_abs is not None), default=None),
        buffers_changed=sum(d.kind == "buffer" and d.state is DiffState.CHANGED for d in every),
        missing=sum(d.state in _ONE_SIDE for d in every),
        children=children,
        diffs=own,
    )


def _all(node: DiffNode) -> list[TensorDiff]:
    return [*node.diffs, *(d for child in node.children for d in _all(child))]


_ONE_SIDE = (DiffState.ONLY_A, DiffState.ONLY_B)
_MOVED = (DiffState.CHANGED, DiffState.RESHAPED)  # values that were not A's


def _verdict(
    capture: StructureCapture,
    tensors: Sequence[TensorDiff],
    sections: tuple[DiffNode, ...],
    fits: tuple[bool, bool],
) -> DiffVerdict:
    head = capture.layout.head_linear
    in_head = [d for d in tensors if d.name.rpartition(".")[0] == head]
    head_weight = next((d for d in in_head if d.name.endswith(".weight")), None)
    backbone = [d for d in tensors if d.kind == "parameter" and d not in in_head]
    batchnorms = [n for n, m in capture.modules.items() if m.kind.startswith("BatchNorm")]
    statistics = {
        layer: [d for d in tensors if d.name in (f"{layer}.running_mean", f"{layer}.running_var")]
        for layer in batchnorms
    }
    drifted = tuple(
        layer
        for layer, stats in statistics.items()
        if any(d.state is DiffState.CHANGED for d in stats)
    )
    missing_statistics = tuple(
        layer
        for layer, stats in statistics.items()
        if len(stats) < 2 or any(d.state in _ONE_SIDE for d in stats)
    )
    relatives = [
        d.relative
        for layer in drifted
        for d in statistics[layer]
        if d.relative is not None and d.state is DiffState.CHANGED
    ]
    counted = [
        d.count_delta
        for d in tensors
        if d.name.endswith("num_batches_tracked") and d.count_delta is not None
    ]
    common = [d for d in tensors if d.state not in _ONE_SIDE]
    recast = [d.max_abs for d in tensors if d.state is DiffState.RECAST and d.max_abs is not None]
    return DiffVerdict(
        common_tensors=len(common),
        only_a=sum(d.state is DiffState.ONLY_A for d in tensors),
        only_b=sum(d.state is DiffState.ONLY_B for d in tensors),
        reshaped=sum(d.state is DiffState.RESHAPED for d in tensors),
        backbone_tensors=len(backbone),
        backbone_identical=sum(d.state is DiffState.IDENTICAL for d in backbone),
        stages_moved=tuple(
            s.name
            for s in sections
            if any(d.kind == "parameter" and d.state in _MOVED for d in _all(s))
            and s.name != "head"
        ),
        batchnorm_layers=len(batchnorms),
        batchnorm_drifted=drifted,
        batchnorm_max_relative=max(relatives) if relatives else None,
        batches_tracked_delta=max(counted) if counted else None,
        head=head,
        head_state=_head_state(in_head),
        head_shape_a=head_weight.shape_a if head_weight else (),
        head_shape_b=head_weight.shape_b if head_weight else (),
        dtypes_a=tuple(sorted({d.dtype_a for d in common})),
        dtypes_b=tuple(sorted({d.dtype_b for d in common})),
        backbone_recast=sum(d.state is DiffState.RECAST for d in backbone),
        backbone_missing=sum(d.state in _ONE_SIDE for d in backbone),
        batchnorm_missing=missing_statistics,
        recast_max_abs=max(recast) if recast else None,
        a_fits=fits[0],
        b_fits=fits[1],
    )


def _head_state(in_head: list[TensorDiff]) -> str:
    """What happened to the head, from its tensors' states: a side that lacks it is named,
    and a copy in another dtype is never called trained."""
    states = {d.state for d in in_head}
    if not in_head:
        return "missing"
    if DiffState.RESHAPED in states:
        return "replaced"
    if states <= {DiffState.ONLY_A}:
        return DiffState.ONLY_A.value
    if states <= {DiffState.ONLY_B}:
        return DiffState.ONLY_B.value
    if DiffState.CHANGED in states:
        return "trained"
    if states & set(_ONE_SIDE):  # part of it on one side only: say so, not "unchanged"
        return DiffState.ONLY_A.value if DiffState.ONLY_A in states else DiffState.ONLY_B.value
    if DiffState.RECAST in states:
        return DiffState.RECAST.value
    return "unchanged"
