"""BatchNorm on the meta device as the CPU computes it: what its kernels return, by shape and
dtype, without running their meta decompositions.

Two reasons. The meta kernel of ``native_batch_norm`` is a Python decomposition that costs
most of a pass (a resnet50 pass has 53 of them each way). And it returns float32 statistics
for a half-precision input, where the CPU kernel returns them in the input's dtype: what
autograd saves for backward, and so every saved byte a command reports, must be the CPU's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode


def _batchnorm_forward(
    data: torch.Tensor, weight: Any, bias: Any, mean: Any, var: Any, training: bool, *rest: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What ``native_batch_norm`` returns, shapes only: its meta kernel is a Python
    decomposition that would cost most of a pass (a resnet50 pass has 53 of them each way)."""
    channels = data.shape[1] if training else 0
    # Statistics as the CPU kernel returns them: in the input's dtype, or in float32 where a
    # float32 weight meets a half-precision input (autocast's batch_norm).
    affine = weight if weight is not None else mean
    dtype = data.dtype
    if affine is not None and affine.dtype == torch.float32 and data.dtype in _HALVES:
        dtype = torch.float32
    return (
        torch.empty_like(data),
        torch.empty(channels, dtype=dtype, device=data.device),
        torch.empty(channels, dtype=dtype, device=data.device),
    )


_HALVES = (torch.float16, torch.bfloat16)


def _batchnorm_backward(
    grad: torch.Tensor, data: torch.Tensor, weight: Any, *rest: Any
) -> tuple[torch.Tensor | None, ...]:
    """What ``native_batch_norm_backward`` returns, shapes only: the gradients its output
    mask asks for."""
    mask = rest[-1]
    channels = data.shape[1]
    dtype = weight.dtype if weight is not None else data.dtype
    return (
        torch.empty_like(data) if mask[0] else None,
        torch.empty(channels, dtype=dtype, device=data.device) if mask[1] else None,
        torch.empty(channels, dtype=dtype, device=data.device) if mask[2] else None,
    )


BATCHNORM_SHAPES: dict[Any, Callable[..., Any]] = {
    torch.ops.aten.native_batch_norm.default: _batchnorm_forward,
    torch.ops.aten.native_batch_norm_backward.default: _batchnorm_backward,
}


class CpuBatchNorm(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Every other operation as it is; BatchNorm's as the CPU kernel shapes its results."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        shortcut = BATCHNORM_SHAPES.get(func)
        return shortcut(*args) if shortcut else func(*args, **(kwargs or {}))
