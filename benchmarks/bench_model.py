"""Your own ResNet at the cost of importing torch: `--model` and an inferred checkpoint.

    python benchmarks/bench_model.py [--repeats 5]

Goals (issue 12):
- `tree --model scratch_resnet.py:build --input 64,3,512,512` (a from-scratch ResNet of
  resnet152's size) ≤ 1.10× `import torch, torchvision`, wall and peak memory;
- `tree --weights resnet152.pth` (its configuration inferred) ≤ 1.15× `import torch,
  torchvision` plus `torch.load(..., weights_only=True, mmap=True)` of the same file.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from measure import Case, measure, print_comparison, python, tool

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    import torch
    import torchvision

    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "resnet152.pth"
        torch.manual_seed(0)
        torch.save(torchvision.models.resnet152().state_dict(), checkpoint)
        load = (
            f"import torch, torchvision; torch.load({str(checkpoint)!r}, weights_only=True, "
            "mmap=True)"
        )
        cases = [
            Case("import torch, torchvision (floor)", python("import torch, torchvision")),
            Case("import + torch.load(mmap) resnet152.pth", python(load)),
            Case(
                "tree --model scratch 152 64,3,512,512",
                tool(
                    "tree",
                    "--model",
                    f"{HERE / 'scratch_resnet.py'}:build",
                    "--input",
                    "64,3,512,512",
                ),
            ),
            Case(
                "tree --weights resnet152.pth (inferred)",
                tool("tree", "--weights", str(checkpoint)),
            ),
        ]
        results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, repeats: {repeats}")
    print_comparison(
        "tree --model, from-scratch resnet152 size at 64,3,512,512 (goal ≤ 1.10x)",
        results["tree --model scratch 152 64,3,512,512"],
        results["import torch, torchvision (floor)"],
    )
    print_comparison(
        "tree --weights, configuration inferred (goal ≤ 1.15x)",
        results["tree --weights resnet152.pth (inferred)"],
        results["import + torch.load(mmap) resnet152.pth"],
    )


if __name__ == "__main__":
    main()
