"""cam's report: the image's top classes and each layer's Grad-CAM map, from the capture."""

from __future__ import annotations

import math
from collections.abc import Sequence

from resnet_inspect.assemble.classes import most_probable, probabilities
from resnet_inspect.assemble.trust import area, estimate
from resnet_inspect.records import CamCapture, CamImageRecord, Grid
from resnet_inspect.report import (
    CamLayer,
    CamReport,
    ChannelMap,
    ModelInfo,
    Settings,
    WeightsInfo,
)
from resnet_inspect.report.trust import CamClass, CamImage, Estimate, Trust

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
    trust: Trust | None = None,
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
        trust=trust,
    )


def cam_folder_report(
    images: Sequence[CamImageRecord],
    *,
    arch: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    weights: WeightsInfo,
    model: ModelInfo,
    folder: str,
    preprocessing: str,
    grids: dict[str, Grid],
    heats: dict[str, Grid],
    centres: dict[int, tuple[float, float] | None],
    layers: Sequence[str],
    names: Sequence[str],
    folder_classes: Sequence[str],
    target: int | None,
    seed: int,
    options: Settings,
    trust: Trust | None = None,
) -> CamReport:
    """A folder's maps: each image's numbers, the classes' summaries (an ImageFolder's
    folders, else the classes explained), and each layer's mean map."""

    def named(index: int) -> str:
        return names[index] if names else ""

    shown = [_image(record, folder_classes, named(record.target)) for record in images]
    groups: dict[int, list[CamImage]] = {}
    for record, image in zip(images, shown, strict=True):
        key = record.folder_class if folder_classes else record.target
        groups.setdefault(key, []).append(image)
    checked = any(record.trust is not None for record in images)
    classes = tuple(
        CamClass(
            name=folder_classes[key] if folder_classes else (named(key) or f"class {key}"),
            images=len(members),
            centre=centres.get(key),
            deletion_auc=_over(members, "deletion_auc", seed) if checked else None,
            insertion_auc=_over(members, "insertion_auc", seed) if checked else None,
            other_spearman=_over(members, "other_spearman", seed) if checked else None,
        )
        for key, members in sorted(groups.items())
    )
    return CamReport(
        command="cam",
        arch=arch,
        input_shape=input_shape,
        num_classes=num_classes,
        weights=weights,
        model=model,
        image=folder,
        preprocessing=preprocessing,
        pixels=(),
        target=-1 if target is None else target,
        target_name="" if target is None else named(target),
        score=math.fsum(r.logit for r in images) / len(images),
        probability=math.fsum(r.probability for r in images) / len(images),
        top=(),
        layers=tuple(CamLayer(name, grids[name], heats[name]) for name in layers),
        options=options,
        trust=trust,
        images=tuple(shown),
        classes=classes,
    )


def _image(record: CamImageRecord, folder_classes: Sequence[str], name: str) -> CamImage:
    checks = record.trust
    return CamImage(
        path=record.path,
        folder_class=folder_classes[record.folder_class] if record.folder_class >= 0 else "",
        target=record.target,
        target_name=name,
        probability=record.probability,
        top=record.top,
        centre=record.centre,
        deletion_auc=area(checks.curves[0].deletion) if checks else None,
        insertion_auc=area(checks.curves[0].insertion) if checks else None,
        other_spearman=checks.other_spearman if checks else None,
        randomised_spearman=checks.randomised[-1].spearman if checks else None,
    )


def _over(members: Sequence[CamImage], number: str, seed: int) -> Estimate:
    return estimate([getattr(image, number) for image in members], seed)
