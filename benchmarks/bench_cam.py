"""`cam` against a bare Grad-CAM script on the same image.

    python benchmarks/bench_cam.py [--repeats 5]

Goal (issue 27): `cam` on resnet50 at 224×224 ≤ 1.2× a bare Grad-CAM script (load the
image, forward, backward, the weighted sum, save a PNG), side by side in one run. The image
is a synthetic one written first (nothing is downloaded).
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
from PIL import Image
gc.freeze()
torch.manual_seed(0)
model = torchvision.models.resnet50().eval()
image = Image.open({image!r}).convert("RGB").resize((224, 224), Image.Resampling.BILINEAR)
x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).float()
x = (x.view(224, 224, 3).permute(2, 0, 1) / 255)[None]
kept = {{}}
def hook(module, inputs, output):
    kept["a"] = output
    output.register_hook(lambda grad: kept.__setitem__("g", grad))
model.layer4.register_forward_hook(hook)
scores = model(x)
scores[0, int(scores[0].argmax())].backward()
weights = kept["g"].mean(dim=(2, 3))
cam = torch.relu((weights[:, :, None, None] * kept["a"]).sum(1))
up = F.interpolate(cam[None], size=(224, 224), mode="bilinear", align_corners=False)[0, 0]
up = (up / up.max() * 255).byte()
Image.fromarray(up.numpy()).resize((448, 448)).save({out!r})
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    from PIL import Image

    folder = Path(tempfile.mkdtemp())
    image = folder / "object.png"
    picture = Image.new("RGB", (320, 240))
    picture.paste((230, 200, 40), (80, 60, 220, 180))
    picture.save(image)
    bare = BARE.format(image=str(image), out=str(folder / "bare.png"))
    command = ("cam", str(image), "--arch", "resnet50")
    cases = [
        Case("bare Grad-CAM script", python(bare)),
        Case("cam --save-png", tool(*command, "--save-png", str(folder / "cam.png"))),
    ]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    print_comparison(
        "cam resnet50 at 224 (goal ≤ 1.20x)",
        results["cam --save-png"],
        results["bare Grad-CAM script"],
    )


if __name__ == "__main__":
    main()
