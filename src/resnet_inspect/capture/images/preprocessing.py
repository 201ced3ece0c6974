"""The one image pipeline: how every command that reads an image makes it the model's input
(cam, predict, erf's images, and the steps' ``--images``). The weights' own transforms where
the model has them, used as they are (so a plain script that applies them gets the same
tensors), or a resize, centre crop and normalisation composed from ``--resize/--crop/--mean/
--std``:

- torchvision's architectures, named or inferred from a checkpoint: their weights'
  ``transforms()`` (the loaded weights', or the architecture's DEFAULT weights' when the
  weights are random or a file, which the description says);
- ``timm:`` models: timm's data config (a Hub repository's own ``pretrained_cfg`` first, as
  timm's ``hf-hub:`` loading reads it) and the transform timm creates from it;
- anything else: resize the shorter side to 256, centre crop 224, not normalised.

Any of ``--resize/--crop/--mean/--std`` replaces that part and keeps the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from resnet_inspect.anatomy import ARCHITECTURES
from resnet_inspect.capture.models.source import ModelSource
from resnet_inspect.capture.models.weights import torchvision_entry, torchvision_weights
from resnet_inspect.config import Preparation
from resnet_inspect.errors import InspectError

Transform = Callable[[Any], torch.Tensor]  # a PIL image to a C×H×W float tensor
Picture = tuple[tuple[tuple[int, int, int], ...], ...]  # rows of RGB pixels, 0-255

DEFAULT_RESIZE = 256
DEFAULT_CROP = (224, 224)


@dataclass(frozen=True)
class Recipe:
    """One preprocessing, as its parts, and whose it is."""

    resize: int | tuple[int, int]  # the shorter side, or an exact height, width
    crop: tuple[int, int]
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    interpolation: str  # "bilinear", "bicubic"
    whose: str  # "ResNet18_Weights.IMAGENET1K_V1's transforms()", "timm's data config …"


@dataclass(frozen=True)
class Preprocessing:
    transform: Transform
    crop: tuple[int, int]
    described: str
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def picture(self, prepared: torch.Tensor) -> torch.Tensor:
        """A prepared input (C×H×W) as the picture it is, in [0, 1]: the normalisation
        undone, for drawing a map over what the model saw."""
        if self.mean is None or self.std is None:
            return prepared.clamp(0, 1)
        mean = torch.tensor(self.mean, dtype=prepared.dtype).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=prepared.dtype).view(-1, 1, 1)
        return (prepared * std + mean).clamp(0, 1)

    def pixels(self, prepared: torch.Tensor) -> Picture:
        """A prepared input (C×H×W) as the RGB pixels (0-255, rows of (r, g, b)) a map is
        drawn over: the picture, one channel repeated three times for a grey model."""
        seen = self.picture(prepared.to(torch.float32)).expand(3, -1, -1)
        rgb = (seen * 255).round().to(torch.uint8).permute(1, 2, 0)
        return tuple(tuple((r, g, b) for r, g, b in row) for row in rgb.tolist())


def preprocessing_for(
    found: ModelSource, model: torch.nn.Module, options: Preparation
) -> Preprocessing:
    """The model's own preprocessing, with the options' parts in place of its own."""
    own = _torchvision(found) or _timm(found, model)
    recipe, transform = own if own else (_plain_recipe(), None)
    changed = [
        name
        for name, value in (
            ("--resize", options.resize),
            ("--crop", options.crop),
            ("--mean/--std", options.mean),
        )
        if value is not None
    ]
    if changed or transform is None:
        recipe = Recipe(
            resize=options.resize or recipe.resize,
            crop=options.crop or recipe.crop,
            mean=options.mean if options.mean is not None else recipe.mean,
            std=options.std if options.std is not None else recipe.std,
            interpolation=recipe.interpolation,
            whose=recipe.whose + (f", with {' and '.join(changed)}" if changed else ""),
        )
        transform = _composed(recipe)
    return Preprocessing(
        transform=transform,
        crop=recipe.crop,
        described=_described(recipe),
        mean=recipe.mean,
        std=recipe.std,
    )


def prepared(preprocessing: Preprocessing, image: Any, where: str) -> torch.Tensor:
    """One decoded image as the model's input (C×H×W), or one line naming ``where``."""
    try:
        tensor: torch.Tensor = preprocessing.transform(image)
    except (RuntimeError, ValueError) as error:
        first = str(error).splitlines()[0]
        raise InspectError(f"{where}: preprocessing failed: {first}") from None
    return tensor


def _described(recipe: Recipe) -> str:
    resize = recipe.resize
    sized = (
        f"shorter side resized to {resize}"
        if isinstance(resize, int)
        else f"resized to {resize[0]}×{resize[1]}"
    )
    steps = [
        f"{sized} ({recipe.interpolation})",
        f"centre crop {recipe.crop[0]}×{recipe.crop[1]}",
        "scaled to [0, 1]",
    ]
    if recipe.mean is not None and recipe.std is not None:
        mean = ", ".join(f"{v:g}" for v in recipe.mean)
        std = ", ".join(f"{v:g}" for v in recipe.std)
        steps.append(f"normalised by mean ({mean}) and std ({std})")
    else:
        steps.append("not normalised (--mean and --std set it)")
    return f"{recipe.whose}: {', '.join(steps)}"


def _torchvision(found: ModelSource) -> tuple[Recipe, Transform] | None:
    """A torchvision architecture's transforms: one named (``--arch``) or one a checkpoint
    was inferred to be exactly (a checkpoint alone gives the same as with ``--arch``)."""
    if found.info.kind not in ("torchvision", "inferred") or found.info.name not in ARCHITECTURES:
        return None
    entry = torchvision_weights(found.info, found.weights)
    own = entry is not None
    entry = entry if entry is not None else torchvision_entry(found.info.name, "DEFAULT")
    transforms = entry.transforms()
    whose = f"{type(entry).__name__}.{entry.name}'s transforms()"
    if not own:
        kind = {"none": "random", "file": "from a file", "hub": "from the Hub"}
        weights = kind.get(found.weights.kind, found.weights.kind)
        whose += f" (the architecture's own; the weights here are {weights})"
    recipe = Recipe(
        resize=_side(transforms.resize_size),
        crop=_pair(transforms.crop_size),
        mean=tuple(transforms.mean),
        std=tuple(transforms.std),
        interpolation=transforms.interpolation.value,
        whose=whose,
    )
    return recipe, transforms


def _timm(found: ModelSource, model: torch.nn.Module) -> tuple[Recipe, Transform] | None:
    if found.info.kind != "timm":
        return None
    import importlib

    timm_data: Any = importlib.import_module("timm.data")  # an optional extra, untyped
    if found.pretrained_cfg is not None:  # a Hub repository's own, as hf-hub: loading uses
        config = timm_data.resolve_data_config(pretrained_cfg=found.pretrained_cfg, model=model)
    else:
        config = timm_data.resolve_model_data_config(model)
    height, width = config["input_size"][1:]
    crop_pct = config.get("crop_pct") or 1.0
    scaled = (math.floor(height / crop_pct), math.floor(width / crop_pct))
    recipe = Recipe(
        resize=scaled[0] if scaled[0] == scaled[1] else scaled,
        crop=(height, width),
        mean=tuple(config["mean"]),
        std=tuple(config["std"]),
        interpolation=str(config["interpolation"]),
        whose=f"timm's data config of {found.info.name} (crop_pct {crop_pct:g})",
    )
    if config.get("crop_mode", "center") != "center":
        return recipe, _composed(recipe)  # described as what is done
    made: Transform = timm_data.create_transform(**config)
    return recipe, made


def _plain_recipe() -> Recipe:
    return Recipe(
        resize=DEFAULT_RESIZE,
        crop=DEFAULT_CROP,
        mean=None,
        std=None,
        interpolation="bilinear",
        whose="no preprocessing of the model's own (--resize and --crop set it)",
    )


def _composed(recipe: Recipe) -> Transform:
    """What torchvision's ``ImageClassification`` does, from the recipe's parts."""
    from torchvision import transforms

    steps: list[Any] = [
        transforms.Resize(
            recipe.resize,
            interpolation=transforms.InterpolationMode(recipe.interpolation),
            antialias=True,
        ),
        transforms.CenterCrop(recipe.crop),
        transforms.PILToTensor(),
        transforms.ConvertImageDtype(torch.float32),
    ]
    if recipe.mean is not None and recipe.std is not None:
        steps.append(transforms.Normalize(recipe.mean, recipe.std))
    composed: Transform = transforms.Compose(steps)
    return composed


def _side(size: list[int]) -> int | tuple[int, int]:
    return size[0] if len(size) == 1 else (size[0], size[1])


def _pair(size: list[int]) -> tuple[int, int]:
    return (size[0], size[0]) if len(size) == 1 else (size[0], size[1])
