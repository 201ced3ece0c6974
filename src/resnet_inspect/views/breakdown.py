"""``plan --breakdown``: where one depth's step memory goes, by section and block, the
layers that keep the most for backward, and the moment of the peak."""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.report import PlanBreakdown, PlanReport
from resnet_inspect.views import units
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, say

# Tensors listed per layer among those that keep the most; the rest are counted.
_LISTED = 3


def breakdown_parts(
    report: PlanReport,
    breakdown: PlanBreakdown,
    depth: str,
    lang: Lang,
    width: int,
    ascii_only: bool,
) -> list[Text]:
    """``depth``: the broken-down row's name, as the plan's tables name it."""
    title = say("breakdown_title", lang).format(
        depth=depth,
        shape=units.shape(report.input_shape),
        precision=breakdown.precision,
    )
    return [
        Text(title, style="bold"),
        _parts(breakdown, lang, ascii_only).render(width),
        Text(),
        Text(say("breakdown_keepers", lang), style="bold"),
        _keepers(breakdown, lang, ascii_only).render(width),
        Text(),
        Text(_peak(breakdown, lang)),
        Text(),
    ]


def _parts(breakdown: PlanBreakdown, lang: Lang, ascii_only: bool) -> TextTable:
    table = TextTable(
        [
            Column(say("breakdown_part", lang), min_width=8),
            Column(say("plan_saved", lang), right=True),
            Column(say("plan_gradients", lang), right=True),
            Column(say("plan_optimizer", lang), right=True),
        ],
        ascii_only=ascii_only,
    )
    blocks: dict[str, list[str]] = {}
    for block in breakdown.blocks:
        stage = next(
            (s.name for s in breakdown.sections if block.name.startswith(f"{s.name}.")), ""
        )
        blocks.setdefault(stage, []).append(block.name)
    by_name = {block.name: block for block in breakdown.blocks}
    for section in breakdown.sections:
        table.add_row(
            Cell(section.name, style="bold"),
            Cell(units.binary_bytes(section.saved_bytes), style="bold"),
            Cell(units.binary_bytes(section.gradient_bytes)),
            Cell(units.binary_bytes(section.optimizer_state_bytes)),
        )
        names = blocks.get(section.name, [])
        for index, name in enumerate(names):
            block = by_name[name]
            guide = "└─ " if index == len(names) - 1 else "├─ "
            table.add_row(
                Cell(name, prefix=guide),
                units.binary_bytes(block.saved_bytes),
                units.binary_bytes(block.gradient_bytes),
                units.binary_bytes(block.optimizer_state_bytes),
            )
    table.add_row(
        Cell(say("breakdown_total", lang), style="bold"),
        Cell(units.binary_bytes(sum(s.saved_bytes for s in breakdown.sections)), style="bold"),
        Cell(units.binary_bytes(sum(s.gradient_bytes for s in breakdown.sections))),
        Cell(units.binary_bytes(sum(s.optimizer_state_bytes for s in breakdown.sections))),
    )
    return table


def _keepers(breakdown: PlanBreakdown, lang: Lang, ascii_only: bool) -> TextTable:
    table = TextTable(
        [
            Column(say("breakdown_layer", lang), min_width=8),
            Column(say("plan_saved", lang), right=True),
            Column(say("breakdown_kept", lang), wrap=True, min_width=20),
        ],
        ascii_only=ascii_only,
    )
    for layer in breakdown.layers:
        kept = [
            f"{t.kept_for or '?'} {units.shape(t.shape)} {t.dtype} ({units.binary_bytes(t.bytes)})"
            for t in layer.tensors[:_LISTED]
        ]
        more = len(layer.tensors) - _LISTED
        if more > 0:
            kept.append(say("breakdown_more", lang).format(count=more))
        table.add_row(
            Cell(layer.name or say("breakdown_own_code", lang), style="bold"),
            units.binary_bytes(layer.saved_bytes),
            "; ".join(kept),
        )
    return table


def _peak(breakdown: PlanBreakdown, lang: Lang) -> str:
    where = breakdown.peak_module or say("breakdown_own_code", lang)
    key = {
        "forward": "breakdown_peak_forward",
        "backward": "breakdown_peak_backward",
        "step": "breakdown_peak_step",
    }.get(breakdown.peak_phase, "breakdown_peak_backward")
    return say(key, lang).format(bytes=units.binary_bytes(breakdown.peak_bytes), module=where)
