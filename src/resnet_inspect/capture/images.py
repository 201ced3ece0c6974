"""Image files made into a model's input: read with Pillow, converted to the model's
channels, resized to ``--input``'s height and width, and normalised by the weights' own
mean and standard deviation where the weights say them.

Each step is said back (``preprocessing``), so that a report never hides how its input
was made. Pillow comes with torchvision.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from resnet_inspect.errors import InspectError

Normalisation = tuple[tuple[float, ...], tuple[float, ...]] | None  # mean, std


def load_images(
    paths: Sequence[str], channels: int, size: tuple[int, int], normalisation: Normalisation
) -> tuple[torch.Tensor, str]:
    """The images as one batch (N×C×H×W, float32), and how they were made so."""
    from PIL import Image, UnidentifiedImageError

    if channels not in (1, 3):
        raise InspectError(f"--image: the model takes {channels} channels; images give 1 or 3")
    mode = "RGB" if channels == 3 else "L"
    notes: set[str] = set()
    tensors = []
    for path in paths:
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
                converted = image.convert(mode).resize(
                    (size[1], size[0]), Image.Resampling.BILINEAR
                )
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InspectError(
                f"--image {path}: too many pixels to decode safely (Pillow's limit is "
                f"{Image.MAX_IMAGE_PIXELS:,}); give a smaller image"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            if isinstance(error, UnidentifiedImageError):
                reason = "not an image Pillow can read"
            raise InspectError(f"--image {path}: {reason}") from None
        raw = torch.frombuffer(bytearray(converted.tobytes()), dtype=torch.uint8)
        tensors.append(raw.reshape(size[0], size[1], channels).permute(2, 0, 1).float() / 255)
    batch = torch.stack(tensors)
    steps = [f"resized to {size[0]}×{size[1]} (bilinear), scaled to [0, 1]"]
    if normalisation is not None:
        mean, std = normalisation
        batch = (batch - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
        steps.append(f"normalised by the weights' mean {list(mean)} and std {list(std)}")
    else:
        steps.append("not normalised (the weights name no mean and std)")
    return batch, "; ".join([*sorted(notes), *steps])
