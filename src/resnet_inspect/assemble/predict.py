"""predict's report: each image's most probable classes, from the model's scores."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from resnet_inspect.assemble.classes import most_probable
from resnet_inspect.records import ImageRecord, counted_notes
from resnet_inspect.report import ImagePrediction, ModelInfo, PredictReport, Settings, WeightsInfo


def predict_report(
    read: Sequence[ImageRecord],
    *,
    arch: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    weights: WeightsInfo,
    model: ModelInfo,
    preprocessing: str,
    folder_classes: Sequence[str],
    names: Sequence[str],
    names_from: str,
    top: int,
    options: Settings,
) -> PredictReport:
    """``folder_classes``: each image's ImageFolder class ("" outside one)."""
    conversions: Counter[str] = Counter(note for image in read for note in image.conversions)
    return PredictReport(
        command="predict",
        arch=arch,
        input_shape=input_shape,
        num_classes=num_classes,
        weights=weights,
        model=model,
        preprocessing=preprocessing,
        conversions=counted_notes(conversions),
        names_from=names_from,
        predictions=tuple(
            ImagePrediction(image.path, folder, most_probable(image.scores, top, names))
            for image, folder in zip(read, folder_classes, strict=True)
        ),
        options=options,
    )
