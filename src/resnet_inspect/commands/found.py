"""The model a request names, found and checked the same way for every command."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from resnet_inspect.config import ImageOptions, InputShape, ModelChoice, Preparation
from resnet_inspect.errors import OptionError

if TYPE_CHECKING:
    import torch

    from resnet_inspect.capture.images.batches import ImageBatches
    from resnet_inspect.capture.images.preprocessing import Preprocessing
    from resnet_inspect.capture.models.source import ModelSource


def source(model: ModelChoice) -> ModelSource:
    """How to build the chosen model, with its weights (imports torch)."""
    from resnet_inspect.capture.models.source import resolve

    if model.module is not None:  # the library's own case: "show me my model"
        return resolve(arch=None, weights=model.weights, spec=None, module=model.module)
    return resolve(arch=model.arch, weights=model.weights, spec=model.spec)


def checked_meta(
    source: ModelSource, input_shape: InputShape, meta: torch.nn.Module | None = None
) -> torch.nn.Module:
    """The model on the meta device (``meta`` where the caller built it already), once its
    first conv is known to take the input."""
    from resnet_inspect.capture import preflight

    meta = meta if meta is not None else source.meta()
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


def check_one_sample(model: ModelChoice, command: str, rest: str = "") -> None:
    """erf looks at one sample at a time: --input's B must be 1."""
    if model.input_shape[0] != 1:
        raise OptionError(
            f"--input {shape_text(model.input_shape)}: {command} looks at one image at a time; "
            f"give 1,C,H,W{rest}"
        )


def nearest(name: str, names: Iterable[str], cutoff: float = 0.5) -> str:
    """``; the nearest: layer3, layer3.1`` for a name that is none of ``names``, or ""."""
    import difflib

    near = difflib.get_close_matches(name, sorted(names), n=3, cutoff=cutoff)
    return f"; the nearest: {', '.join(near)}" if near else ""


def image_input(
    found: ModelSource,
    meta: torch.nn.Module,
    images: ImageOptions,
    steps: int,
    seed: int,
    channels_given: int,
) -> tuple[ImageBatches, InputShape]:
    """``--images`` as the steps' batches, and the input shape they give: (batch, C, the
    crop's height and width). C is the first conv's of ``meta`` (the model on meta, only
    read; ``channels_given`` where there is none); batch is ``images.batch``, else every
    image up to ``DEFAULT_IMAGE_BATCH``."""
    from resnet_inspect.capture.images.batches import ImageBatches
    from resnet_inspect.config import DEFAULT_IMAGE_BATCH
    from resnet_inspect.imagesets import find_images

    found_images = find_images(images.paths)
    preprocessing, channels = image_pipeline(found, meta, images.preparation, channels_given)
    batch = images.batch or min(len(found_images.files), DEFAULT_IMAGE_BATCH)
    batches = ImageBatches(
        found_images,
        preprocessing,
        paths=images.paths,
        batch=batch,
        steps=steps,
        channels=channels,
        shuffle=images.shuffle,
        seed=seed,
    )
    height, width = preprocessing.crop
    return batches, (batch, channels, height, width)


def image_pipeline(
    found: ModelSource, meta: torch.nn.Module, preparation: Preparation, channels_given: int
) -> tuple[Preprocessing, int]:
    """The one way every command makes an image its model's input (see
    capture/images/preprocessing.py), and the channels it gives: the first conv's of
    ``meta`` (``channels_given`` where there is none)."""
    from resnet_inspect.capture.images.preprocessing import preprocessing_for

    conv = first_conv(meta)
    channels = conv[1] if conv else channels_given
    preparation.check_channels(channels)
    return preprocessing_for(found, meta, preparation), channels


def default_input(arch: str) -> InputShape:
    """The input a timm model says it takes (its pretrained_cfg's input_size), at batch 1."""
    from resnet_inspect.capture.models.timm_models import default_input as timms

    return timms(arch)
