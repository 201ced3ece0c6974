"""Building the torchvision model a command inspects."""

from __future__ import annotations

import torch
import torchvision.models

from resnet_inspect.anatomy import ARCHITECTURES


def build_model(arch: str, *, device: str = "cpu", num_classes: int = 1000) -> torch.nn.Module:
    """A torchvision ResNet with random weights.

    On the ``meta`` device no weights are initialised and no memory is allocated, so
    building resnet152 costs about as little as building resnet18.
    """
    if arch not in ARCHITECTURES:  # options validated it; this guards library callers
        raise ValueError(f"unknown architecture {arch!r}")
    builder = getattr(torchvision.models, arch)
    with torch.device(device):
        model: torch.nn.Module = builder(weights=None, num_classes=num_classes)
    return model
