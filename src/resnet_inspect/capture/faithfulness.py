"""Deletion and insertion (Petsiuk et al., "RISE", BMVC 2018): does the map's order of the
pixels find what the model's score rests on?

Deletion sets the most important pixels first to 0 in the model's input (after the
normalisation, so the normalisation's mean colour; black where nothing normalises) and
watches the class's probability fall; insertion starts from the image blurred (a Gaussian of
σ 5 px over 11×11, RISE's) and puts the most important pixels back first, watching it
rise. Measured at fractions 0, 1/steps, …, 1 of the pixels, for the map and two baselines
that have no knowledge of the model: a random map and a centred Gaussian. Pixels of equal
importance are taken in reading order (a stable sort).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torchvision.transforms.functional import gaussian_blur

from resnet_inspect.records import CurveRecord

STEPS = 10  # points of each curve past the first: a tenth of the pixels a step
BLUR_KERNEL, BLUR_SIGMA = 11, 5.0
CHUNK = 16  # inputs a forward
RANDOM, GAUSSIAN = "random", "centred Gaussian"


def baseline_maps(size: tuple[int, int], seed: int) -> dict[str, torch.Tensor]:
    """The two maps a map is measured against: uniform noise drawn from ``seed``, and a
    Gaussian centred on the image with σ a quarter of its shorter side."""
    height, width = size
    noise = torch.rand(size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    rows = torch.arange(height, dtype=torch.float64) - (height - 1) / 2
    cols = torch.arange(width, dtype=torch.float64) - (width - 1) / 2
    sigma = min(height, width) / 4
    centred = torch.exp(-(rows[:, None] ** 2 + cols[None, :] ** 2) / (2 * sigma**2))
    return {RANDOM: noise, GAUSSIAN: centred}


def pixel_order(saliency: torch.Tensor) -> torch.Tensor:
    """The pixels of an H×W map, most important first, ties in reading order."""
    return torch.argsort(saliency.flatten().double(), descending=True, stable=True)


def counts(pixels: int, steps: int = STEPS) -> list[int]:
    """How many pixels are deleted (or inserted) at each point of a curve."""
    return [round(k * pixels / steps) for k in range(steps + 1)]


def curves(
    model: torch.nn.Module,
    image: torch.Tensor,
    target: int,
    maps: Mapping[str, torch.Tensor],
    steps: int = STEPS,
) -> tuple[CurveRecord, ...]:
    """The deletion and insertion curves of ``image`` (C×H×W, as the model takes it) for
    class ``target`` by each map's pixel order (H×W each), the class's softmax probability
    at each point. The ends every map shares (the image, the image deleted whole, the
    blurred image) are measured once."""
    channels, height, width = image.shape
    flat = image.reshape(channels, -1)
    blurred = gaussian_blur(image[None], [BLUR_KERNEL, BLUR_KERNEL], [BLUR_SIGMA, BLUR_SIGMA])[0]
    blurred_flat = blurred.reshape(channels, -1)
    taken = counts(height * width, steps)
    inputs: list[torch.Tensor] = [image, torch.zeros_like(image), blurred]
    at: dict[tuple[str, str, int], int] = {}
    for name, saliency in maps.items():
        order = pixel_order(saliency)
        at[name, "deletion", 0] = at[name, "insertion", steps] = 0
        at[name, "deletion", steps] = 1
        at[name, "insertion", 0] = 2
        for k in range(1, steps):
            chosen = order[: taken[k]]
            deleted = flat.clone()
            deleted[:, chosen] = 0
            at[name, "deletion", k] = len(inputs)
            inputs.append(deleted.reshape(image.shape))
            inserted = blurred_flat.clone()
            inserted[:, chosen] = flat[:, chosen]
            at[name, "insertion", k] = len(inputs)
            inputs.append(inserted.reshape(image.shape))
    probabilities = _probabilities(model, inputs, target)
    return tuple(
        CurveRecord(
            map=name,
            deletion=tuple(probabilities[at[name, "deletion", k]] for k in range(steps + 1)),
            insertion=tuple(probabilities[at[name, "insertion", k]] for k in range(steps + 1)),
        )
        for name in maps
    )


def _probabilities(model: torch.nn.Module, inputs: list[torch.Tensor], target: int) -> list[float]:
    found: list[float] = []
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(inputs), CHUNK):
            logits = model(torch.stack(inputs[start : start + CHUNK]))
            found += torch.softmax(logits.double(), dim=1)[:, target].tolist()
    return found
