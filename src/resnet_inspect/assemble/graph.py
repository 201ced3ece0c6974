"""A walked autograd graph turned into the graph report: counts, leaves, the longest path,
saved memory, and the nodes folded by the model's sections and blocks. Pure Python."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from resnet_inspect.anatomy import LOSS_SECTION, Role
from resnet_inspect.assemble.grouping import fold_sections
from resnet_inspect.records import GraphCapture, GraphNodeRecord, Layout
from resnet_inspect.report import (
    NO_SETTINGS,
    GraphGroup,
    GraphNode,
    GraphOp,
    GraphReport,
    GraphSummary,
    Level,
    ModelInfo,
    SavedTensor,
    Settings,
    WeightsInfo,
)

LEAF = "AccumulateGrad"


FORWARD = "forward"  # how the model's own code (outside any submodule) is named in a row


def module_of(record: GraphNodeRecord) -> str:
    return record.module or FORWARD


def place(layout: Layout, module: str, after: str) -> tuple[str, str | None]:
    """Section and block of a node made by ``module`` (or by the model's own code)."""
    if module == LOSS_SECTION:
        return LOSS_SECTION, None
    return layout.section_of(module, after), layout.block_of(module)


def sections_in_order(layout: Layout) -> tuple[str, ...]:
    return ("stem", *layout.stages, "head", LOSS_SECTION)


def summarise(capture: GraphCapture, layout: Layout) -> GraphSummary:
    saved_by_section: dict[str, int] = dict.fromkeys(sections_in_order(layout), 0)
    for size, module, after in capture.saved:
        saved_by_section[place(layout, module, after)[0]] += size
    return GraphSummary(
        nodes=len(capture.nodes),
        edges=len(capture.edges),
        counts=dict(Counter(n.kind for n in capture.nodes).most_common()),
        leaves=tuple(n.param for n in sorted(capture.nodes, key=lambda n: n.order) if n.param),
        longest_path=longest_path(len(capture.nodes), capture.edges),
        saved_bytes=sum(size for size, _, _ in capture.saved),
        saved_bytes_by_section=saved_by_section,
        saved_bytes_by_dtype=capture.saved_by_dtype,
    )


def longest_path(count: int, edges: tuple[tuple[int, int], ...]) -> int:
    """Edges on the longest path from node 0 (the loss) to any leaf of the DAG."""
    children: list[list[int]] = [[] for _ in range(count)]
    for parent, child in edges:
        children[parent].append(child)
    depth = [0] * count
    done = [False] * count
    for start in range(count):  # iterative post-order: deep graphs exceed Python's recursion
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if done[node]:
                continue
            if expanded:
                depth[node] = 1 + max((depth[c] for c in children[node]), default=-1)
                done[node] = True
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in children[node] if not done[c])
    return depth[0] if count else 0


def fold(capture: GraphCapture, layout: Layout) -> tuple[GraphGroup, ...]:
    """Sections, then blocks, each with the non-leaf nodes its forward created, in order."""
    saved: Counter[str] = Counter()
    for size, module, _ in capture.saved:
        saved[module or FORWARD] += size
    inputs: dict[int, list[str]] = {}
    for parent, child in capture.edges:
        if capture.nodes[child].kind != LEAF:
            inputs.setdefault(id(capture.nodes[parent]), []).append(module_of(capture.nodes[child]))
    ordered = sorted(capture.nodes, key=lambda n: (n.order, n.kind == LEAF))
    groups = []
    for part in fold_sections(ordered, lambda r: place(layout, r.module, r.after)):
        children = tuple(
            _group(name, Level.BLOCK, _block_role(layout, name, records), records, saved, inputs)
            for name, records in part.blocks
        )
        role = {"stem": Role.STEM, "head": Role.HEAD, LOSS_SECTION: Role.LOSS}.get(
            part.name, Role.STAGE
        )
        own = _group(part.name, Level.SECTION, role, list(part.loose), saved, inputs)
        groups.append(
            replace(  # a section's totals include its blocks'
                own,
                nodes=own.nodes + sum(c.nodes for c in children),
                leaves=own.leaves + sum(c.leaves for c in children),
                saved_bytes=own.saved_bytes + sum(c.saved_bytes for c in children),
                children=children,
            )
        )
    return tuple(groups)


def _block_role(layout: Layout, block: str, records: tuple[GraphNodeRecord, ...]) -> Role:
    """Three convolutions in the branch (outside the shortcut) make a bottleneck."""
    shortcut = layout.shortcuts.get(block) or "\0"
    convs = {
        r.module
        for r in records
        if r.kind.startswith("Convolution") and not r.module.startswith(shortcut)
    }
    return Role.BOTTLENECK_BLOCK if len(convs) == 3 else Role.BASIC_BLOCK


def _group(
    name: str,
    level: Level,
    role: Role,
    records: list[GraphNodeRecord] | tuple[GraphNodeRecord, ...],
    saved: Counter[str],
    inputs: dict[int, list[str]],
) -> GraphGroup:
    modules = {module_of(r) for r in records}
    if level is Level.BLOCK:
        modules.add(name)  # the residual add is made by the block's own forward
    return GraphGroup(
        name=name,
        level=level,
        role=role,
        ops=tuple(
            GraphOp(
                r.kind,
                module_of(r),
                tuple(inputs.get(id(r), ())),
                tuple(SavedTensor(s.name, s.shape, s.bytes, s.kind, s.dtype) for s in r.saved),
            )
            for r in records
            if r.kind != LEAF
        ),
        nodes=len(records),
        leaves=sum(r.kind == LEAF for r in records),
        saved_bytes=sum(saved[m] for m in modules),
    )


def build_graph_report(
    capture: GraphCapture,
    *,
    layout: Layout,
    model: ModelInfo,
    input_shape: tuple[int, ...],
    loss_kind: str,
    num_classes: int,
    weights: WeightsInfo,
    unfrozen: GraphCapture | None = None,
    new_classes: int | None = None,
    unfreeze: tuple[str, ...] = (),
    explained: bool = False,
    options: Settings = NO_SETTINGS,
    input_from: str = "",
    precision: str = "fp32",
    channels_last: bool = False,
) -> GraphReport:
    return GraphReport(
        command="graph",
        arch=model.name,
        model=model,
        input_shape=input_shape,
        loss_kind=loss_kind,
        num_classes=num_classes,
        weights=weights,
        summary=summarise(capture, layout),
        sections=fold(capture, layout),
        nodes=tuple(
            GraphNode(
                index=i,
                kind=r.kind,
                module=module_of(r),
                section=place(layout, r.module, r.after)[0],
                param=r.param,
                param_shape=r.param_shape,
            )
            for i, r in enumerate(capture.nodes)
        ),
        edges=capture.edges,
        unfrozen_summary=summarise(unfrozen, layout) if unfrozen else None,
        new_classes=new_classes,
        unfrozen=unfreeze,
        options=options,
        explained=explained,
        input_from=input_from,
        precision=precision,
        channels_last=channels_last,
    )
