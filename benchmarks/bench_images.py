"""`train-step --images` against a bare 5-step script over the same images.

    python benchmarks/bench_images.py [--repeats 5]

Goal (issue 27): `train-step --images FOLDER --batch 8 --steps 5` on resnet18 ≤ 1.15× a
bare script that reads the same ImageFolder with the weights' transforms, in the same
order, and takes the same 5 SGD steps (cross-entropy against the folder's labels), side by
side in one run. The images are synthetic ones written first (nothing is downloaded):
2 classes of 20 JPEGs of 320×240 and 400×300 pixels.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from measure import Case, measure, print_comparison, python, tool

BARE = """
import gc, torch, torchvision
import torch.nn.functional as F
gc.freeze()
weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
data = torchvision.datasets.ImageFolder({folder!r}, transform=weights.transforms())
torch.manual_seed(0)
model = torchvision.models.resnet18()
model.train()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
order = list(range(len(data))) * 2
for step in range(5):
    taken = [data[i] for i in order[step * 8 : (step + 1) * 8]]
    x = torch.stack([image for image, _ in taken])
    y = torch.tensor([label for _, label in taken])
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    import torch
    from PIL import Image

    folder = Path(tempfile.mkdtemp()) / "pets"
    generator = torch.Generator().manual_seed(0)
    for label in ("cat", "dog"):
        (folder / label).mkdir(parents=True)
        for index in range(20):
            size = (320, 240) if index % 2 else (400, 300)
            pixels = torch.randint(0, 256, (size[1], size[0], 3), generator=generator)
            picture = Image.fromarray(pixels.to(torch.uint8).numpy())
            picture.save(folder / label / f"{index:02}.jpg", quality=90)
    bare = BARE.format(folder=str(folder))
    command = ("train-step", "--images", str(folder), "--batch", "8", "--steps", "5")
    cases = [
        Case("bare 5-step script", python(bare)),
        Case("train-step --images", tool(*command)),
    ]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    print_comparison(
        "train-step --images resnet18, 8 a step, 5 steps (goal ≤ 1.15x)",
        results["train-step --images"],
        results["bare 5-step script"],
    )


if __name__ == "__main__":
    main()
