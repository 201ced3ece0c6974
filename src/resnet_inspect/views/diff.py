"""The terminal view of ``diff``: the model's tree with each part's change, and the verdict."""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text

from resnet_inspect.report import DiffNode, DiffReport, DiffState, Level
from resnet_inspect.views import units
from resnet_inspect.views.bars import log_bar
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text, below, branch
from resnet_inspect.views.page import Page
from resnet_inspect.views.rows import section_title, stage_numbers
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, annotation, say


def diff_view(
    report: DiffReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    top = _header(report, lang)
    note = Text(say("diff_note", lang), style="dim")
    if ascii_only:
        top, note = ascii_text(top), ascii_text(note)
    return Page(
        top,
        _table(report, depth=depth, lang=lang, width=width, ascii_only=ascii_only),
        facts_table(_verdict(report, lang), width, ascii_only),
        note,
    )


def _header(report: DiffReport, lang: Lang) -> Text:
    text = Text()
    text.append(report.arch, style="bold")
    text.append(f" · {report.model.kind} · diff\n")
    text.append(f"A: {report.a}\nB: {report.b}")
    return text


Row = tuple[str, DiffNode, int]  # tree guide, node, stage number of a stage's own row


def _rows(report: DiffReport, depth: Level) -> Iterator[Row]:
    deepest = depth.levels_below_sections

    def walk(node: DiffNode, prefix: str, last: bool, level: int) -> Iterator[Row]:
        yield prefix + ("" if level == 0 else branch(last)), node, 0
        if level < deepest:
            inner = "" if level == 0 else prefix + below(last)
            for index, child in enumerate(node.children):
                yield from walk(child, inner, index == len(node.children) - 1, level + 1)

    for number, section in stage_numbers(report.sections):
        for guide, node, _ in walk(section, "", True, 0):
            yield guide, node, number if node is section else 0


def _table(report: DiffReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool) -> Text:
    columns = [
        Column(say("name", lang)),
        Column(say("diff_same", lang), right=True),
        Column(say("diff_relative", lang), right=True),
        Column(say("diff_bar", lang), min_width=10),
        Column(say("diff_max", lang), right=True),
        Column(say("diff_buffers", lang), right=True),
    ]
    one_side = report.verdict.only_a + report.verdict.only_b > 0
    if one_side:  # a key one file lacks is neither the same nor changed: counted apart
        columns.insert(2, Column(say("diff_one_side", lang), right=True))
    with_role = width >= 140
    if with_role:
        columns.append(Column(say("role", lang), wrap=True, min_width=20, style="dim"))
    table = TextTable(columns, ascii_only=ascii_only)
    for guide, node, number in _rows(report, depth):
        if not node.tensors and node.level is Level.LAYER:
            continue  # a call that owns no tensor (ReLU, the add): nothing to compare
        section = node.level is Level.SECTION
        title = section_title(node.role, node.name, lang, number) if section else node.name
        cells = [
            Cell(title, style="bold" if section else "", prefix=guide),
            Cell(f"{node.identical}/{node.tensors - node.missing}"),
            *([Cell(str(node.missing) if node.missing else "")] if one_side else []),
            Cell(units.ratio(node.relative) if node.tensors - node.missing else ""),
            Cell(log_bar(node.relative, ascii_only=ascii_only), style="magenta"),
            Cell(units.norm(node.max_abs) if node.max_abs is not None else ""),
            Cell(str(node.buffers_changed) if node.buffers_changed else ""),
        ]
        if with_role:
            cells.append(Cell(annotation(node.role, lang)))
        table.add_row(*cells)
    return table.render(width)


def _verdict(report: DiffReport, lang: Lang) -> list[tuple[str, str]]:
    return [
        (say("diff_backbone", lang), _backbone(report, lang)),
        (say("diff_bn", lang), _batchnorm(report, lang)),
        (say("diff_head", lang), _head(report, lang)),
        (say("diff_dtype", lang), _dtypes(report, lang)),
        (say("diff_keys", lang), _keys(report, lang)),
    ]


def _backbone(report: DiffReport, lang: Lang) -> str:
    """Moved only where a value is not A's: a tensor in another dtype holding A's values, or
    one that a side lacks, is said as such, never counted as trained."""
    v = report.verdict
    total, missing = v.backbone_tensors, v.backbone_missing
    moved = total - v.backbone_identical - v.backbone_recast - missing
    if v.backbone_unchanged:
        return say("diff_backbone_same", lang).format(total=total)
    if missing == total:
        return say("diff_backbone_absent", lang).format(total=total)
    if moved:
        text = say("diff_backbone_moved", lang).format(
            same=v.backbone_identical, total=total, stages=", ".join(v.stages_moved)
        )
    elif v.backbone_recast == total:
        text = say("diff_backbone_all_recast", lang).format(total=total)
    elif not missing:
        text = say("diff_backbone_recast", lang).format(recast=v.backbone_recast, total=total)
    else:
        text = say("diff_backbone_kept", lang).format(compared=total - missing)
    if missing:
        text += say("diff_backbone_one_side", lang).format(missing=missing, total=total)
    return text


def _batchnorm(report: DiffReport, lang: Lang) -> str:
    v = report.verdict
    layers, missing = v.batchnorm_layers, len(v.batchnorm_missing)
    if v.batchnorm_drifted:
        largest = units.ratio(v.batchnorm_max_relative)
        text = say("diff_bn_drift", lang).format(
            drifted=len(v.batchnorm_drifted), layers=layers, largest=largest
        )
    elif missing == layers:
        return say("diff_bn_absent", lang).format(layers=layers)
    elif missing:
        text = say("diff_bn_kept", lang).format(kept=layers - missing, layers=layers)
    else:
        text = say("diff_bn_still", lang).format(layers=layers)
    statistics = (".running_mean", ".running_var")
    if not v.batchnorm_drifted and any(
        d.state is DiffState.RECAST and d.name.endswith(statistics) for d in report.tensors
    ):
        text += say("diff_bn_recast", lang)
    if missing:
        text += say("diff_bn_one_side", lang).format(missing=missing, layers=layers)
    if v.batches_tracked_delta:
        text += say("diff_bn_batches", lang).format(delta=v.batches_tracked_delta)
    return text


def _head(report: DiffReport, lang: Lang) -> str:
    v = report.verdict
    return say(f"diff_head_{v.head_state.replace(' ', '_')}", lang).format(
        head=v.head, a=units.shape(v.head_shape_a), b=units.shape(v.head_shape_b)
    )


def _dtypes(report: DiffReport, lang: Lang) -> str:
    v = report.verdict
    if v.dtypes_a == v.dtypes_b:
        return say("diff_dtype_same", lang).format(a=", ".join(v.dtypes_a))
    text = say("diff_dtype_changed", lang).format(a=", ".join(v.dtypes_a), b=", ".join(v.dtypes_b))
    changed = any(d.state in (DiffState.CHANGED, DiffState.RESHAPED) for d in report.tensors)
    if not changed and v.recast_max_abs is not None:
        if v.recast_max_abs == 0:
            text += say("diff_dtype_exact", lang)
        else:
            text += say("diff_dtype_rounded", lang).format(largest=units.norm(v.recast_max_abs))
    return text


def _keys(report: DiffReport, lang: Lang) -> str:
    v = report.verdict
    text = say("diff_keys_value", lang).format(
        common=v.common_tensors, only_a=v.only_a, only_b=v.only_b, reshaped=v.reshaped
    )
    for side, fits in (("A", v.a_fits), ("B", v.b_fits)):
        if not fits:
            text += say("diff_misfit", lang).format(side=side, arch=report.arch)
    return text


def diff_short(report: DiffReport) -> str:
    """``DiffReport(diff resnet18: 60/60 backbone tensors identical, head replaced)``."""
    v = report.verdict
    return (
        f"DiffReport(diff {report.arch}: {v.backbone_identical}/{v.backbone_tensors} "
        f"backbone tensors identical, head {v.head_state})"
    )
