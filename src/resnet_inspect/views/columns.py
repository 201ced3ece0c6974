"""The tree table's columns: what each shows of a row and from which console width it is
worth its room, the column sets of tree, train-step and freeze, and the table itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from resnet_inspect.report import (
    DEAD_SHARE,
    Formula,
    FreezeState,
    LayerReport,
    Level,
    ReceptiveField,
)
from resnet_inspect.views import units
from resnet_inspect.views.bars import decades_up_to, log_bar
from resnet_inspect.views.glyphs import LAST, below
from resnet_inspect.views.rows import QUALIFIED_FROM, Row, describe, node_title, visible_rows
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, node_annotation, say


@dataclass(frozen=True)
class ColumnSpec:
    """A column of the table: its heading, how to fill a row, and when it earns its room."""

    key: str
    cell: Callable[[Row, Lang, int], Cell]
    right: bool = False
    wrap: bool = False
    min_width: int = 8
    style: str = ""
    from_width: int = 0


def _name(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        return Cell(row.param.name.rsplit(".", 1)[-1], style="dim", prefix=row.guide)
    style = {Level.SECTION: "bold", Level.BLOCK: "bold cyan", Level.LAYER: ""}[row.node.level]
    title = node_title(
        row.node, lang, qualified=width >= QUALIFIED_FROM, block=row.block, stage=row.stage
    )
    return Cell(title, style=style, prefix=row.guide)


def _layer(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        return Cell(f"{say('parameter', lang)} {units.shape(row.param.shape)}", style="dim")
    return Cell(describe(row.node, lang))


def _output(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        return Cell("")
    dtype = row.node.output_dtype
    short = SHORT_DTYPES.get(dtype, dtype)  # said where not float32: autocast's rows, a .half()
    return Cell(units.shape(row.node.output_shape) + (f" {short}" if short else ""))


SHORT_DTYPES = {"float32": "", "": "", "bfloat16": "bf16", "float16": "fp16", "float64": "fp64"}


def _shapes(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        return Cell("")
    node = row.node
    return Cell(f"{units.shape(node.input_shape)} → {units.shape(node.output_shape)}")


def _trainable(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        return Cell(units.count(row.param.numel) if row.param.trainable else "")
    node = row.node
    return Cell(units.count(node.trainable_params) if node.trainable_params else "")


def _frozen(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        return Cell("" if row.param.trainable else units.count(row.param.numel))
    return Cell(units.count(row.node.frozen_params) if row.node.frozen_params else "")


def _macs(row: Row, lang: Lang, width: int) -> Cell:
    macs = 0 if row.param else row.node.macs
    return Cell(units.decimal(macs) if macs else "")


def _field(row: Row, lang: Lang, width: int) -> Cell:
    """The theoretical receptive field of one unit of the row's output; a section row also
    says how much of the input that unit sees."""
    field = None if row.param else row.node.receptive_field
    if field is None:
        return Cell("")
    text = field_size(field, lang)
    if row.node.level is Level.SECTION and not (field.shared and field.covers_input):
        text += f" · {units.share(field.coverage)}"
    return Cell(text + (" ≠" if field.mismatch else ""))


def field_size(field: ReceptiveField, lang: Lang) -> str:
    """``35`` (square), ``35×43``, or ``all`` where every unit sees one region that holds the
    whole input (after global pooling)."""
    if field.shared and field.covers_input:
        return say("field_all", lang)
    height, width = units.number(field.height.size), units.number(field.width.size)
    return height if height == width else f"{height}×{width}"


def field_lines(report: LayerReport, lang: Lang) -> list[str]:
    """Where the receptive field first covers the input, and operands on different grids."""
    leaves = {leaf.name: leaf for leaf in report.leaves()}
    fields = [(leaf.name, leaf.receptive_field) for leaf in report.leaves()]
    known = [(name, field) for name, field in fields if field is not None]
    if not known or len(report.input_shape) != 4:
        return []
    size = units.shape(report.input_shape[2:])
    first = next(((name, field) for name, field in known if field.covers_input), None)
    if first is None:
        largest = max(known, key=lambda item: item[1].coverage)[0]
        line = say("field_never", lang).format(size=size, name=largest)
    elif first[1].shared:
        reason = say(_shared_reason(leaves[first[0]].kind), lang)
        line = say("field_pooled", lang).format(size=size, name=first[0], reason=reason)
    else:
        shown = field_size(first[1], lang)
        line = say("field_covers", lang).format(size=size, name=first[0], field=shown)
    lines = [line]
    uneven = [name for name, field in known if field.mismatch]
    if uneven:
        lines.append(say("field_mismatch", lang).format(names=", ".join(uneven[:3])))
    return lines


def _shared_reason(kind: str) -> str:
    """Why every unit from this row on sees one region: what the row computes."""
    lowered = kind.lower()
    if "groupnorm" in lowered or "group_norm" in lowered:
        return "field_by_groupnorm"
    if "pool" in lowered or lowered in ("mean", "amax", "sum"):
        return "field_by_pool"
    return "field_by_other"


def _role(row: Row, lang: Lang, width: int) -> Cell:
    return Cell("" if row.param else node_annotation(row.node, lang))


def _grad(row: Row, lang: Lang, width: int) -> Cell:
    stats = row.param or row.node.step
    return Cell(units.norm(stats.grad_norm) if stats else "")


def _update(row: Row, lang: Lang, width: int) -> Cell:
    stats = row.param or row.node.step
    return Cell(units.norm(stats.update_norm) if stats else "")


def _relative(row: Row, lang: Lang, width: int) -> Cell:
    stats = row.param or row.node.step
    return Cell(units.ratio(stats.relative_update) if stats else "")


def _total(row: Row, lang: Lang, width: int) -> Cell:
    stats = row.param or row.node.step
    return Cell(units.norm(stats.total_update_norm) if stats else "")


def _zeros(row: Row, lang: Lang, width: int) -> Cell:
    fraction = None if row.param else row.node.zero_fraction
    if fraction is None:
        return Cell("")
    return Cell(units.share(fraction), style="red" if fraction > DEAD_SHARE else "")


def _relative_bar(row: Row, lang: Lang, width: int) -> Cell:
    stats = row.param or row.node.step
    return Cell(log_bar(stats.relative_update if stats else None, 8), style="magenta")


def _grad_bar(low: float, high: float) -> Callable[[Row, Lang, int], Cell]:
    """Gradient norms on nine decades up to the report's largest: their size depends on the
    loss and the model, so the scale follows them."""

    def cell(row: Row, lang: Lang, width: int) -> Cell:
        stats = row.param or row.node.step
        value = stats.grad_norm if stats else None
        return Cell(log_bar(value, 8, low=low, high=high), style="magenta")

    return cell


def _grad_scale(report: LayerReport) -> tuple[float, float]:
    return decades_up_to([node.step.grad_norm for node in report.leaves() if node.step])


NAME = ColumnSpec("name", _name)
LAYER = ColumnSpec("layer", _layer, wrap=True, min_width=14)
OUTPUT = ColumnSpec("output", _output)
PARAMS = ColumnSpec("params", _trainable, right=True)
FROZEN = ColumnSpec("frozen", _frozen, right=True)
MACS = ColumnSpec("macs", _macs, right=True)
GRAD = ColumnSpec("grad", _grad, right=True)
UPDATE = ColumnSpec("update", _update, right=True)
RELATIVE = ColumnSpec("relative", _relative, right=True)


def _state(row: Row, lang: Lang, width: int) -> Cell:
    if row.param:
        state = FreezeState.TRAINABLE if row.param.trainable else FreezeState.FROZEN
    else:
        state = row.node.freeze_state
    if state is FreezeState.NO_PARAMETERS:
        return Cell("")
    return Cell(state.value, style=_STATE_STYLES[state])


_STATE_STYLES = {
    FreezeState.TRAINABLE: "green",
    FreezeState.FROZEN: "blue",
    FreezeState.PARTLY: "yellow",
    FreezeState.NO_PARAMETERS: "",
}


def _step_extras(report: LayerReport, from_width: int) -> list[ColumnSpec]:
    """Over several steps, ‖θN − θ0‖; and each ReLU call's share of zeros."""
    extras = []
    if report.step is not None and report.step.steps > 1:
        extras.append(ColumnSpec("total_update", _total, right=True, from_width=from_width))
    extras.append(ColumnSpec("zeros", _zeros, right=True, from_width=from_width + 10))
    return extras


def freeze_columns(report: LayerReport, width: int) -> list[ColumnSpec]:
    return [
        NAME,
        ColumnSpec("layer", _layer, wrap=True, min_width=14, from_width=160),
        ColumnSpec("output", _output, from_width=140),
        ColumnSpec("trainable_col", _trainable, right=True),
        FROZEN,
        ColumnSpec("state", _state),
        GRAD,
        ColumnSpec("bar", _grad_bar(*_grad_scale(report)), min_width=8, from_width=100),
        UPDATE,
        ColumnSpec("relative", _relative, right=True, from_width=110),
        ColumnSpec("bar", _relative_bar, min_width=8, from_width=120),
        *_step_extras(report, 170),
        ColumnSpec("role", _role, wrap=True, min_width=20, style="dim", from_width=200),
    ]


def tree_columns(report: LayerReport, width: int) -> list[ColumnSpec]:
    shapes = ColumnSpec("shapes", _shapes) if width >= 150 else OUTPUT
    columns = [NAME, LAYER, shapes, PARAMS]
    if report.totals.frozen_params:
        columns.append(FROZEN)
    columns.append(MACS)
    columns.append(ColumnSpec("field", _field, right=True, from_width=100))
    columns.append(ColumnSpec("role", _role, wrap=True, min_width=20, style="dim", from_width=110))
    return columns


def step_columns(report: LayerReport, width: int) -> list[ColumnSpec]:
    columns = [NAME, ColumnSpec("layer", _layer, wrap=True, min_width=14, from_width=130), OUTPUT]
    columns.append(PARAMS)
    if report.totals.frozen_params:
        columns.append(FROZEN)
    columns += [
        GRAD,
        ColumnSpec("bar", _grad_bar(*_grad_scale(report)), min_width=8, from_width=110),
        UPDATE,
        RELATIVE,
        ColumnSpec("bar", _relative_bar, min_width=8, from_width=110),
        *_step_extras(report, 150),
    ]
    columns.append(ColumnSpec("role", _role, wrap=True, min_width=20, style="dim", from_width=180))
    return columns


def node_table(
    report: LayerReport,
    columns: list[ColumnSpec],
    *,
    depth: Level,
    lang: Lang,
    width: int,
    ascii_only: bool = False,
) -> Text:
    shown = [spec for spec in columns if width >= spec.from_width]
    table = TextTable(
        [
            Column(say(spec.key, lang), spec.right, spec.wrap, spec.min_width, spec.style)
            for spec in shown
        ],
        ascii_only=ascii_only,
    )
    with_parameters = report.step is not None
    for row in visible_rows(report.sections, depth, with_parameters):
        table.add_row(*(spec.cell(row, lang, width) for spec in shown))
        if row.param is None and row.node.formulas:
            _explain_rows(table, row, lang, ascii_only)
    return table.render(width)


def _explain_rows(table: TextTable, row: Row, lang: Lang, ascii_only: bool) -> None:
    """Under a layer: one line per formula, across the columns beside the name. In ASCII
    the product dot is ``*`` (the separator dot elsewhere becomes ``-``, a minus here)."""
    guide = row.guide
    below_guide = guide[: -len(LAST)] + below(guide.endswith(LAST)) if guide else ""
    for formula in row.node.formulas:
        text = explanation(formula, lang)
        table.add_note(below_guide, text.replace("·", "*") if ascii_only else text)


def explanation(formula: Formula, lang: Lang) -> str:
    """``output ⌊(64 + 2·3 − 7) / 2⌋ + 1 = 32``: the quantity in words, then the sum."""
    words = say("explain_" + formula.quantity, lang)
    if formula.detail:
        words = words.format(detail=formula.detail)
    return f"{words} {formula.expression} = {formula.value:,}"
