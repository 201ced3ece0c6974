"""erf's report from its measurement and the row's theoretical field: the field's box around
the measured unit, and the radii that hold half and 90% of the gradient."""

from __future__ import annotations

import math

from resnet_inspect.records import ErfCapture, Grid
from resnet_inspect.report import ErfReport, ModelInfo, ReceptiveField, Settings, WeightsInfo

Box = tuple[float, float, float, float]  # top, left, bottom, right, in pixels (inclusive)


def erf_report(
    measured: ErfCapture,
    field: ReceptiveField,
    *,
    arch: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    weights: WeightsInfo,
    model: ModelInfo,
    layer: str,
    images: tuple[str, ...],
    preprocessing: str,
    seed: int,
    samples: int,
    options: Settings,
) -> ErfReport:
    box = field_box(field, measured.unit)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    return ErfReport(
        command="erf",
        arch=arch,
        input_shape=input_shape,
        num_classes=num_classes,
        weights=weights,
        model=model,
        layer=layer,
        output_shape=measured.output_shape,
        unit=measured.unit,
        samples=samples,
        inputs="images" if images else "random",
        images=images,
        preprocessing=preprocessing,
        seed=seed,
        heat=measured.heat,
        field=field,
        field_box=box,
        radius_50=mass_radius(measured.heat, centre, 0.5),
        radius_90=mass_radius(measured.heat, centre, 0.9),
        field_radius=(min(field.height.size, field.width.size) - 1) / 2,
        inside_field=inside(measured.heat, box),
        options=options,
    )


def field_box(field: ReceptiveField, unit: tuple[int, int]) -> Box:
    """The theoretical field of the measured unit: top, left, bottom, right, in pixels."""
    edges = []
    for axis, index in ((field.height, unit[0]), (field.width, unit[1])):
        centre = axis.start + index * axis.jump
        edges.append((centre - (axis.size - 1) / 2, centre + (axis.size - 1) / 2))
    (top, bottom), (left, right) = edges
    return (top, left, bottom, right)


def mass_radius(heat: Grid, centre: tuple[float, float], share: float) -> float:
    """The smallest radius around ``centre`` (in pixels) whose disc holds ``share`` of the
    gradient's mass."""
    cells = sorted(
        (math.hypot(y - centre[0], x - centre[1]), value)
        for y, row in enumerate(heat)
        for x, value in enumerate(row)
    )
    held = 0.0
    for distance, value in cells:
        held += value
        if held >= share - 1e-12:
            return distance
    return cells[-1][0] if cells else 0.0


def inside(heat: Grid, box: Box) -> float:
    """The share of the mass on pixels inside ``box`` (top, left, bottom, right, inclusive)."""
    top, left, bottom, right = box
    return math.fsum(
        value
        for y, row in enumerate(heat)
        for x, value in enumerate(row)
        if top <= y <= bottom and left <= x <= right
    )
