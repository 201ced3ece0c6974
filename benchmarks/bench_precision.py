"""Mixed precision: `train-step --precision bf16` against a bare autocast script, and
`plan --precision all` against the import floor.

    python benchmarks/bench_precision.py [--repeats 3]

Goals (issue 24): train-step --precision bf16 on resnet50 at 8×3×224×224 ≤ 1.10× a bare
script that takes the same step under torch.autocast("cpu", torch.bfloat16); and
`plan --arch resnet50 --input 8,3,224,224 --new-classes 10 --precision all --memory 8GiB`
≤ 2.0× `import torch, torchvision`. Side by side in one run.
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, measure, print_comparison, python, tool

BARE_AMP_STEP = """
import gc, torch, torchvision
gc.freeze()  # as the CLI does after importing torch
torch.manual_seed(0)
model = torchvision.models.resnet50()
data = torch.rand(8, 3, 224, 224)
labels = torch.rand(8, 1000)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
optimizer.zero_grad()
with torch.autocast("cpu", dtype=torch.bfloat16):
    loss = (model(data) - labels).sum()
loss.backward()
optimizer.step()
"""
FLOOR = "import torch, torchvision"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only",
        choices=("step", "plan"),
        help="one of the two comparisons (the bf16 step alone takes minutes here)",
    )
    arguments = parser.parse_args()
    repeats = arguments.repeats
    step = ("train-step", "--arch", "resnet50", "--input", "8,3,224,224", "--precision", "bf16")
    plan = ("plan", "--arch", "resnet50", "--input", "8,3,224,224", "--new-classes", "10",
            "--precision", "all", "--memory", "8GiB", "--no-cache")  # fmt: skip
    comparisons = {
        "step": (
            "train-step --precision bf16 resnet50 8x3x224x224 (goal ≤ 1.10x)",
            Case("train-step --precision bf16", tool(*step)),
            Case("bare autocast step", python(BARE_AMP_STEP)),
        ),
        "plan": (
            "plan --precision all --memory 8GiB (goal ≤ 2.0x the import floor)",
            Case("plan --precision all", tool(*plan)),
            Case("import floor", python(FLOOR)),
        ),
    }
    chosen = [comparisons[arguments.only]] if arguments.only else list(comparisons.values())
    results = measure([case for _, *pair in chosen for case in reversed(pair)], repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    for title, subject, baseline in chosen:
        print_comparison(title, results[subject.label], results[baseline.label])


if __name__ == "__main__":
    main()
