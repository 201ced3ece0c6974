"""The terminal view: a table whose first column draws the tree, a header and a footer.

Only draws: every number comes from the report. Each command picks its columns, and each
column says from which console width it is worth its room, so the table reads at 80
columns and uses the space at 200.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from resnet_inspect.anatomy import Role
from resnet_inspect.report import (
    DEAD_SHARE,
    Flag,
    FlagKind,
    Formula,
    FreezeState,
    LayerReport,
    Level,
    Node,
    OpCount,
    ParamStat,
    ReceptiveField,
    SettingValue,
    StepSummary,
)
from resnet_inspect.views import units
from resnet_inspect.views.bars import decades_up_to, log_bar, sparkline
from resnet_inspect.views.glyphs import LAST, ascii_text, below, branch
from resnet_inspect.views.header import header
from resnet_inspect.views.page import Page
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, node_annotation, say, section_name

QUALIFIED_FROM = 100  # below: names relative to their block, the guides show the rest


@dataclass(frozen=True)
class Row:
    """One line of the tree: a node, or one parameter of the layer just above it."""

    guide: str
    node: Node
    param: ParamStat | None = None
    block: str = ""  # the block the node sits in: names below it are shown relative to it
    stage: int = 0  # for a stage's own row: its number, from 1


def visible_rows(
    sections: tuple[Node, ...], depth: Level, with_parameters: bool = False
) -> Iterator[Row]:
    """Nodes in model order with their tree guides, down to the requested depth.

    With ``with_parameters``, a layer that owns several parameters (BatchNorm's weight and
    bias, fc's weight and bias) is followed by one row per parameter.
    """
    max_level = depth.levels_below_sections

    def walk(
        node: Node, prefix: str, last: bool, level: int, block: str, stage: int = 0
    ) -> Iterator[Row]:
        yield Row(prefix + ("" if level == 0 else branch(last)), node, block=block, stage=stage)
        child_prefix = "" if level == 0 else prefix + below(last)
        if with_parameters and len(node.parameters) > 1 and level <= max_level:
            for param in node.parameters:
                yield Row(child_prefix + "· ", node, param)
        if level >= max_level:
            return
        inner = node.name if node.level is Level.BLOCK else block
        for index, child in enumerate(node.children):
            last_child = index == len(node.children) - 1
            yield from walk(child, child_prefix, last_child, level + 1, inner)

    for number, section in stage_numbers(sections):
        yield from walk(section, "", True, 0, "", number)


def stage_numbers(sections: Sequence[Any]) -> list[tuple[int, Any]]:
    """Each section with its stage number (from 1; 0 for stem, head and loss)."""
    numbered, count = [], 0
    for section in sections:
        count += section.role is Role.STAGE
        numbered.append((count if section.role is Role.STAGE else 0, section))
    return numbered


def section_title(role: Role, name: str, lang: Lang, number: int = 0) -> str:
    """``Stem``, ``Stage 2 (layer2)``, ``Head``: what a section is called, in ``lang``."""
    title = section_name(role, lang)
    if role is Role.STAGE:
        return f"{title} {number} ({name})"
    return title


def node_title(node: Node, lang: Lang, *, qualified: bool, block: str, stage: int) -> str:
    if node.level is Level.SECTION:
        return section_title(node.role, node.name, lang, stage)
    name = node.name
    if not qualified and node.level is Level.LAYER and block:
        name = name.removeprefix(f"{block}.")
    if node.calls > 1:
        name += f" ({node.call}/{node.calls})"
    return name


def describe(node: Node, lang: Lang = Lang.EN) -> str:
    """Layer type and hyperparameters, compact, defaults left out (see the legend)."""
    s = {item.name: item.value for item in node.settings}
    kind = node.kind
    if kind == "Conv2d":
        text = f"Conv2d {s['in_channels']}→{s['out_channels']} k{units.pair(s['kernel_size'])}"
        text += f" s{units.pair(s['stride'])} p{units.pair(s['padding'])}"
        if units.pair(s["dilation"]) != "1":
            text += f" d{units.pair(s['dilation'])}"
        if s["groups"] != 1:
            text += f" g{s['groups']}"
        return text + (" bias" if s["bias"] else "")
    if kind in ("BatchNorm2d", "BatchNorm1d"):
        text = f"{kind} {s['num_features']}"
        for name, default in _BATCHNORM_DEFAULTS.items():
            if s[name] != default:
                text += f" {name}={s[name]}"
        if not s["affine"]:
            text += " affine=False"
        return text + ("" if s["track_running_stats"] else f" {say('no_running_stats', lang)}")
    if kind == "ReLU":
        return "ReLU inplace" if s["inplace"] else "ReLU"
    if kind == "MaxPool2d":
        text = f"MaxPool2d k{units.pair(s['kernel_size'])} s{units.pair(s['stride'])}"
        text += f" p{units.pair(s['padding'])}"
        if units.pair(s["dilation"]) != "1":
            text += f" d{units.pair(s['dilation'])}"
        return text + (" ceil_mode" if s["ceil_mode"] else "")
    if kind == "AdaptiveAvgPool2d":
        return f"AdaptiveAvgPool2d →{units.pair(s['output_size'])}"
    if kind == "Linear":
        return f"Linear {s['in_features']}→{s['out_features']}" + (" bias" if s["bias"] else "")
    if kind in ("add_", "add") and "shortcut" in s:
        operator = "+=" if kind == "add_" else "+"
        module = str(s.get("shortcut_module", "")).rsplit(".", 1)[-1]
        return f"out {operator} {module + '(x)' if module else 'identity'}"
    if kind == "flatten" and not node.module_call and node.level is Level.LAYER:
        return f"torch.flatten(x, {s['start_dim']})"
    if not node.module_call and node.level is Level.LAYER:  # F.relu(x), x.view(…), in forward
        args = ", ".join(map(str, _tuple(s.get("args"))))
        if kind in _TENSOR_METHODS:
            return f"x.{kind}({args})"
        return f"F.{kind}({', '.join(['x', args]) if args else 'x'})"
    if kind == "Dropout":
        return f"Dropout p={s['p']}"
    if kind == "Identity":
        return say("layer_identity", lang)
    if kind == "Sequential":  # a leaf, so empty: the usual identity shortcut
        return say("layer_empty_sequential", lang)
    if node.level is Level.BLOCK:
        text = f"{kind} s{s['stride']} {s['in_channels']}→{s['out_channels']}"
        if "width" in s:
            text += f" {say('width', lang)} {s['width']}"
            text += f" g{s['groups']}" if s["groups"] != 1 else ""
        return text + f" {s['shortcut']}"
    if node.role is Role.STAGE:
        noun = say("block" if s["blocks"] == 1 else "blocks", lang)
        return f"{s['blocks']} {noun}, s{s['stride']}"
    return kind if node.level is Level.LAYER else ""


_TENSOR_METHODS = frozenset({"view", "reshape", "mean", "flatten", "add", "add_"})


def _tuple(value: SettingValue) -> tuple[int, ...]:
    return value if isinstance(value, tuple) else ()


# torch's BatchNorm defaults, left out of a layer's description (the legend says so).
_BATCHNORM_DEFAULTS = {"eps": 1e-05, "momentum": 0.1}


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


def facts_table(rows: list[tuple[str, str]], width: int, ascii_only: bool = False) -> Text:
    """Label/value lines with the values aligned and wrapped under themselves."""
    columns = [Column("", style="bold"), Column("", wrap=True, min_width=20)]
    table = TextTable(columns, show_header=False, ascii_only=ascii_only)
    for key, value in rows:
        table.add_row(key, value)
    return table.render(width)


def model_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    t = report.totals
    total, trainable, frozen = (say(key, lang) for key in ("total", "trainable", "frozen_lc"))
    return [
        (
            say("parameters", lang),
            f"{units.count(t.params)} {total} · {units.count(t.trainable_params)} {trainable} · "
            f"{units.count(t.frozen_params)} {frozen}",
        ),
        (
            say("param_memory", lang),
            f"{units.binary_bytes(t.param_bytes)} ({report.dtype}) + "
            f"{units.binary_bytes(t.buffer_bytes)} {say('buffers', lang)}",
        ),
        (
            say("compute", lang),
            f"{units.decimal(t.macs)} MACs · {units.decimal(t.flops)} FLOPs "
            f"({say('flops_note', lang)})",
        ),
        (
            say("activations", lang),
            f"{units.binary_bytes(t.activation_bytes)} ({say('activations_note', lang)})",
        ),
        (
            say("input", lang),
            f"{units.shape(report.input_shape)} {report.dtype} = "
            f"{units.binary_bytes(t.input_bytes)}",
        ),
    ]


def step_header_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    step = report.step
    if step is None:
        return []
    settings = ", ".join(f"{s.name}={s.value}" for s in step.optimizer_settings)
    seeded = not (step.images and step.images.classes)  # random labels, drawn after the seed
    facts = [
        (
            say("loss", lang),
            f"{step.loss:.6g} = {step.loss_expression}, labels = {step.target}"
            + (f" ({say('seed', lang)} {step.seed})" if seeded else ""),
        ),
        (say("optimizer", lang), f"{step.optimizer}({settings})"),
        (
            say("optimizer_state", lang),
            f"{units.binary_bytes(step.optimizer_state_bytes)} "
            f"({say('optimizer_state_note', lang)})",
        ),
    ]
    facts += image_facts(step, report.num_classes, lang)
    facts += precision_facts(step, lang)
    facts += layout_facts(report, lang)
    if step.checkpointed:
        facts.append(
            (
                say("checkpointing", lang),
                say("checkpointing_value", lang).format(stages=", ".join(step.checkpointed)),
            )
        )
    if step.steps > 1:
        steps_value = "steps_images_value" if step.images else "steps_value"
        facts += [
            (say("steps", lang), say(steps_value, lang).format(steps=step.steps)),
            (say("losses", lang), _series(step.losses, lambda v: f"{v:.6g}")),
            (say("grad_norms", lang), _series(step.global_grad_norms, units.norm)),
        ]
    if step.forward_s is not None and step.backward_s is not None and step.step_s is not None:
        facts.append(
            (
                say("time", lang),
                f"{say('forward', lang)} {units.seconds(step.forward_s)} · "
                f"{say('backward', lang)} {units.seconds(step.backward_s)} · "
                f"{say('step', lang)} {units.seconds(step.step_s)} ({_time_note(step, lang)})",
            )
        )
    return facts


def layout_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    """``--channels-last``: which rows kept the layout, and where one turned it back."""
    summary = report.channels_last
    if summary is None:
        return []
    text = say("layout_kept", lang).format(kept=summary.kept, rows=summary.rows)
    if summary.changes:
        changes = ", ".join(
            say("layout_change", lang).format(
                name=change.name, to=change.to, bytes=units.binary_bytes(change.bytes)
            )
            for change in summary.changes
        )
        text += "; " + say("layout_changes", lang).format(changes=changes)
    return [(say("layout", lang), text)]


def precision_facts(step: StepSummary, lang: Lang) -> list[tuple[str, str]]:
    """How autocast really ran the last forward (``--precision bf16|fp16``), and the scaler."""
    amp = step.precision
    if amp is None:
        return []

    def listed(ops: tuple[OpCount, ...]) -> str:
        return ", ".join(f"{op.name} ×{op.calls}" for op in ops) or "—"

    facts = [
        (
            say("precision", lang),
            say("precision_value", lang).format(
                precision=amp.precision,
                dtype=amp.dtype,
                casts=amp.casts,
                bytes=units.binary_bytes(amp.cast_bytes),
            ),
        ),
        (say("precision_lower", lang).format(dtype=amp.dtype), listed(amp.lower)),
    ]
    if amp.mixed:
        facts.append(
            (
                say("precision_mixed", lang),
                say("precision_mixed_value", lang).format(ops=listed(amp.mixed), dtype=amp.dtype),
            )
        )
    facts.append((say("precision_float32", lang), listed(amp.float32)))
    if amp.scaler is not None:
        scaler = amp.scaler
        skipped = ", ".join(map(str, scaler.skipped_steps))
        key = "scaler_skipped" if skipped else "scaler_none_skipped"
        facts.append(
            (
                say("scaler", lang),
                say(key, lang).format(
                    initial=f"{scaler.initial_scale:g}",
                    final=f"{scaler.final_scale:g}",
                    steps=skipped,
                ),
            )
        )
    return facts


def image_facts(step: StepSummary, outputs: int, lang: Lang) -> list[tuple[str, str]]:
    """Which real images the steps took, and how they were made the input (``--images``)."""
    images = step.images
    if images is None:
        return []
    where = say("images_found", lang).format(found=images.found, paths=", ".join(images.paths))
    parts = [where]
    if images.classes:
        names = ", ".join(f"{name} = {index}" for index, name in enumerate(images.classes))
        parts.append(say("images_folder", lang).format(count=len(images.classes), names=names))
        if len(images.classes) < outputs:
            parts.append(
                say("images_fewer", lang).format(last=len(images.classes) - 1, outputs=outputs)
            )
    if images.ignored:
        parts.append(say("images_ignored", lang).format(ignored=images.ignored))
    order = (
        say("images_shuffled", lang).format(seed=step.seed)
        if images.shuffled
        else say("images_in_order", lang)
    )
    taken = say("images_taken", lang).format(
        batch=images.batch, order=order, steps=step.steps, taken=images.taken, used=images.used
    )
    if images.taken > images.found:
        taken += f", {say('images_wrapped', lang)}"
    prepared = "; ".join([images.preprocessing, *images.conversions])
    return [
        (say("images", lang), "; ".join([*parts, taken])),
        (say("preprocessing", lang), prepared),
    ]


SERIES_SHOWN = 10  # more steps than this: the first and last values, and the chart


def _series(values: Sequence[float], shown: Callable[[float], str]) -> str:
    """Every step's value (the first and last of a long run) and a sparkline of all."""
    if len(values) <= SERIES_SHOWN:
        numbers = " → ".join(shown(v) for v in values)
    else:
        numbers = f"{shown(values[0])} → … → {shown(values[-1])}"
    return f"{numbers}  {sparkline(values)}"


def _time_note(step: StepSummary, lang: Lang) -> str:
    if step.steps == 1:
        return say("time_note", lang)
    return say("time_steps_note", lang).format(steps=step.steps)


def _proof_title(report: LayerReport, lang: Lang) -> str:
    steps = report.step.steps if report.step else 1
    return say("proof", lang) if steps == 1 else say("proof_steps", lang).format(steps=steps)


def flag_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    """The Flags block: one line per flag that fired, or one that says none did."""
    if report.step is None:
        return []
    if not report.flags:
        return [(say("flags", lang), say("flags_none", lang))]
    lines: list[tuple[str, str]] = []
    for flag in report.flags:
        key = f"flag_{flag.kind.value}"
        if flag.kind is FlagKind.GRAD_NOT_FINITE and not flag.layers:
            key += "_earlier"  # an earlier step's; the last step's gradients are finite
        text = say(key, lang).format(
            value=_flag_value(flag.kind, flag.value),
            layers=_some(_flagged(report, flag)),
            count=int(flag.value or 0) if flag.kind in _COUNTS else len(flag.layers),
            advice=_update_advice(report, lang),
            step=flag.step,
        )
        if flag.step is not None and not key.endswith("_earlier"):
            text += say("flag_from_step", lang).format(step=flag.step)
        lines.append((say("flags", lang) if not lines else "", text))
    return lines


def _update_advice(report: LayerReport, lang: Lang) -> str:
    """What shrinks a large update: a lower --lr always; a mean loss only where the loss is a
    sum over the batch and the optimizer is SGD (cross-entropy and MSE are means already,
    and Adam's step does not scale with the loss)."""
    step = report.step
    if step is not None and step.loss_kind == "sum" and step.optimizer.lower() == "sgd":
        return say("advice_lr_or_mean", lang)
    return say("advice_lr", lang)


_COUNTS = frozenset(
    {FlagKind.GRAD_NOT_FINITE, FlagKind.SCALER_SKIPPED}
)  # whose value is how many layers


def _flag_value(kind: FlagKind, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    if kind in (FlagKind.DEAD_RELU, FlagKind.GRAD_UNDERFLOW):
        return units.share(value)
    return units.count(int(value)) if value == int(value) and abs(value) >= 1 else units.norm(value)


def _flagged(report: LayerReport, flag: Flag) -> tuple[str, ...]:
    """The flagged layers as the tree names them: a reused module's call as ``relu (1/2)``."""
    if not flag.calls:
        return flag.layers
    calls = {node.name: node.calls for node in report.leaves()}
    return tuple(
        f"{name} ({call}/{calls.get(name, call)})" if calls.get(name, 1) > 1 else name
        for name, call in zip(flag.layers, flag.calls, strict=True)
    )


def _some(names: tuple[str, ...], shown: int = 4) -> str:
    """The first few names, and how many in all where there are more."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])}, … ({len(names)})"


def freeze_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    freeze = report.freeze
    if freeze is None:
        return []
    totals = report.totals
    share = say("share_value", lang).format(
        trainable=units.count(totals.trainable_params),
        total=units.count(totals.params),
        percent=units.share(freeze.trainable_share),
    )
    if freeze.unfrozen:
        share += "; " + say("unfrozen", lang).format(names=", ".join(freeze.unfrozen))
    proof = say("proof_value", lang).format(
        mark="✓" if freeze.holds else "✗",
        frozen=freeze.frozen_tensors,
        no_grad=freeze.frozen_without_grad,
        same=freeze.frozen_unchanged,
        trainable=freeze.trainable_tensors,
        changed=freeze.trainable_changed,
    )
    if freeze.frozen_buffers_changed:
        buffers = say("bn_drift", lang).format(count=len(freeze.frozen_buffers_changed))
    elif freeze.bn_eval:
        buffers = say("bn_still", lang).format(count=len(freeze.batchnorms_in_eval))
    else:
        buffers = ""
    facts = [
        (
            say("head", lang),
            say("head_value", lang).format(
                head=freeze.head,
                kind=freeze.head_kind,
                inputs=freeze.head_in_features,
                classes=freeze.new_classes,
            ),
        ),
        (say("share", lang), share),
        (_proof_title(report, lang), proof),
    ]
    if buffers:
        facts.append((say("bn_buffers", lang), buffers))
    backward = say("backward_value", lang).format(tensors=freeze.trainable_tensors)
    facts.append((say("backward_note", lang), backward))
    return facts


def step_footer_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    step = report.step
    if step is None:
        return []
    counts = ", ".join(f"{kind} ×{n}" for kind, n in step.buffers_changed_by_kind.items())
    if step.buffers_changed:
        buffers = say("bn_buffers_value", lang).format(
            changed=len(step.buffers_changed), total=step.buffers_total, kinds=counts
        )
    else:
        buffers = say("bn_buffers_none", lang).format(total=step.buffers_total)
    facts = [
        (
            say("global_norm", lang),
            f"{units.norm(step.global_grad_norm)} ({say('global_norm_note', lang)})",
        ),
        (
            say("updated", lang),
            say("updated_value", lang).format(
                changed=step.tensors_changed,
                total=step.tensors_total,
                elements=units.count(step.elements_changed),
                with_grad=step.tensors_with_grad,
            ),
        ),
        (say("bn_buffers", lang), buffers),
    ]
    if report.freeze:  # the freeze facts tell the buffers' story for the frozen part
        facts.pop()
    return facts


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
