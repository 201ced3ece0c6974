"""An image file decoded into 8-bit pixels of the model's channels, each conversion said.

Pillow decodes; the conversions that Pillow's own ``convert`` gets wrong for a model's input
are written out here per mode: 16-bit images (``I;16``, ``I;16B``, …) scaled from 0–65535,
32-bit integers from their own largest value, floating-point images taken as 0–1. Alpha is
said to be dropped only where there is one (a palette with a transparent entry, ``LA``,
``RGBA``). Where one image is looked at on its own (``cam``, ``predict``, ``erf``), its EXIF
orientation is applied, as a photo viewer does; ``--images`` for the steps reads files as
torchvision's ImageFolder does, which ignores it.
"""

from __future__ import annotations

import warnings
from typing import Any

from resnet_inspect.errors import InspectError

_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I;16S", "I;16BS", "I;16LS")
_GREY = ("L", "1", "I", "F", *_SIXTEEN_BIT)
_EXIF_ORIENTATION = 0x0112


def open_image(
    path: str, channels: int, option: str, *, upright: bool = False
) -> tuple[Any, set[str]]:
    """The image file decoded and converted to the model's channels (RGB, or L for one),
    and what the conversion did; ``upright``: turned by its EXIF orientation first. One line
    for a file that is no image, a corrupt one, or one too large to decode safely (refused
    before its pixels are decoded)."""
    from PIL import Image, UnidentifiedImageError

    if channels not in (1, 3):
        raise InspectError(f"{option}: the model takes {channels} channels; images give 1 or 3")
    try:
        with warnings.catch_warnings():  # a decompression bomb warned of is refused
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened_image = Image.open(path)
        with opened_image as opened:
            opened.load()
            return converted(opened, channels, upright=upright)
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


def converted(image: Any, channels: int, *, upright: bool = False) -> tuple[Any, set[str]]:
    """A decoded PIL image in the model's channels, and what was done to it."""
    from PIL import ImageOps

    notes: set[str] = set()
    if upright:
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
        if orientation not in (1, None):
            image = ImageOps.exif_transpose(image)
            notes.add(f"turned upright by its EXIF orientation ({orientation})")
    mode = image.mode
    if _has_alpha(image) and channels == 3:
        notes.add("alpha dropped")
    if mode in (*_GREY, "LA") and channels == 3:
        notes.add("grayscale repeated to RGB")
    if mode not in (*_GREY, "LA") and channels == 1:
        notes.add("colour converted to grayscale")
    if mode in _SIXTEEN_BIT or mode in ("I", "F"):
        image, note = _eight_bits(image)
        notes.add(note)
    return image.convert("RGB" if channels == 3 else "L"), notes


def _has_alpha(image: Any) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return True
    return image.mode == "P" and "transparency" in image.info


def _eight_bits(image: Any) -> tuple[Any, str]:
    """A 16-bit, 32-bit integer or floating-point image as 8-bit grayscale: the value range
    each mode stands for mapped onto 0–255 (Pillow's ``convert("L")`` clips them instead)."""
    import numpy
    from PIL import Image

    values = numpy.asarray(image).astype(numpy.float64)
    if image.mode == "F":
        scaled = numpy.clip(values, 0.0, 1.0) * 255
        note = "floating-point values taken as 0–1 and scaled to 8 bits"
    elif image.mode == "I" and values.max(initial=0) > 65535:
        top = float(values.max())
        scaled = numpy.clip(values, 0.0, None) / top * 255
        note = "32-bit integers scaled from 0–their largest to 8 bits"
    else:
        scaled = values / 65535 * 255
        note = "16-bit scaled to 8 bits"
    return Image.fromarray(numpy.rint(scaled).astype(numpy.uint8)), note
