"""`freeze` and `train-step` against bare scripts that take the same step.

    python benchmarks/bench_frozen_step.py [--repeats 5]

Goals (issue 38), side by side in one run, resnet50 at 8×3×224×224:
- `freeze --new-classes 10` ≤ 1.05× the wall time of a bare script that freezes the
  backbone, puts a new 10-class head on and takes one SGD step (the tutorial's recipe);
- `train-step` ≤ 1.05× the wall time and peak memory of a bare one-step script.
Both sides import torch and torchvision, build the same seeded model and take the same step
on the same shapes; the difference is what the tool adds (the meta pass, the proof that
the frozen parameters did not move, the norms, the view).
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, measure, print_comparison, python, tool

BARE = """
import gc, torch, torchvision
gc.freeze()  # as the CLI does after importing torch
torch.manual_seed(0)
model = torchvision.models.resnet50()
{freeze}
data = torch.rand({shape})
labels = torch.rand({batch}, {classes})
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.SGD(trainable, lr=0.01, momentum=0.9)
optimizer.zero_grad()
loss = (model(data) - labels).sum()
loss.backward()
optimizer.step()
"""
FREEZE = """
for p in model.parameters():
    p.requires_grad = False
model.fc = torch.nn.Linear(model.fc.in_features, 10)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    shape = "8,3,224,224"
    common = ("--arch", "resnet50", "--input", shape)
    cases = [
        Case(
            "bare frozen step", python(BARE.format(freeze=FREEZE, shape=shape, batch=8, classes=10))
        ),
        Case("freeze --new-classes 10", tool("freeze", *common, "--new-classes", "10")),
        Case("bare step", python(BARE.format(freeze="", shape=shape, batch=8, classes=1000))),
        Case("train-step", tool("train-step", *common)),
    ]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    print_comparison(
        "freeze resnet50 8x3x224x224 (goal ≤ 1.05x wall)",
        results["freeze --new-classes 10"],
        results["bare frozen step"],
    )
    print_comparison(
        "train-step resnet50 8x3x224x224 (goal ≤ 1.05x wall and peak)",
        results["train-step"],
        results["bare step"],
    )


if __name__ == "__main__":
    main()
