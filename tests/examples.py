"""The files the registry's examples stand for ({image}, {a}, {b}, {folder}), made here: a
photo-sized picture, two resnet18 checkpoints a fine-tune apart, and a small ImageFolder.
Read by the tests that cover every command and by docs/make_docs.py, so that both run the
same examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def example_files(folder: Path) -> dict[str, str]:
    """Write the example files into ``folder`` (once; they are the same bytes every time)."""
    import torch
    import torchvision
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / "photo.png"
    if not photo.exists():
        generator = torch.Generator().manual_seed(7)
        noise = torch.randint(0, 256, (300, 400, 3), dtype=torch.uint8, generator=generator)
        noise[100:220, 150:300] = torch.tensor([230, 190, 40], dtype=torch.uint8)  # an object
        Image.fromarray(noise.numpy()).save(photo)
    a, b = folder / "a.pth", folder / "b.pth"
    if not b.exists():
        torch.manual_seed(0)
        state = torchvision.models.resnet18().state_dict()
        torch.save(state, a)
        tuned = {key: value.clone() for key, value in state.items()}
        tuned["fc.weight"] += 0.01  # the head trained, and BatchNorm saw batches
        tuned["layer4.1.bn2.running_mean"] += 0.1
        tuned["layer4.1.bn2.num_batches_tracked"] += 100
        torch.save(tuned, b)
    shapes = folder / "shapes"
    if not shapes.exists():
        generator = torch.Generator().manual_seed(11)
        for name, box in (("squares", (40, 40, 120, 120)), ("bars", (20, 70, 140, 90))):
            (shapes / name).mkdir(parents=True)
            for i in range(2):
                size = (160, 160, 3)
                noise = torch.randint(0, 120, size, dtype=torch.uint8, generator=generator)
                left, top, right, bottom = (v + 10 * i for v in box)
                noise[top:bottom, left:right] = torch.tensor([230, 190, 40], dtype=torch.uint8)
                Image.fromarray(noise.numpy()).save(shapes / name / f"{i}.png")
    return {"image": str(photo), "a": str(a), "b": str(b), "folder": str(shapes)}


def example_args(entry: Any, files: dict[str, str]) -> list[str]:
    """The command line of a registry entry's example, its placeholders filled in."""
    return [entry.name, *(argument.format(**files) for argument in entry.example)]
