"""timm's family and safetensors at the cost of their imports.

    python benchmarks/bench_timm.py [--repeats 5]

Goals (issue 23):
- `tree --arch timm:resnet50d --input 64,3,512,512` ≤ 1.10× the wall and peak of
  `import torch, torchvision, timm` + `timm.create_model("resnet50d")` on the meta device;
- `tree --weights resnet152.safetensors` (its configuration inferred) ≤ 1.05× `import torch,
  torchvision` + `safe_open` of the same file, every tensor taken.
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
    from safetensors.torch import save_file

    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "resnet152.safetensors"
        torch.manual_seed(0)
        save_file(torchvision.models.resnet152().state_dict(), checkpoint)
        build = (
            "import torch, torchvision, timm\n"
            "with torch.device('meta'):\n"
            "    timm.create_model('resnet50d')"
        )
        read = (
            "import torch, torchvision\n"
            "from safetensors import safe_open\n"
            f"with safe_open({str(checkpoint)!r}, framework='pt') as f:\n"
            "    tensors = {k: f.get_tensor(k) for k in f.keys()}"
        )
        cases = [
            Case("import + timm.create_model on meta", python(build)),
            Case(
                "tree timm:resnet50d 64,3,512,512",
                tool("tree", "--no-cache", "--arch", "timm:resnet50d", "--input", "64,3,512,512"),
            ),
            Case("import + safe_open, every tensor", python(read)),
            Case(
                "tree --weights resnet152.safetensors",
                tool("tree", "--no-cache", "--weights", str(checkpoint)),
            ),
        ]
        results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, repeats: {repeats}")
    print_comparison(
        "timm's resnet50d at 64,3,512,512 (goal ≤ 1.10x)",
        results["tree timm:resnet50d 64,3,512,512"],
        results["import + timm.create_model on meta"],
    )
    print_comparison(
        "an inferred resnet152 .safetensors (goal ≤ 1.05x)",
        results["tree --weights resnet152.safetensors"],
        results["import + safe_open, every tensor"],
    )


if __name__ == "__main__":
    main()
