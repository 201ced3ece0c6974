"""`diff` of two resnet152 checkpoints against the floor: importing torch and loading both.

    python benchmarks/bench_diff.py [--repeats 5]

Goal (issue 14): ≤ 1.3× `python -c "import torch, torchvision; torch.load(a, mmap=True,
weights_only=True); torch.load(b, mmap=True, weights_only=True)"`, wall and peak memory.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from measure import Case, measure, print_comparison, python, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    import torch
    import torchvision

    with tempfile.TemporaryDirectory() as folder:
        a, b = Path(folder) / "a.pth", Path(folder) / "b.pth"
        torch.manual_seed(0)
        model = torchvision.models.resnet152()
        torch.save(model.state_dict(), a)
        with torch.no_grad():  # a fine-tune of layer4 and the head
            for name, param in model.named_parameters():
                if name.startswith(("layer4.", "fc.")):
                    param.add_(torch.randn_like(param) * 1e-3)
        torch.save(model.state_dict(), b)
        load = (
            f"import torch, torchvision; torch.load({str(a)!r}, mmap=True, weights_only=True); "
            f"torch.load({str(b)!r}, mmap=True, weights_only=True)"
        )
        cases = [
            Case("import + load both (floor)", python(load)),
            Case("diff a.pth b.pth (resnet152)", tool("diff", str(a), str(b))),
        ]
        results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, repeats: {repeats}")
    print_comparison(
        "diff of two resnet152 checkpoints (goal ≤ 1.3x)",
        results["diff a.pth b.pth (resnet152)"],
        results["import + load both (floor)"],
    )


if __name__ == "__main__":
    main()
