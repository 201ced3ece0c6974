"""The terminal view: a table whose first column draws the tree, a header and a footer.

Only draws: every number comes from the report. Each command picks its columns, and each
column says from which console width it is worth its room, so the table reads at 80
columns and uses the space at 200.
"""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.report import (
    LayerReport,
    Level,
)
from resnet_inspect.views import units
from resnet_inspect.views.columns import (
    field_lines,
    freeze_columns,
    node_table,
    step_columns,
    tree_columns,
)
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text
from resnet_inspect.views.header import header
from resnet_inspect.views.page import Page
from resnet_inspect.views.step_panels import (
    flag_facts,
    freeze_facts,
    model_facts,
    step_footer_facts,
    step_header_facts,
)
from resnet_inspect.words import Lang, say


def model_view(
    report: LayerReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    """What a command prints: header, the tree with its columns, the facts, the legends."""
    stepped = report.step is not None
    if report.freeze:
        columns = freeze_columns(report, width)
    elif stepped:
        columns = step_columns(report, width)
    else:
        columns = tree_columns(report, width)
    mixed = report.step is not None and report.step.precision is not None
    top = header(
        report,
        lang,
        lines=() if stepped else field_lines(report, lang),
        note="fake_note" if mixed else "meta_note",
    )
    parts: list[Text] = []
    if stepped:
        top_facts = step_header_facts(report, lang) + flag_facts(report, lang)
        parts.append(facts_table(top_facts, width, ascii_only))
    parts.append(
        node_table(report, columns, depth=depth, lang=lang, width=width, ascii_only=ascii_only)
    )
    footer = (
        freeze_facts(report, lang) + step_footer_facts(report, lang) + model_facts(report, lang)
    )
    parts.append(facts_table(footer, width, ascii_only))
    legends = [say("legend", lang), say("units", lang)]
    if any(node.formulas for node in report.leaves()):
        legends.append(say("explain_note", lang))
    if stepped:
        legends.insert(0, say("step_legend", lang))
    bottom = Text("\n".join(legends), style="dim")
    if ascii_only:  # the tables translated their own cells; the free text is done here
        top, bottom = ascii_text(top), ascii_text(bottom)
    return Page(top, *parts, bottom)


def model_short(report: LayerReport) -> str:
    """``LayerReport(tree resnet18 1×3×64×64: 11,689,512 params, 149M MACs)``, for logs."""
    facts = f"{report.totals.params:,} params, {units.decimal(report.totals.macs)} MACs"
    if report.step is not None:
        facts += f", loss {report.step.loss:.6g}"
    shape = units.shape(report.input_shape)
    return f"{type(report).__name__}({report.command} {report.arch} {shape}: {facts})"
