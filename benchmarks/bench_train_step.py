"""`train-step` against a bare forward/backward/SGD-step script on the same shapes.

    python benchmarks/bench_train_step.py [--repeats 5]

Goal (issue 3): ≤ 1.10× the bare script's wall time and peak memory for resnet50 at
8,3,224,224. Both processes import torch and torchvision, build the same seeded model and
take one step; the difference is what the tool adds (meta pass, copies for Δθ, norms, view).
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, measure, print_comparison, python, tool

BARE_STEP = """
import gc, torch, torchvision
gc.freeze()  # as the CLI does after importing torch
torch.manual_seed(0)
model = torchvision.models.{arch}()
data = torch.rand({shape})
labels = torch.rand({batch}, 1000)
prediction = model(data)
loss = (prediction - labels).sum()
loss.backward()
torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9).step()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--input", default="8,3,224,224")
    args = parser.parse_args()
    batch = args.input.split(",")[0]
    bare = BARE_STEP.format(arch=args.arch, shape=args.input, batch=batch)
    cases = [
        Case("bare forward/backward/step script", python(bare)),
        Case(
            f"train-step --arch {args.arch} --input {args.input}",
            tool("train-step", "--arch", args.arch, "--input", args.input),
        ),
    ]
    results = measure(cases, args.repeats)
    print(f"machine: {platform.machine()}, repeats: {args.repeats}")
    print_comparison("train-step (goal ≤ 1.10x)", results[cases[1].label], results[cases[0].label])


if __name__ == "__main__":
    main()
