"""The model a request names, found and checked the same way for every command."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from resnet_inspect.config import InputShape, ModelChoice
from resnet_inspect.errors import OptionError

if TYPE_CHECKING:
    import torch

    from resnet_inspect.capture.source import ModelSource
    from resnet_inspect.records import StructureCapture


def source(model: ModelChoice) -> ModelSource:
    """How to build the chosen model, with its weights (imports torch)."""
    from resnet_inspect.capture.source import resolve

    if model.module is not None:  # the library's own case: "show me my model"
        return resolve(arch=None, weights=model.weights, spec=None, module=model.module)
    return resolve(arch=model.arch, weights=model.weights, spec=model.spec)


def checked_meta(source: ModelSource, input_shape: InputShape) -> torch.nn.Module:
    """The model on the meta device, once its first conv is known to take the input."""
    from resnet_inspect.capture import preflight

    meta = source.meta()
    preflight.check_input_channels(first_conv(meta), input_shape, shape_text(input_shape))
    return meta


def first_conv(model: torch.nn.Module) -> tuple[str, int] | None:
    """The first convolution's name and input channels: the input's C must match them."""
    import torch

    convs = ((n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d))
    return next(((name, int(conv.in_channels)) for name, conv in convs), None)


def shape_text(input_shape: InputShape) -> str:
    """The input as the command line spells it, for messages: ``2,3,64,64``."""
    return ",".join(map(str, input_shape))


def structure_of(model: ModelChoice) -> tuple[ModelSource, torch.nn.Module, StructureCapture]:
    """The model found, on the meta device, and its structure at the input: the rows and
    fields that erf and cam read before their real pass."""
    from resnet_inspect.capture.structure import capture_structure

    found = source(model)
    meta = checked_meta(found, model.input_shape)
    return found, meta, capture_structure(meta, model.input_shape)


def check_one_sample(model: ModelChoice, command: str, rest: str = "") -> None:
    """erf and cam look at one sample at a time: --input's B must be 1."""
    if model.input_shape[0] != 1:
        raise OptionError(
            f"--input {shape_text(model.input_shape)}: {command} looks at one image at a time; "
            f"give 1,C,H,W{rest}"
        )


def nearest(name: str, names: Iterable[str], cutoff: float = 0.5) -> str:
    """``; the nearest: layer3, layer3.1`` for a name that is none of ``names``, or ""."""
    near = difflib.get_close_matches(name, sorted(names), n=3, cutoff=cutoff)
    return f"; the nearest: {', '.join(near)}" if near else ""
