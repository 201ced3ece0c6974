"""Grad-CAM (Selvaraju et al., ICCV 2017): where in the image a layer's evidence for a class
lies. For each chosen layer with output A (C×h×w), the class score's gradient G = ∂y_c/∂A,
channel weights α_k = the mean of G_k over the map, and the map ReLU(Σ_k α_k·A_k), upsampled
bilinearly to the input's height and width. One forward and one backward serve every layer.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from resnet_inspect.errors import InspectError
from resnet_inspect.records import CamCapture, Grid


def grad_cam(
    model: torch.nn.Module,
    data: torch.Tensor,
    layers: list[str],
    target: int | None,
    strongest: int = 0,
) -> CamCapture:
    """Grad-CAM of ``data`` (one image, 1×C×H×W) at each of ``layers``, for class
    ``target`` (None: the top class), in eval mode; with ``strongest``, each layer's that
    many channels of the largest mean activation, with their maps (from the same forward)."""
    seen: dict[str, torch.Tensor] = {}

    def keep(name: str) -> Callable[[torch.nn.Module, object, object], object]:
        def hook(_: torch.nn.Module, __: object, output: object) -> object:
            if isinstance(output, torch.Tensor) and output.requires_grad:
                output.retain_grad()
                seen[name] = output
                # What runs next gets a copy: an in-place op after the layer (a ReLU with
                # inplace=True after a BatchNorm, the block's out += identity) rewrites
                # the copy, not the layer's own output, whose values and gradient are the
                # layer's (captum's LayerGradCam reads the same).
                return output.clone()
            return None

        return hook

    handles = [model.get_submodule(name).register_forward_hook(keep(name)) for name in layers]
    model.eval()
    try:
        logits = model(data)
    finally:
        for handle in handles:
            handle.remove()
    if logits.dim() != 2:
        raise InspectError(f"the model's output is {tuple(logits.shape)}, not class scores")
    chosen = int(logits[0].argmax()) if target is None else target
    logits[0, chosen].backward()
    grids: dict[str, Grid] = {}
    maps: dict[str, Grid] = {}
    channels: dict[str, tuple[tuple[int, float, Grid], ...]] = {}
    for name in layers:
        found = seen.get(name)
        if found is None or found.grad is None or found.dim() != 4:
            raise InspectError(f"--layer {name}: its output has no map the class score reaches")
        activations, gradients = found.detach()[0], found.grad[0]
        weights = gradients.mean(dim=(1, 2))
        cam = torch.relu((weights[:, None, None] * activations).sum(0))
        size = tuple(data.shape[-2:])
        up = F.interpolate(cam[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
        largest = float(up.max())
        grids[name] = _grid(cam)
        maps[name] = _grid(up / largest if largest > 0 else up)
        if strongest:
            means = activations.mean(dim=(1, 2))
            order = torch.argsort(means, descending=True, stable=True)[:strongest].tolist()
            channels[name] = tuple((k, float(means[k]), _grid(activations[k])) for k in order)
    return CamCapture(
        logits=tuple(float(v) for v in logits[0].detach()),
        target=chosen,
        grids=grids,
        maps=maps,
        channels=channels,
    )


def _grid(tensor: torch.Tensor) -> Grid:
    return tuple(tuple(float(v) for v in row) for row in tensor.detach().double().tolist())
