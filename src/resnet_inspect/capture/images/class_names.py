"""The names of a model's classes, and where they were read: ``--labels FILE`` (one a
line), a Hub repository's ``config.json`` (timm's ``label_names`` or transformers'
``id2label``), torchvision's pretrained weights (``meta["categories"]``), or timm's
ImageNet label descriptions for a timm model whose weights were trained on ImageNet.

Names are given only where they are the model's: random weights have no classes to name,
and a list whose length is not the head's size names nothing.
"""

from __future__ import annotations

from typing import Any

import torch

from resnet_inspect.capture.models.hub import PREFIX as HUB_PREFIX
from resnet_inspect.capture.models.hub import cached_files
from resnet_inspect.capture.models.source import ModelSource
from resnet_inspect.capture.models.weights import torchvision_weights
from resnet_inspect.errors import InspectError, OptionError

Names = tuple[list[str], str]  # the names, and where they come from ("" where none)


def class_names(labels: str, found: ModelSource, model: torch.nn.Module, classes: int) -> Names:
    if labels:
        return _from_file(labels, classes), f"--labels {labels}"
    mismatched = ""
    for names, whose in (_from_hub(found), _from_torchvision(found), _from_timm(found, model)):
        if len(names) == classes:
            return names, whose
        if names and not mismatched:  # a list that names another head: said, not used
            mismatched = f"none used: {whose} has {len(names)} names for {classes} classes"
    return [], mismatched


def _from_file(path: str, classes: int) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig") as file:  # a byte-order mark is no name
            names = [line.strip() for line in file if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise InspectError(f"--labels {path}: {error.__class__.__name__}: {error}") from None
    if len(names) != classes:
        raise OptionError(f"--labels {path}: {len(names)} names for a model of {classes} classes")
    return names


def _from_hub(found: ModelSource) -> Names:
    if found.weights.kind != "hub":
        return [], ""
    repo = found.weights.name.removeprefix(HUB_PREFIX)
    _, _, config = cached_files(repo)
    listed = config.get("label_names")
    if isinstance(listed, list) and all(isinstance(name, str) for name in listed):
        return list(listed), f"{found.weights.name}'s config.json (label_names)"
    mapping: Any = config.get("id2label")
    if isinstance(mapping, dict):
        try:
            by_index = {int(key): str(value) for key, value in mapping.items()}
        except ValueError:
            return [], ""
        if sorted(by_index) == list(range(len(by_index))):
            names = [by_index[index] for index in range(len(by_index))]
            return names, f"{found.weights.name}'s config.json (id2label)"
    return [], ""


def _from_torchvision(found: ModelSource) -> Names:
    entry = torchvision_weights(found.info, found.weights)
    if entry is None:
        return [], ""
    whose = f'{type(entry).__name__}.{entry.name}.meta["categories"]'
    return list(entry.meta.get("categories", [])), whose


def _from_timm(found: ModelSource, model: torch.nn.Module) -> Names:
    """ImageNet's names for a timm model with weights whose configuration says ImageNet."""
    if found.info.kind != "timm" or found.weights.kind == "none":
        return [], ""
    import importlib

    timm_data: Any = importlib.import_module("timm.data")
    subset = timm_data.infer_imagenet_subset(model)
    if not subset:
        return [], ""
    descriptions = timm_data.ImageNetInfo(subset).label_descriptions()
    names = [description.split(",")[0] for description in descriptions]
    return names, f"timm's {subset} label descriptions"
