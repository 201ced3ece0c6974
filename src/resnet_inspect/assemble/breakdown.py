"""Where the memory of one depth's step goes: by section and block, the layers that keep
the most, and the moment of the peak; from the plan's followed pass, no torch."""

from __future__ import annotations

from collections import defaultdict

from resnet_inspect.anatomy import LOSS_SECTION
from resnet_inspect.budget import optimizer_state_bytes
from resnet_inspect.config import OptimizerKind
from resnet_inspect.records import CutCapture, KeptRecord, Layout
from resnet_inspect.report import KeepingLayer, KeptTensor, MemoryShare, PlanBreakdown

TOP_LAYERS = 5


def build_breakdown(
    cut: CutCapture, layout: Layout, optimizer: OptimizerKind, momentum: float
) -> PlanBreakdown:
    located = cut.located
    assert located is not None, "the chosen depth's pass is followed"
    # By owner: a layer, a module's own code ("layer1.0": its residual add), the loss, or
    # the model's own code ("").
    saved: dict[str, int] = defaultdict(int)
    kept: dict[str, list[KeptRecord]] = defaultdict(list)
    placed: dict[str, str] = {}  # owner -> section
    for record in located.kept:
        owner = record.module
        saved[owner] += record.bytes
        kept[owner].append(record)
        placed.setdefault(owner, _section(owner, record.after, layout))
    gradients: dict[str, int] = defaultdict(int)
    states: dict[str, int] = defaultdict(int)
    for name, size in located.trainable:
        owner = name.rpartition(".")[0]
        gradients[owner] += size
        # The state per parameter tensor, by the rule that gives the row's total: it adds up.
        states[owner] += optimizer_state_bytes(optimizer, momentum, size, 1)

    def share(name: str, members: list[str]) -> MemoryShare:
        return MemoryShare(
            name=name,
            saved_bytes=sum(saved[m] for m in members),
            gradient_bytes=sum(gradients[m] for m in members),
            optimizer_state_bytes=sum(states[m] for m in members),
        )

    owners = set(saved) | set(gradients)
    by_section: dict[str, list[str]] = defaultdict(list)
    for owner in owners:
        by_section[placed.get(owner) or _section(owner, "", layout)].append(owner)
    order = ["stem", *layout.stages, "head", LOSS_SECTION]
    sections = tuple(share(name, by_section[name]) for name in order if name in by_section)
    blocks = tuple(
        share(block, [o for o in owners if layout.block_of(o) == block])
        for stage in layout.stages
        for block in layout.blocks[stage]
    )
    top = sorted((owner for owner in saved if saved[owner]), key=lambda o: (-saved[o], o))
    layers = tuple(
        KeepingLayer(
            name=owner,
            saved_bytes=saved[owner],
            tensors=tuple(
                KeptTensor(kept_for=r.name, shape=r.shape, dtype=r.dtype, bytes=r.bytes)
                for r in sorted(kept[owner], key=lambda r: -r.bytes)
            ),
        )
        for owner in top[:TOP_LAYERS]
    )
    peak = max(range(len(cut.timeline)), key=cut.timeline.__getitem__, default=0)
    phase, module = located.moments[peak] if located.moments else ("", "")
    return PlanBreakdown(
        row=cut.name,
        precision=cut.precision,
        sections=sections,
        blocks=blocks,
        layers=layers,
        peak_bytes=cut.live_peak_bytes,
        peak_phase=phase,
        peak_module=module,
    )


def _section(owner: str, after: str, layout: Layout) -> str:
    if owner == LOSS_SECTION:
        return LOSS_SECTION
    return layout.section_of(owner, after)
