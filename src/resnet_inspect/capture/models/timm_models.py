"""timm's models (``--arch timm:NAME``): built by ``timm.create_model``, never downloaded.

timm is an optional extra; without it, the user gets one line saying how to install it. A
model is built with ``pretrained=False`` (weights come only from ``--weights``), on the meta
device without its random initialisation for every pass that allocates nothing.
"""

from __future__ import annotations

import difflib
import importlib
from contextlib import nullcontext
from functools import cache
from typing import Any

import torch

from resnet_inspect.capture.models.torchvision import SkipInitialisation
from resnet_inspect.errors import InspectError, OptionError

PREFIX = "timm:"
INSTALL = 'pip install "resnet-inspect[timm]"'


def timm_module() -> Any:
    try:
        return importlib.import_module("timm")
    except ImportError:
        raise InspectError(f"--arch timm:… needs timm, which is not installed: {INSTALL}") from None


def checked_name(arch: str) -> str:
    """The timm model name of ``timm:NAME``, known to timm, or a usage error naming the
    closest ones."""
    name = arch.removeprefix(PREFIX)
    known = _known_names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else " (timm.list_models() lists them)"
        )
        raise OptionError(f"--arch {arch!r}: timm has no model {name!r}{hint}")
    return name


@cache
def _known_names() -> list[str]:
    names: list[str] = timm_module().list_models()
    return names


def build_timm(
    arch: str, *, device: str = "cpu", num_classes: int | None = None
) -> torch.nn.Module:
    """``timm.create_model(NAME, pretrained=False)``; on meta, without initialisation."""
    name = checked_name(arch)
    extra = {} if num_classes is None else {"num_classes": num_classes}
    meta = device == "meta"
    with torch.device(device), SkipInitialisation() if meta else nullcontext():
        model: torch.nn.Module = timm_module().create_model(name, pretrained=False, **extra)
    return model


def default_input(arch: str) -> tuple[int, int, int, int]:
    """1 × the model's own ``pretrained_cfg["input_size"]`` (3, 224, 224 for most)."""
    cfg = timm_module().get_pretrained_cfg(checked_name(arch))
    channels, height, width = (cfg.input_size if cfg is not None else None) or (3, 224, 224)
    return (1, int(channels), int(height), int(width))
