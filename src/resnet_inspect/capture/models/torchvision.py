"""Building the torchvision model a command inspects."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch
import torchvision.models
from torch.overrides import TorchFunctionMode

from resnet_inspect.anatomy import ARCHITECTURES


def build_model(arch: str, *, device: str = "cpu", num_classes: int = 1000) -> torch.nn.Module:
    """A torchvision ResNet with random weights.

    On the ``meta`` device no weights are initialised and no memory is allocated, so
    building resnet152 costs about as little as building resnet18.
    """
    if arch not in ARCHITECTURES:  # options validated it; this guards library callers
        raise ValueError(f"unknown architecture {arch!r}")
    builder = getattr(torchvision.models, arch)
    with torch.device(device), SkipInitialisation() if device == "meta" else nullcontext():
        model: torch.nn.Module = builder(weights=None, num_classes=num_classes)
    return model


class SkipInitialisation(TorchFunctionMode):
    """Turn the in-place fills of ``torch.nn.init`` into no-ops while a meta model is built.

    Meta tensors hold no values, yet their random init still runs through PyTorch's Python
    decompositions: more than half of building resnet152 on meta. Torch function modes are
    thread-local, so a model built in another thread at the same time is initialised as usual
    (patching ``torch.nn.init`` itself would reach every thread).
    """

    # What nn.init's functions (kaiming_*, uniform_, normal_, constant_, zeros_, ones_) call.
    _FILLS = frozenset({torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.fill_,
                        torch.Tensor.zero_})  # fmt: skip

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        if func in self._FILLS and args and getattr(args[0], "is_meta", False):
            return args[0]
        return func(*args, **(kwargs or {}))
