"""Image files made into a model's input: read with Pillow, converted to the model's
channels, resized to ``--input``'s height and width, and normalised by the weights' own
mean and standard deviation where the weights say them.

Each step is said back (``preprocessing``), so that a report never hides how its input
was made. Pillow comes with torchvision.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from resnet_inspect.capture.source import ModelSource
from resnet_inspect.capture.weights import torchvision_weights
from resnet_inspect.errors import InspectError

Normalisation = tuple[tuple[float, ...], tuple[float, ...]] | None  # mean, std


def load_images(
    paths: Sequence[str], channels: int, size: tuple[int, int], normalisation: Normalisation
) -> tuple[torch.Tensor, str]:
    """The images as one batch (N×C×H×W, float32), and how they were made so."""
    pixels, notes = read_pixels(paths, channels, size)
    return normalised(pixels, normalisation, notes)


def weights_normalisation(found: ModelSource, model: torch.nn.Module) -> Normalisation:
    """The weights' own mean and std: torchvision's pretrained weights, or a timm model's
    pretrained configuration when it has weights; None for random weights or a file."""
    entry = torchvision_weights(found.info, found.weights)
    if entry is not None:
        transforms = entry.transforms()
        return tuple(transforms.mean), tuple(transforms.std)
    config = getattr(model, "pretrained_cfg", None)
    if found.weights.kind != "none" and isinstance(config, dict) and "mean" in config:
        return tuple(config["mean"]), tuple(config["std"])
    return None


def read_pixels(
    paths: Sequence[str], channels: int, size: tuple[int, int], option: str = "--image"
) -> tuple[torch.Tensor, list[str]]:
    """The images resized and scaled to [0, 1] (N×C×H×W), before any normalisation (what a
    picture of them shows), and what was done to them."""
    from PIL import Image

    notes: set[str] = set()
    tensors = []
    for path in paths:
        image, said = open_image(path, channels, option)
        notes |= said
        converted = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        raw = torch.frombuffer(bytearray(converted.tobytes()), dtype=torch.uint8)
        tensors.append(raw.reshape(size[0], size[1], channels).permute(2, 0, 1).float() / 255)
    steps = [f"resized to {size[0]}×{size[1]} (bilinear), scaled to [0, 1]"]
    return torch.stack(tensors), [*sorted(notes), *steps]


def counted_notes(counts: Mapping[str, int]) -> tuple[str, ...]:
    """``grayscale repeated to RGB (2 images)``: each conversion, with how many it took."""
    return tuple(
        f"{note} ({count} image{'s' if count > 1 else ''})"
        for note, count in sorted(counts.items())
    )


def open_image(path: str, channels: int, option: str) -> tuple[Any, set[str]]:
    """The image file decoded and converted to the model's channels (RGB, or L for one),
    and what the conversion did; one line for a file that is no image, a corrupt one, or one
    too large to decode safely (refused before its pixels are decoded)."""
    from PIL import Image, UnidentifiedImageError

    if channels not in (1, 3):
        raise InspectError(f"{option}: the model takes {channels} channels; images give 1 or 3")
    mode = "RGB" if channels == 3 else "L"
    notes: set[str] = set()
    try:
        with warnings.catch_warnings():  # a decompression bomb warned of is refused
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened_image = Image.open(path)
        with opened_image as opened:
            opened.load()
            image: Image.Image = opened
            if image.mode in ("RGBA", "LA", "P") and channels == 3:
                notes.add("alpha dropped")
            if image.mode in ("L", "1", "I", "I;16", "F") and channels == 3:
                notes.add("grayscale repeated to RGB")
            if image.mode in ("RGB", "RGBA", "P", "CMYK") and channels == 1:
                notes.add("colour converted to grayscale")
            if image.mode in ("I", "I;16", "F"):  # 16-bit and float: to 8 bits first
                image = image.point(lambda v: v / 256).convert("L")
                notes.add("16-bit scaled to 8 bits")
            return image.convert(mode), notes
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InspectError(
            f"{option} {path}: too many pixels to decode safely (Pillow's limit is "
            f"{Image.MAX_IMAGE_PIXELS:,}); give a smaller image"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if isinstance(error, UnidentifiedImageError):
            reason = "not an image Pillow can read"
        raise InspectError(f"{option} {path}: {reason}") from None


def normalised(
    pixels: torch.Tensor, normalisation: Normalisation, notes: list[str]
) -> tuple[torch.Tensor, str]:
    """``pixels`` as the model's input, and every step said."""
    batch, steps = pixels, list(notes)
    if normalisation is not None:
        mean, std = normalisation
        batch = (batch - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
        steps.append(f"normalised by the weights' mean {list(mean)} and std {list(std)}")
    else:
        steps.append("not normalised (the weights name no mean and std)")
    return batch, "; ".join(steps)
