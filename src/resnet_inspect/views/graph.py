"""The terminal view of a graph report: the summary table and the folded tree."""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.anatomy import Role
from resnet_inspect.report import GraphGroup, GraphOp, GraphReport, GraphSummary, Level
from resnet_inspect.views import units
from resnet_inspect.views.glyphs import ascii_text, below, branch
from resnet_inspect.views.header import header
from resnet_inspect.views.page import Page
from resnet_inspect.views.rows import section_title, stage_numbers
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, annotation, keeps, say


def summary_table(report: GraphReport, lang: Lang, width: int, ascii_only: bool = False) -> Text:
    """Node counts by type and the graph's totals; beside them, with --new-classes, the same
    numbers for the model with every parameter trainable."""
    shown = report.summary
    other = report.unfrozen_summary
    columns = [Column(say("graph_what", lang)), Column(say("graph_count", lang), right=True)]
    if other:
        columns = [
            Column(say("graph_what", lang)),
            Column(say("graph_all_trainable", lang), right=True),
            Column(say("graph_frozen", lang).format(classes=report.new_classes), right=True),
        ]
    table = TextTable(columns, ascii_only=ascii_only)

    def row(name: str, value: str, before: str = "") -> None:
        if other:
            table.add_row(name, before, value)
        else:
            table.add_row(name, value)

    kinds = list(other.counts) if other else list(shown.counts)
    for kind in kinds:
        row(kind, str(shown.counts.get(kind, 0)), str(other.counts.get(kind, 0)) if other else "")
    facts: list[tuple[str, int | str, int | str]] = [
        (say("graph_nodes", lang), shown.nodes, other.nodes if other else ""),
        (say("graph_edges", lang), shown.edges, other.edges if other else ""),
        (say("graph_leaves", lang), len(shown.leaves), len(other.leaves) if other else ""),
        (
            say("graph_longest", lang),
            shown.longest_path,
            other.longest_path if other else "",
        ),
    ]
    for name, value, earlier in facts:
        row(name, str(value), str(earlier))
    row(
        say("graph_saved", lang),
        units.binary_bytes(shown.saved_bytes),
        units.binary_bytes(other.saved_bytes) if other else "",
    )
    for section in shown.saved_bytes_by_section:
        row(
            f"  {section}",
            units.binary_bytes(shown.saved_bytes_by_section.get(section, 0)),
            units.binary_bytes(other.saved_bytes_by_section.get(section, 0)) if other else "",
        )
    return table.render(width)


def folded_tree(
    report: GraphReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Text:
    """Sections and blocks with the backward nodes their forward created, in forward order."""
    table = TextTable(
        [
            Column(say("name", lang)),
            Column(say("graph_node", lang), wrap=True, min_width=16),
            Column(say("graph_leaves_col", lang), right=True),
            Column(say("graph_saved_col", lang), right=True),
            Column(say("role", lang), wrap=True, min_width=20, style="dim"),
        ][: 5 if width >= 120 else 4],
        ascii_only=ascii_only,
    )
    show_role = width >= 120
    max_level = depth.levels_below_sections

    def ops_row(guide: str, group: GraphGroup) -> None:
        for index, op in enumerate(group.ops):
            last = index == len(group.ops) - 1
            kind = op.kind
            if op.module == group.name and group.level is Level.BLOCK:
                name = "add"  # the block's own forward: the residual add
                role = annotation(Role.RESIDUAL_ADD, lang)
                joined = " + ".join(m.removeprefix(f"{group.name}.") for m in op.inputs)
                kind = f"{op.kind} ← {joined}"
            else:
                name = op.module.removeprefix(f"{group.name}.")
                role = ""
            cells = [Cell(name, prefix=guide + branch(last)), Cell(kind), Cell(""), Cell("")]
            table.add_row(*([*cells, Cell(role)] if show_role else cells))
            if report.explained:
                table.add_note(guide + below(last), kept(op, lang))

    for number, group in stage_numbers(report.sections):
        summary = f"{group.nodes} {say('graph_nodes_lc', lang)}"
        cells = [
            Cell(section_title(group.role, group.name, lang, number), style="bold"),
            Cell(summary, style="dim"),
            Cell(str(group.leaves)),
            Cell(units.binary_bytes(group.saved_bytes)),
        ]
        table.add_row(*([*cells, Cell(annotation(group.role, lang))] if show_role else cells))
        if max_level >= 1:
            if group.children:
                for index, block in enumerate(group.children):
                    last = index == len(group.children) - 1
                    block_cells = [
                        Cell(block.name, style="bold cyan", prefix=branch(last)),
                        Cell(" → ".join(_short(op.kind) for op in block.ops), style="dim"),
                        Cell(str(block.leaves)),
                        Cell(units.binary_bytes(block.saved_bytes)),
                    ]
                    role = Cell(annotation(block.role, lang))
                    table.add_row(*([*block_cells, role] if show_role else block_cells))
                    if max_level >= 2:
                        ops_row(below(last), block)
            else:
                ops_row("", group)
    return table.render(width)


def kept(op: GraphOp, lang: Lang) -> str:
    """What a backward node keeps, why, and what it costs."""
    items = []
    for tensor in op.saved:
        cost = (
            units.binary_bytes(tensor.bytes)
            if tensor.kind == "activation"
            else say(f"keeps_{tensor.kind}", lang)
        )
        items.append(f"{tensor.name} {units.shape(tensor.shape)} ({cost})")
    listed = ", ".join(items) if items else say("keeps_nothing", lang)
    return f"{keeps(op.kind, lang)}: {listed}"


def _short(kind: str) -> str:
    """``ConvolutionBackward0`` as ``Convolution``: enough for a one-line chain."""
    return kind.removesuffix("Backward0").removesuffix("Backward1")


def leaves_text(summary: GraphSummary, lang: Lang) -> Text:
    names = ", ".join(summary.leaves)
    return Text(f"{say('graph_leaf_names', lang)} ({len(summary.leaves)}): {names}", style="dim")


def _recipe_lines(report: GraphReport, lang: Lang) -> tuple[str, ...]:
    """What the graph was built from: --images' batch, --precision, the freeze recipe."""
    lines: list[str] = []
    if report.input_from:
        lines.append(say("graph_images", lang).format(how=report.input_from))
    if report.precision != "fp32":
        by_dtype = ", ".join(
            f"{units.binary_bytes(size)} {dtype}"
            for dtype, size in report.summary.saved_bytes_by_dtype.items()
        )
        lines.append(
            say("graph_precision", lang).format(precision=report.precision, saved=by_dtype)
        )
    if report.channels_last:
        lines.append(say("simulated_channels_last", lang))
    if report.new_classes is not None:
        line = say("graph_freeze_note", lang).format(classes=report.new_classes)
        if report.unfrozen:
            line += f" ({say('unfrozen', lang).format(names=', '.join(report.unfrozen))})"
        lines.append(line)
    return tuple(lines)


def graph_view(
    report: GraphReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    top = header(
        report,
        lang,
        facts=" · " + say("loss_line", lang).format(loss=report.loss_kind),
        lines=_recipe_lines(report, lang),
        note="graph_fake_note"
        if report.precision != "fp32" or report.channels_last
        else "graph_meta_note",
    )
    bottom = leaves_text(report.summary, lang)
    if ascii_only:
        top, bottom = ascii_text(top), ascii_text(bottom)
    return Page(
        top,
        summary_table(report, lang, width, ascii_only),
        Text(""),
        folded_tree(report, depth=depth, lang=lang, width=width, ascii_only=ascii_only),
        bottom,
    )


def graph_short(report: GraphReport) -> str:
    """``GraphReport(graph resnet18 1×3×64×64: 181 nodes, 62 leaves, saved 1.80 MiB)``."""
    summary = report.summary
    facts = (
        f"{summary.nodes:,} nodes, {len(summary.leaves)} leaves, saved "
        f"{units.binary_bytes(summary.saved_bytes)}"
    )
    return f"GraphReport(graph {report.arch} {units.shape(report.input_shape)}: {facts})"
