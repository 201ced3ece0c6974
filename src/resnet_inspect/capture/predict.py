"""The model's most probable classes for each image: one eval-mode forward without
gradients, a few images at a time, each image read, prepared and let go in turn."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch

from resnet_inspect.capture.images import open_image
from resnet_inspect.capture.instrument import model_dtype
from resnet_inspect.capture.preprocessing import Preprocessing
from resnet_inspect.errors import InspectError

CHUNK = 16  # images a forward: a folder of thousands never sits in memory at once


def top_classes(
    model: torch.nn.Module,
    files: Sequence[str],
    preprocessing: Preprocessing,
    channels: int,
    top: int,
) -> tuple[list[list[tuple[int, float]]], Counter[str]]:
    """For each file, its ``top`` (class, probability) pairs, most probable first (softmax
    in float64 of the model's scores), and the conversions the files needed."""
    dtype = model_dtype(model)
    conversions: Counter[str] = Counter()
    found: list[list[tuple[int, float]]] = []
    model.eval()
    for start in range(0, len(files), CHUNK):
        tensors = []
        for path in files[start : start + CHUNK]:
            image, notes = open_image(path, channels, "IMAGES")
            conversions.update(notes)
            try:
                tensors.append(preprocessing.transform(image))
            except (RuntimeError, ValueError) as error:
                first = str(error).splitlines()[0]
                raise InspectError(f"IMAGES {path}: preprocessing failed: {first}") from None
        with torch.no_grad():
            scores = model(torch.stack(tensors).to(dtype))
        probabilities = torch.softmax(scores.to(torch.float64), dim=1)
        values, indices = torch.topk(probabilities, min(top, probabilities.shape[1]), dim=1)
        for row_values, row_indices in zip(values.tolist(), indices.tolist(), strict=True):
            found.append(list(zip(row_indices, row_values, strict=True)))
    return found, conversions
