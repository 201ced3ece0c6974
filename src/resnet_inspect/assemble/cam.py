"""cam's report: the image's top classes and each layer's Grad-CAM map, from the capture."""

from __future__ import annotations

from collections.abc import Sequence

from resnet_inspect.assemble.classes import most_probable, probabilities
from resnet_inspect.records import CamCapture
from resnet_inspect.report import (
    CamLayer,
    CamReport,
    ChannelMap,
    ModelInfo,
    Settings,
    WeightsInfo,
)

TOP = 5  # classes shown above the maps


def cam_report(
    captured: CamCapture,
    *,
    arch: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    weights: WeightsInfo,
    model: ModelInfo,
    image: str,
    preprocessing: str,
    pixels: tuple[tuple[tuple[int, int, int], ...], ...],
    layers: Sequence[str],
    names: Sequence[str],
    options: Settings,
) -> CamReport:
    chosen = captured.target
    return CamReport(
        command="cam",
        arch=arch,
        input_shape=input_shape,
        num_classes=num_classes,
        weights=weights,
        model=model,
        image=image,
        preprocessing=preprocessing,
        pixels=pixels,
        target=chosen,
        target_name=names[chosen] if names else "",
        score=captured.logits[chosen],
        probability=probabilities(captured.logits)[chosen],
        top=most_probable(captured.logits, TOP, names),
        layers=tuple(
            CamLayer(
                name,
                captured.grids[name],
                captured.maps[name],
                tuple(ChannelMap(*found) for found in captured.channels.get(name, ())),
            )
            for name in layers
        ),
        options=options,
    )
