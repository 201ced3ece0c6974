"""`train-step` against a bare forward/backward/SGD-step script on the same shapes.

    python benchmarks/bench_train_step.py [--repeats 5]

Goals (issues 3 and 15): ≤ 1.10× the bare script's wall time and peak memory for resnet50
at 8,3,224,224, with the tool counting every ReLU call's zeros; and `--steps 5` ≤ 1.10× a
bare 5-step script. Issue 29 asks ≤ 1.00× wall and ≤ 1.05× peak. Both processes import
torch and torchvision, build the same seeded model and take the same steps; the difference
is what the tool adds (meta pass, copies for Δθ, norms, the zero counts, flags, view).
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, measure, print_comparison, python, tool

BARE_STEP = """
import gc, torch, torchvision
gc.freeze()  # as the CLI does after importing torch
torch.manual_seed(0)
model = {build}
data = torch.rand({shape})
labels = torch.rand({batch}, 1000)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for _ in range({steps}):
    optimizer.zero_grad()
    prediction = model(data)
    loss = (prediction - labels).sum()
    loss.backward()
    optimizer.step()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--input", default="8,3,224,224")
    args = parser.parse_args()
    batch = args.input.split(",")[0]
    cases = []
    for steps in (1, 5):
        name = args.arch.removeprefix("timm:")
        build = (
            f"__import__('timm').create_model({name!r}, pretrained=False)"
            if args.arch.startswith("timm:")
            else f"torchvision.models.{name}()"
        )
        bare = BARE_STEP.format(build=build, shape=args.input, batch=batch, steps=steps)
        cases.append(Case(f"bare script, {steps} step(s)", python(bare)))
        command = ("train-step", "--arch", args.arch, "--input", args.input, "--steps", str(steps))
        cases.append(Case(f"train-step --steps {steps} ({args.arch} {args.input})", tool(*command)))
    results = measure(cases, args.repeats)
    print(f"machine: {platform.machine()}, repeats: {args.repeats}")
    print_comparison("train-step (goal ≤ 1.10x)", results[cases[1].label], results[cases[0].label])
    print_comparison(
        "train-step --steps 5 (goal ≤ 1.10x)", results[cases[3].label], results[cases[2].label]
    )


if __name__ == "__main__":
    main()
