"""`cam --trust` against a plain `cam`, and a folder ten times larger against a small one.

    python benchmarks/bench_cam_trust.py [--repeats 3]

Goals (issue 37), side by side in one run:
- one image's `--trust` on resnet50 at 224 ≤ 3× a plain `cam` (the cascade is one forward
  and backward per section, the curves batch their forwards);
- `cam FOLDER` on resnet18 at 224: 200 images stream in bounded memory, the peak within a
  few percent of 20 images'.
The images are synthetic, written first (nothing is downloaded).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from measure import Case, measure, print_comparison, tool


def write_folder(folder: Path, count: int) -> None:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True)
    generator = np.random.default_rng(count)
    for i in range(count):
        pixels = (generator.random((240, 320, 3)) * 255).astype("uint8")
        pixels[60:180, 80:220] = (230, 200, 40)
        Image.fromarray(pixels).save(folder / f"{i:03d}.jpg", quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats

    base = Path(tempfile.mkdtemp())
    write_folder(base / "one", 1)
    image = str(base / "one" / "000.jpg")
    write_folder(base / "small", 20)
    write_folder(base / "large", 200)
    cases = [
        Case("cam resnet50", tool("cam", image, "--arch", "resnet50")),
        Case("cam resnet50 --trust", tool("cam", image, "--arch", "resnet50", "--trust")),
        Case("cam FOLDER of 20, resnet18", tool("cam", str(base / "small"))),
        Case("cam FOLDER of 200, resnet18", tool("cam", str(base / "large"))),
    ]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    print_comparison(
        "one image's --trust, resnet50 at 224 (goal ≤ 3.00x wall)",
        results["cam resnet50 --trust"],
        results["cam resnet50"],
    )
    print_comparison(
        "a folder 10x larger (goal: peak RSS ≈ 1.00x)",
        results["cam FOLDER of 200, resnet18"],
        results["cam FOLDER of 20, resnet18"],
    )


if __name__ == "__main__":
    main()
