"""The plan's rows from its cut points: shares of the full fine-tune and one step's peak."""

from __future__ import annotations

from resnet_inspect.assemble.breakdown import build_breakdown
from resnet_inspect.budget import process_growth, process_range
from resnet_inspect.config import OptimizerKind
from resnet_inspect.records import CutCapture, StructureCapture
from resnet_inspect.report import (
    ModelInfo,
    PlanReport,
    PlanRow,
    RowCheck,
    Settings,
    WeightsInfo,
)

EVERYTHING = "everything"


def build_plan_report(
    structure: StructureCapture,
    cuts: list[CutCapture],
    *,
    model: ModelInfo,
    weights: WeightsInfo,
    optimizer: str,
    memory_bytes: int | None,
    options: Settings,
    precisions: tuple[str, ...] = ("fp32",),
    channels_last: bool = False,
    momentum: float = 0.9,
    shows_breakdown: bool = False,
    checks: dict[int, tuple[RowCheck, ...]] | None = None,
) -> PlanReport:
    """``structure`` is of the model with its new head, so that its totals are the plan's."""
    params = sum(record.params for record in structure.modules.values())
    full = {cut.precision: cut for cut in cuts if cut.name == EVERYTHING and not cut.checkpointed}
    plain = {(cut.name, cut.precision): cut for cut in cuts if not cut.checkpointed}
    kept = structure.param_bytes + structure.buffer_bytes
    spreads = [process_range(cut.live_peak_bytes, cut.optimizer_state_bytes, kept) for cut in cuts]
    rows = tuple(
        PlanRow(
            name=cut.name,
            trains=cut.unfreeze,
            trainable_params=cut.trainable_params,
            trainable_share=cut.trainable_params / params if params else 0.0,
            gradient_bytes=cut.gradient_bytes,
            optimizer_state_bytes=cut.optimizer_state_bytes,
            saved_bytes=cut.saved_bytes,
            forward_flops=cut.forward_flops,
            backward_flops=cut.backward_flops,
            backward_share=_share(cut.backward_flops, full[cut.precision].backward_flops),
            live_peak_bytes=cut.live_peak_bytes,
            peak_bytes=kept + cut.optimizer_state_bytes + cut.live_peak_bytes,
            largest_batch=cut.largest_batch,
            precision=cut.precision,
            checkpointed=cut.checkpointed,
            process_bytes=process_growth(cut.live_peak_bytes, cut.optimizer_state_bytes, kept),
            process_low_bytes=spreads[index][0],
            process_high_bytes=spreads[index][1],
            verify=(checks or {}).get(index, ()),
            recompute_flops=(
                cut.backward_flops - plain[cut.name, cut.precision].backward_flops
                if cut.checkpointed
                else 0
            ),
        )
        for index, cut in enumerate(cuts)
    )
    followed = next((cut for cut in cuts if cut.located is not None), None)
    kind = OptimizerKind(optimizer)
    return PlanReport(
        command="plan",
        arch=model.name,
        input_shape=structure.calls[0].input_shape if structure.calls else (),
        num_classes=structure.num_classes,
        weights=weights,
        model=model,
        optimizer=optimizer,
        params=params,
        param_bytes=structure.param_bytes,
        buffer_bytes=structure.buffer_bytes,
        memory_bytes=memory_bytes,
        rows=rows,
        options=options,
        precisions=precisions,
        channels_last=channels_last,
        breakdown=(
            build_breakdown(followed, structure.layout, kind, momentum)
            if followed is not None
            else None
        ),
        shows_breakdown=shows_breakdown,
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
