"""``cam FOLDER``: Grad-CAM of every image of a folder, streamed.

A few images at a time are read, prepared, explained (one forward and one backward for the
batch) and let go; what stays is a few numbers per image and running sums of the maps (per
layer, and per class at the explained layer), so the process's memory does not grow with
the folder. Each image's maps can be handed to ``on_image`` as they are made (``--save-dir``
writes them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch

from resnet_inspect.capture.cam import cam_pass, upsampled
from resnet_inspect.capture.images.preprocessing import Picture, Preprocessing, prepared
from resnet_inspect.capture.images.reading import open_image
from resnet_inspect.capture.instrument import model_dtype
from resnet_inspect.capture.trust import TrustSetup, trust_batch
from resnet_inspect.records import CamImageRecord, TrustRecord

CHUNK = 8  # images a forward and backward
# One image's maps as drawn: its path, the picture (rows of RGB pixels) and each layer's
# map over it (H×W, the largest 1).
ImageMaps = Callable[[str, Picture, dict[str, torch.Tensor]], None]
Progress = Callable[[int, int], None]  # images done, of how many


@dataclass
class FolderMaps:
    images: list[CamImageRecord] = field(default_factory=list)
    grids: dict[str, torch.Tensor] = field(default_factory=dict)  # layer -> Σ map (h×w)
    heats: dict[str, torch.Tensor] = field(default_factory=dict)  # layer -> Σ map (H×W)
    by_class: dict[int, torch.Tensor] = field(default_factory=dict)  # group -> Σ map (H×W)
    counted: dict[int, int] = field(default_factory=dict)  # group -> images
    randomised: dict[str, torch.Tensor] = field(default_factory=dict)  # section -> Σ map

    def add(self, layer: str, grid: torch.Tensor, heat: torch.Tensor) -> None:
        self.grids[layer] = self.grids.get(layer, 0) + scaled(grid)
        self.heats[layer] = self.heats.get(layer, 0) + heat.double()

    def centres(self) -> dict[int, tuple[float, float] | None]:
        """Each class's mean map's centre of mass."""
        return {group: centre_of_mass(total) for group, total in self.by_class.items()}

    def kept(self, record: TrustRecord) -> TrustRecord:
        """The record without its maps, which are summed here instead: a folder's records
        stay a few numbers an image."""
        for step in record.randomised:
            grid = scaled(torch.tensor(step.grid, dtype=torch.float64))
            self.randomised[step.stage] = self.randomised.get(step.stage, 0) + grid
        steps = tuple(replace(step, grid=()) for step in record.randomised)
        return replace(record, randomised=steps)


def scaled(grid: torch.Tensor) -> torch.Tensor:
    """A map scaled so its largest is 1 (zeros stay zeros): each image counts the same."""
    grid = grid.double()
    largest = float(grid.max())
    return grid / largest if largest > 0 else grid


def cam_folder(
    model: torch.nn.Module,
    files: Sequence[str],
    labels: Sequence[int] | None,
    preprocessing: Preprocessing,
    channels: int,
    layers: Sequence[str],
    target: int | None,
    *,
    trust: TrustSetup | None = None,
    on_image: ImageMaps | None = None,
    progress: Progress | None = None,
) -> FolderMaps:
    """Each image's map for ``target`` (None: its own top class) at each layer; the last
    layer is the one explained (centre of mass, classes, trust)."""
    dtype = model_dtype(model)
    explained = layers[-1]
    found = FolderMaps()
    for start in range(0, len(files), CHUNK):
        chunk = files[start : start + CHUNK]
        tensors, notes = [], []
        for path in chunk:
            image, conversions = open_image(path, channels, "IMAGE", upright=True)
            notes.append(tuple(sorted(conversions)))
            tensors.append(prepared(preprocessing, image, f"IMAGE {path}"))
        data = torch.stack(tensors).to(dtype)
        size = (int(data.shape[-2]), int(data.shape[-1]))
        passed = cam_pass(model, data, layers)
        targets = passed.top() if target is None else [target] * len(chunk)
        tops = passed.top()
        logits = passed.logits.detach().double()
        probabilities = torch.softmax(logits, dim=1)
        cams = passed.maps(targets, keep=trust is not None)  # the other classes' maps: --trust
        heats = {name: upsampled(cams[name], size) for name in layers}
        checks = (
            trust_batch(model, data, targets, heats[explained], trust, passed) if trust else None
        )
        del passed
        for i, path in enumerate(chunk):
            for name in layers:
                found.add(name, cams[name][i], heats[name][i])
            label = labels[start + i] if labels is not None else -1
            group = label if labels is not None else targets[i]
            found.by_class[group] = found.by_class.get(group, 0) + heats[explained][i].double()
            found.counted[group] = found.counted.get(group, 0) + 1
            found.images.append(
                CamImageRecord(
                    path=path,
                    folder_class=label,
                    target=targets[i],
                    probability=float(probabilities[i, targets[i]]),
                    logit=float(logits[i, targets[i]]),
                    top=tops[i],
                    centre=centre_of_mass(heats[explained][i]),
                    conversions=notes[i],
                    trust=found.kept(checks[i]) if checks else None,
                )
            )
            if on_image is not None:
                pixels = preprocessing.pixels(data[i])
                on_image(path, pixels, {name: heats[name][i] for name in layers})
        if progress is not None:
            progress(min(start + CHUNK, len(files)), len(files))
    return found


def centre_of_mass(heat: torch.Tensor) -> tuple[float, float] | None:
    """Where a map's weight lies on average, as (row, column) fractions of its height and
    width (0.5, 0.5 is the image's centre); None for a map of zeros."""
    total = float(heat.double().sum())
    if total <= 0:
        return None
    height, width = heat.shape
    rows = (torch.arange(height, dtype=torch.float64) + 0.5) / height
    cols = (torch.arange(width, dtype=torch.float64) + 0.5) / width
    weights = heat.double()
    return (
        float((weights.sum(1) * rows).sum()) / total,
        float((weights.sum(0) * cols).sum()) / total,
    )
