"""Building the torchvision model a command inspects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

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
    with torch.device(device), _initialisation_skipped() if device == "meta" else nullcontext():
        model: torch.nn.Module = builder(weights=None, num_classes=num_classes)
    return model


# The torch.nn.init functions that torchvision's ResNet and its layers call.
_INITIALISERS = ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "constant_")


@contextmanager
def _initialisation_skipped() -> Iterator[None]:
    """Make torch.nn.init a no-op while a meta model is built.

    Meta tensors hold no values, yet their random init still runs through PyTorch's
    Python decompositions: a third of the time `tree` spends on resnet152.
    """
    saved = {name: getattr(torch.nn.init, name) for name in _INITIALISERS}

    def keep(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return tensor

    try:
        for name in _INITIALISERS:
            setattr(torch.nn.init, name, keep)
        yield
    finally:
        for name, function in saved.items():
            setattr(torch.nn.init, name, function)
