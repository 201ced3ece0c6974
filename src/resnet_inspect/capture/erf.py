"""The effective receptive field, measured: how much each input pixel moves one unit.

Luo, Li, Urtasun & Zemel, "Understanding the Effective Receptive Field in Deep
Convolutional Neural Networks" (NeurIPS 2016): the gradient of one output unit (here the
centre unit of a row's output, summed over its channels) with respect to the input, in
absolute value, summed over the input's channels and averaged over samples. The model runs
in eval mode (BatchNorm on its running statistics, so the samples do not mix), and the
forward stops at the row: nothing after it is computed.
"""

from __future__ import annotations

import math

import torch

from resnet_inspect.errors import InspectError
from resnet_inspect.records import ErfCapture


class _Reached(Exception):
    """Raised by the row's hook: the forward has computed what the measurement needs."""


def measure_erf(
    model: torch.nn.Module, layer: str, data: torch.Tensor, *, call: int = 1
) -> ErfCapture:
    """The mean absolute input gradient of the centre unit of ``layer``'s output at its
    ``call``-th call in the forward (a block's ReLU runs twice), over the samples in
    ``data`` (B×C×H×W)."""
    module = model.get_submodule(layer)
    seen: list[torch.Tensor] = []
    calls = [0]

    def stop(_: torch.nn.Module, __: object, output: object) -> None:
        calls[0] += 1
        if isinstance(output, torch.Tensor) and calls[0] == call:
            seen.append(output)
            raise _Reached

    handle = module.register_forward_hook(stop)
    model.eval()
    data = data.detach().clone().requires_grad_(True)
    try:
        model(data)
    except _Reached:
        pass
    finally:
        handle.remove()
    if not seen or seen[0].dim() != 4:
        raise InspectError(f"--layer {layer}: its output has no height and width to measure")
    output = seen[0]
    unit = (output.shape[2] // 2, output.shape[3] // 2)
    output[:, :, unit[0], unit[1]].sum().backward()  # type: ignore[no-untyped-call]
    assert data.grad is not None
    heat = data.grad.detach().abs().to(torch.float64).sum(1).mean(0)
    total = float(heat.sum())
    if not math.isfinite(total) or total <= 0:
        raise InspectError(
            f"--layer {layer}: the gradient of its centre unit is {total} everywhere (the "
            "unit is dead, or overflowed); try another --layer or --seed"
        )
    heat = heat / total
    return ErfCapture(
        heat=tuple(tuple(float(v) for v in row) for row in heat.tolist()),
        output_shape=tuple(output.shape[1:]),
        unit=unit,
    )
