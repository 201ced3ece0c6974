"""Grad-CAM (Selvaraju et al., ICCV 2017): where in the image a layer's evidence for a class
lies. For each chosen layer with output A (C×h×w), the class score's gradient G = ∂y_c/∂A,
channel weights α_k = the mean of G_k over the map, and the map ReLU(Σ_k α_k·A_k), upsampled
bilinearly to the input's height and width. One forward and one backward serve every layer
and every image of a batch (in eval mode the images do not touch each other).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from resnet_inspect.errors import InspectError
from resnet_inspect.records import CamCapture, Grid


@dataclass
class CamPass:
    """One forward of a batch with the chosen layers' outputs kept, ready for the maps of
    any classes (each :meth:`maps` call is one backward)."""

    logits: torch.Tensor  # N×classes, part of the graph
    outputs: dict[str, torch.Tensor]  # layer -> its output, N×C×h×w, part of the graph

    def maps(self, targets: Sequence[int], *, keep: bool = False) -> dict[str, torch.Tensor]:
        """Each layer's Grad-CAM (N×h×w) for class ``targets[i]`` of image i; ``keep``
        keeps the graph for another call."""
        chosen = torch.as_tensor(list(targets), device=self.logits.device)
        score = self.logits.gather(1, chosen[:, None]).sum()
        names = list(self.outputs)
        gradients = torch.autograd.grad(
            score, [self.outputs[name] for name in names], retain_graph=keep, allow_unused=True
        )
        found: dict[str, torch.Tensor] = {}
        for name, gradient in zip(names, gradients, strict=True):
            if gradient is None:
                raise InspectError(f"--layer {name}: its output has no map the class score reaches")
            weights = gradient.mean(dim=(2, 3))
            activations = self.outputs[name].detach()
            found[name] = torch.relu((weights[:, :, None, None] * activations).sum(1))
        return found

    def top(self) -> list[int]:
        return [int(i) for i in self.logits.detach().argmax(dim=1)]


def cam_pass(model: torch.nn.Module, data: torch.Tensor, layers: Sequence[str]) -> CamPass:
    """One eval-mode forward of ``data`` (N×C×H×W) that keeps ``layers``' outputs."""
    seen: dict[str, torch.Tensor] = {}

    def keep(name: str) -> Callable[[torch.nn.Module, object, object], object]:
        def hook(_: torch.nn.Module, __: object, output: object) -> object:
            if isinstance(output, torch.Tensor) and output.requires_grad:
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
        with torch.enable_grad():
            logits = model(data)
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise InspectError(f"the model's output is {shape}, not class scores")
    for name in layers:
        found = seen.get(name)
        if found is None or found.dim() != 4:
            raise InspectError(f"--layer {name}: its output has no map the class score reaches")
    return CamPass(logits=logits, outputs={name: seen[name] for name in layers})


def upsampled(cams: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Maps (N×h×w) brought to the input's H×W bilinearly, each scaled so its largest value
    is 1 (a map of zeros stays zeros)."""
    up = F.interpolate(cams[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    largest = up.flatten(1).amax(dim=1).clamp_min(torch.finfo(up.dtype).tiny)
    return torch.where(
        up.flatten(1).amax(dim=1)[:, None, None] > 0, up / largest[:, None, None], up
    )


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
    found = cam_pass(model, data, layers)
    chosen = found.top()[0] if target is None else target
    cams = found.maps([chosen])
    size = (int(data.shape[-2]), int(data.shape[-1]))
    grids: dict[str, Grid] = {}
    maps: dict[str, Grid] = {}
    channels: dict[str, tuple[tuple[int, float, Grid], ...]] = {}
    for name in layers:
        grids[name] = as_grid(cams[name][0])
        maps[name] = as_grid(upsampled(cams[name], size)[0])
        if strongest:
            activations = found.outputs[name].detach()[0]
            means = activations.mean(dim=(1, 2))
            order = torch.argsort(means, descending=True, stable=True)[:strongest].tolist()
            channels[name] = tuple((k, float(means[k]), as_grid(activations[k])) for k in order)
    return CamCapture(
        logits=tuple(float(v) for v in found.logits[0].detach()),
        target=chosen,
        grids=grids,
        maps=maps,
        channels=channels,
    )


def as_grid(tensor: torch.Tensor) -> Grid:
    return tuple(tuple(float(v) for v in row) for row in tensor.detach().double().tolist())
