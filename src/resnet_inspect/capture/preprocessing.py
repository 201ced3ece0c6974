"""How ``--images`` become the model's input: the weights' own transforms where the model
has them, used as they are (so a plain script that applies them gets the same tensors), or
a resize, centre crop and normalisation composed from ``--resize/--crop/--mean/--std``.

- torchvision's architectures: their weights' ``transforms()`` (the loaded weights', or
  the architecture's DEFAULT weights' when the weights are random or a file);
- ``timm:`` models: timm's data config of the model (``resolve_model_data_config``) and
  the transform timm creates from it;
- anything else: resize the shorter side to 256, centre crop 224, not normalised.

Any of ``--resize/--crop/--mean/--std`` replaces that part and keeps the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from resnet_inspect.capture.source import ModelSource
from resnet_inspect.capture.weights import torchvision_entry, torchvision_weights
from resnet_inspect.config import ImageOptions

Transform = Callable[[Any], torch.Tensor]  # a PIL image to a C×H×W float tensor

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


def preprocessing_for(
    found: ModelSource, model: torch.nn.Module, options: ImageOptions
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
    return Preprocessing(transform=transform, crop=recipe.crop, described=_described(recipe))


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
    if found.info.kind != "torchvision":
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
