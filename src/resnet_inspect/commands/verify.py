"""``plan --verify``: which rows to check, at which batches, and the checks' numbers."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from resnet_inspect.commands.progress import Progress
from resnet_inspect.errors import OptionError

if TYPE_CHECKING:
    from resnet_inspect.commands.plan import PlanRequest
    from resnet_inspect.records import CutCapture
    from resnet_inspect.report import RowCheck

VERIFY_ALL = "all"  # --verify all (or --verify alone): every row


def check_row_names(names: tuple[str, ...], rows: list[str]) -> None:
    """Every name ``--verify`` gives is one of the plan's rows (or all)."""
    known = list(dict.fromkeys(rows))
    wrong = [name for name in names if name not in (*known, VERIFY_ALL)]
    if wrong:
        raise OptionError(
            f"--verify {','.join(wrong)}: no such row (rows: {', '.join(known)}, or all)"
        )


def chosen_cuts(names: tuple[str, ...], cuts: list[CutCapture]) -> list[int]:
    """The indices of the cuts ``--verify`` names: all, or every row of each named depth
    (in each precision, checkpointed or not)."""
    if VERIFY_ALL in names:
        return list(range(len(cuts)))
    return [index for index, cut in enumerate(cuts) if cut.name in names]


def verify_cuts(
    request: PlanRequest, cuts: list[CutCapture], kept: int
) -> dict[int, tuple[RowCheck, ...]]:
    """Each chosen cut's real steps at ``--input`` (and at its solved batch, with
    ``--memory``), each in a fresh process, in turn. ``kept``: parameters and buffers."""
    from resnet_inspect.budget import process_growth, process_range
    from resnet_inspect.capture.verify import measure_row, resident_bytes
    from resnet_inspect.capture.verify_child import RowSpec
    from resnet_inspect.config import FreezeOptions, Precision
    from resnet_inspect.report import RowCheck

    chosen = chosen_cuts(request.verify, cuts)
    input_shape = request.model.input_shape
    baseline = resident_bytes()
    jobs: list[tuple[int, int, int]] = []  # (cut, batch, live bytes the plan estimates)
    for index in chosen:
        cut = cuts[index]
        jobs.append((index, input_shape[0], cut.live_peak_bytes))
        solved, live = cut.largest_batch, cut.batch_live_bytes
        if request.memory is not None and solved and live and solved != input_shape[0]:
            jobs.append((index, solved, live))
    found: dict[int, list[RowCheck]] = {}
    progress = Progress()
    for number, (index, batch, live) in enumerate(jobs, 1):
        cut = cuts[index]
        progress.show(
            f"verify {number}/{len(jobs)}: {_row_text(cut)} at batch {batch}, in a fresh process…"
        )
        step = replace(request.step_in(Precision(cut.precision)), checkpoint=cut.checkpointed)
        spec = RowSpec(
            model=request.model,
            recipe=FreezeOptions(new_classes=request.recipe.new_classes, unfreeze=cut.unfreeze),
            step=step,
            shape=(batch, *input_shape[1:]),
            classes=request.recipe.new_classes,
        )
        estimate = process_growth(live, cut.optimizer_state_bytes, kept)
        low, high = process_range(live, cut.optimizer_state_bytes, kept)
        measured = measure_row(spec, baseline + kept + high)
        check = RowCheck(
            batch=batch,
            status="skipped" if measured.reason else "measured",
            reason=measured.reason,
            tensor_estimate_bytes=live,
            tensor_peak_bytes=measured.tensor_peak,
            tensor_error=_error(live, measured.tensor_peak),
            process_estimate_bytes=estimate,
            process_growth_bytes=measured.growth,
            process_error=_error(estimate, measured.growth),
            process_low_bytes=low,
            process_high_bytes=high,
            process_inside=None if measured.reason else low <= measured.growth <= high,
        )
        if batch != input_shape[0] and request.memory is not None and not measured.reason:
            room = request.memory - kept - cut.optimizer_state_bytes
            # What one sample more needs by the solve's own measure: its tensors beside the
            # parameters, buffers and state, or its process at the range's top, the larger.
            next_live, state = cut.next_live_bytes or 0, cut.optimizer_state_bytes
            after = max(kept + state + next_live, kept + process_range(next_live, state, kept)[1])
            check = replace(
                check,
                fits=measured.tensor_peak <= room,
                process_over_bytes=kept + measured.growth - request.memory,
                next_bytes=after,
                next_over_bytes=after - request.memory,
            )
        found.setdefault(index, []).append(check)
    progress.done()
    return {index: tuple(checks) for index, checks in found.items()}


def _error(estimate: int, measured: int) -> float:
    """(estimate − measured) / measured: above 0, the estimate says more than was used."""
    return (estimate - measured) / measured if measured else 0.0


def _row_text(cut: CutCapture) -> str:
    recomputed = f", recompute {','.join(cut.checkpointed)}" if cut.checkpointed else ""
    return f"{cut.name}{recomputed} ({cut.precision})"
