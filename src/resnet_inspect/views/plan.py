"""The terminal view of ``plan``: what each fine-tuning cut trains and computes, what one
step of it keeps in memory, and with a budget the largest batch that fits."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text

from resnet_inspect.config import LARGEST_BATCH
from resnet_inspect.report import Level, PlanReport, PlanRow, RowCheck
from resnet_inspect.views import units
from resnet_inspect.views.breakdown import breakdown_parts
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text
from resnet_inspect.views.header import header
from resnet_inspect.views.page import Page
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, say


def plan_view(
    report: PlanReport,
    *,
    depth: Level = Level.LAYER,  # a plan has no tree to unfold
    lang: Lang,
    width: int,
    ascii_only: bool = False,
) -> Page:
    recipe = say("plan_recipe", lang).format(classes=report.num_classes)
    lines = [recipe]
    if report.precisions != ("fp32",):
        lines.append(say("plan_precision", lang).format(precisions=", ".join(report.precisions)))
    if report.channels_last:
        lines.append(say("simulated_channels_last", lang))
    simulated = report.precisions != ("fp32",) or report.channels_last
    note = "plan_fake_note" if simulated else "plan_meta_note"
    measured = (check.status == "measured" for row in report.rows for check in row.verify)
    if any(measured):  # then real steps ran too, in other processes
        note = "plan_verified_note"
    top = header(report, lang, lines=lines, note=note)
    compute_title = Text(say("plan_compute", lang), style="bold")
    memory_title = Text(
        say("plan_memory", lang).format(shape=units.shape(report.input_shape)), style="bold"
    )
    compute = _compute(report, lang, ascii_only).render(width)
    memory = _memory(report, lang, ascii_only, width).render(width)
    parts: list[Text] = [top, Text(), compute_title, compute, Text(), memory_title, memory, Text()]
    broken = report.breakdown
    if report.shows_breakdown and broken is not None:
        row = next(r for r in report.rows if r.name == broken.row and not r.checkpointed)
        parts += breakdown_parts(report, broken, cut_name(row, lang), lang, width, ascii_only)
    parts.append(facts_table(_facts(report, lang), width, ascii_only))
    if ascii_only:
        parts = [ascii_text(part) for part in parts]
    return Page(*parts)


def cut_name(row: PlanRow, lang: Lang) -> str:
    """``head only``, ``+ layer4`` (it and every later stage), ``everything``, or the
    ``--unfreeze`` row's own names; a ``--checkpoint`` row adds what it recomputes."""
    if row.checkpointed:
        plain = cut_name(replace(row, checkpointed=()), lang)
        if len(row.checkpointed) > 1:  # JSON names them; the table counts them
            stages = say("plan_stages", lang).format(count=len(row.checkpointed))
        else:
            stages = row.checkpointed[0]
        return say("plan_recomputing", lang).format(depth=plain, stages=stages)
    if row.name == "head":
        return say("plan_head", lang)
    if row.name == "everything":
        return say("plan_everything", lang)
    if row.name == "unfreeze":
        return f"--unfreeze {','.join(row.trains)}"
    return f"+ {row.name}"


def _compute(report: PlanReport, lang: Lang, ascii_only: bool) -> TextTable:
    recomputes = any(row.checkpointed for row in report.rows)
    table = TextTable(
        [
            Column(say("plan_cut", lang), wrap=True, min_width=8),
            Column(say("plan_trainable", lang), right=True),
            Column(say("plan_share", lang), right=True),
            Column(say("plan_backward", lang), right=True),
            Column(say("plan_backward_share", lang), right=True),
            *([Column(say("plan_recomputed", lang), right=True)] if recomputes else []),
        ],
        ascii_only=ascii_only,
    )
    first = report.precisions[0]
    for row in (row for row in report.rows if row.precision == first):  # FLOPs alike in each
        table.add_row(
            Cell(cut_name(row, lang), style="bold"),
            units.count(row.trainable_params),
            units.share(row.trainable_share),
            units.decimal(row.backward_flops),
            units.share(row.backward_share),
            *(
                [units.decimal(row.recompute_flops) if row.checkpointed else ""]
                if recomputes
                else []
            ),
        )
    return table


# Narrower than this, the gradients column goes (it is the trainable parameters' bytes).
GRADIENTS_FROM = 96


def _memory(report: PlanReport, lang: Lang, ascii_only: bool, width: int) -> TextTable:
    gradients = width >= GRADIENTS_FROM
    several = len(report.precisions) > 1
    columns = [
        Column(say("plan_cut", lang), wrap=True, min_width=8),
        *([Column(say("precision", lang))] if several else []),
        *([Column(say("plan_gradients", lang), right=True)] if gradients else []),
        Column(say("plan_optimizer", lang), right=True),
        Column(say("plan_saved", lang), right=True),
        Column(say("plan_peak", lang), right=True),
        Column(say("plan_process", lang), right=True),
    ]
    budget = report.memory_bytes is not None
    if budget:
        columns.append(Column(say("plan_batch", lang), right=True))
    table = TextTable(columns, ascii_only=ascii_only)
    # Under several precisions, each depth's rows stand together, one a precision.
    order = {name: index for index, name in enumerate(report.precisions)}
    depths = list(dict.fromkeys(row.name for row in report.rows))
    rows = sorted(report.rows, key=lambda row: (depths.index(row.name), order[row.precision]))
    for row in rows:
        named = not several or row.precision == report.precisions[0]
        cells = [
            Cell(cut_name(row, lang) if named else "", style="bold"),
            *([Cell(row.precision)] if several else []),
            *([Cell(units.binary_bytes(row.gradient_bytes))] if gradients else []),
            Cell(units.binary_bytes(row.optimizer_state_bytes)),
            Cell(units.binary_bytes(row.saved_bytes)),
            Cell(units.binary_bytes(row.peak_bytes), style="bold"),
            Cell(_process(row.process_low_bytes, row.process_high_bytes)),
        ]
        if budget:
            fits = row.largest_batch or 0
            cells.append(Cell(_batch_text(fits, lang), style="green"))
        table.add_row(*cells)
        for check in row.verify:
            table.add_note("", check_text(check, report, lang), style="cyan")
    return table


def _process(low: int, high: int) -> str:
    """``+180–240 MiB``: the growth a training process is expected within."""
    return f"+{units.binary_range(low, high)}"


def check_text(check: RowCheck, report: PlanReport, lang: Lang) -> str:
    """One verified batch of a row: what the real step measured beside the estimates."""
    if check.status != "measured":
        return say("verify_skipped", lang).format(batch=check.batch, reason=check.reason)
    text = say("verify_measured", lang).format(
        batch=check.batch,
        tensors=units.binary_bytes(check.tensor_peak_bytes),
        tensor_error=_signed(check.tensor_error),
        growth=units.binary_bytes(check.process_growth_bytes),
        process_error=_signed(check.process_error),
        inside=(
            say("verify_inside", lang)
            if check.process_inside
            else say("verify_outside", lang).format(
                range=units.binary_range(check.process_low_bytes, check.process_high_bytes),
            )
        ),
    )
    if check.fits is not None and report.memory_bytes is not None:
        key = "verify_fits" if check.fits else "verify_not_fits"
        text += "; " + say(key, lang).format(budget=units.binary_bytes(report.memory_bytes))
    if check.process_over_bytes is not None:
        over = check.process_over_bytes
        key = "verify_process_over" if over > 0 else "verify_process_fits"
        text += "; " + say(key, lang).format(bytes=units.binary_bytes(abs(over)))
    if check.next_bytes is not None and check.next_over_bytes is not None:
        over = check.next_over_bytes
        text += "; " + say("verify_next", lang).format(
            batch=check.batch + 1,
            bytes=units.binary_bytes(check.next_bytes),
            over=units.binary_bytes(abs(over)),
            side=say("verify_over" if over > 0 else "verify_under", lang),
        )
    return text


def _signed(fraction: float) -> str:
    """An estimate's error against a measurement: ``+3.1%`` (said more), ``-12.0%``; an
    error too small for one decimal with the decimals it takes (``-0.01%``, never
    ``-0.0%``), and none at all as ``0%``."""
    percent = fraction * 100
    if percent == 0:
        return "0%"
    for decimals in range(1, 7):
        shown = f"{percent:+.{decimals}f}"
        if float(shown) != 0:
            return f"{shown}%"
    return f"{percent:+.1e}%"


def _facts(report: PlanReport, lang: Lang) -> list[tuple[str, str]]:
    forward = report.rows[0].forward_flops if report.rows else 0
    facts = [
        (
            say("plan_forward", lang),
            say("plan_forward_value", lang).format(flops=units.decimal(forward)),
        ),
        (say("plan_saved", lang), say("plan_saved_value", lang)),
        (
            say("optimizer", lang),
            say(f"plan_state_{report.optimizer}", lang),
        ),
        (
            say("plan_peak", lang),
            say("plan_peak_value", lang).format(
                params=units.binary_bytes(report.param_bytes),
                buffers=units.binary_bytes(report.buffer_bytes),
            ),
        ),
    ]
    process = say("plan_process_value", lang)
    mixed = sorted({row.precision for row in report.rows} - {"fp32"})
    if mixed:  # the process model's bounds were measured on float32 steps
        process += say("plan_process_mixed", lang).format(precisions=", ".join(mixed))
    facts.append((say("plan_process", lang), process))
    if any(row.checkpointed for row in report.rows):
        facts.append((say("plan_recomputed", lang), say("plan_recomputed_value", lang)))
    if any(row.verify for row in report.rows):
        facts.append((say("verify", lang), say("verify_value", lang)))
    if report.memory_bytes is not None:
        facts.append(
            (
                say("plan_batch", lang),
                say("plan_batch_value", lang).format(
                    budget=units.binary_bytes(report.memory_bytes)
                ),
            )
        )
    return facts


def plan_short(report: PlanReport) -> str:
    """``PlanReport(plan resnet18 1×3×64×64: peak head 52.2 MiB, …)``, for logs."""
    rows = ", ".join(
        f"{cut_name(row, Lang.EN)} {units.binary_bytes(row.peak_bytes)}" for row in report.rows
    )
    return f"PlanReport(plan {report.arch} {units.shape(report.input_shape)}: peak {rows})"


def _batch_text(batch: int, lang: Lang) -> str:
    if not batch:
        return say("plan_none_fits", lang)
    if batch >= LARGEST_BATCH:  # the answer is capped there: the budget holds at least that
        return f"≥ {units.count(batch)}"
    return units.count(batch)
