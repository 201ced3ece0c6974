"""The model's scores for each image: one eval-mode forward without gradients, a few images
at a time, each image read, prepared and let go in turn."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from resnet_inspect.capture.images.preprocessing import Preprocessing, prepared
from resnet_inspect.capture.images.reading import open_image
from resnet_inspect.capture.instrument import model_dtype
from resnet_inspect.records import ImageRecord

CHUNK = 16  # images a forward: a folder of thousands never sits in memory at once


def image_scores(
    model: torch.nn.Module,
    files: Sequence[str],
    preprocessing: Preprocessing,
    channels: int,
    option: str = "IMAGES",
) -> list[ImageRecord]:
    """Each file's scores (the model's outputs, one per class) and what reading it took.
    Each image is looked at on its own, so its EXIF orientation is applied."""
    dtype = model_dtype(model)
    found: list[ImageRecord] = []
    model.eval()
    for start in range(0, len(files), CHUNK):
        tensors: list[torch.Tensor] = []
        notes: list[tuple[str, ...]] = []
        for path in files[start : start + CHUNK]:
            image, conversions = open_image(path, channels, option, upright=True)
            notes.append(tuple(sorted(conversions)))
            tensors.append(prepared(preprocessing, image, f"{option} {path}"))
        with torch.no_grad():
            scores = model(torch.stack(tensors).to(dtype)).to(torch.float64)
        chunk = files[start : start + CHUNK]
        for path, row, said in zip(chunk, scores.tolist(), notes, strict=True):
            found.append(ImageRecord(path=path, scores=tuple(row), conversions=said))
    return found
