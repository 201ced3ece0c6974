"""`plan`: its cost against the import floor, and its memory estimate against real steps.

    python benchmarks/bench_plan.py [--repeats 5]

Goals (issue 13):
- `plan --arch resnet50 --input 8,3,224,224 --new-classes 10 --memory 4GiB` (every row, with
  the batch solve) ≤ 1.5× `import torch, torchvision`, wall and peak memory;
- the estimate within ±20% of a real step, for three depths of resnet50 at 8,3,224,224 with
  SGD (momentum 0.9) and with AdamW.

What "a real step" is measured as: in a fresh process, the runtime is first warmed on a tiny
model (oneDNN's kernels and the thread pool are set up once per process, not per step), the
frozen resnet50 is built, then the growth of the process's peak resident memory (VmHWM,
reset through /proc/self/clear_refs) from just before the first step to just after the
second: zero_grad, forward, backward, optimizer step, twice, so that the optimizer state of
the first step is there during the second, as in training. It is compared with the
estimate's step part: the peak less the parameters and buffers, which exist before.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys

from measure import Case, measure, print_comparison, python, tool

SHAPE = (8, 3, 224, 224)
DEPTHS = {"head": (), "layer4": ("layer4",), "everything": None}

REAL_STEP = """
import json, sys, torch, torchvision

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

warm = torchvision.models.resnet18()
(warm(torch.rand(2, 3, 64, 64))).sum().backward()
del warm
torch.manual_seed(0)
model = torchvision.models.resnet50()
trains, optimizer_kind = {trains!r}, {optimizer!r}
for param in model.parameters():
    param.requires_grad = trains is None
model.fc = torch.nn.Linear(model.fc.in_features, 10)
for name in trains or ():
    for param in model.get_submodule(name).parameters():
        param.requires_grad = True
model.train()
if optimizer_kind == "sgd":
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
else:
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.001)
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # VmHWM starts again from the current resident size
for _ in range(2):
    optimizer.zero_grad()
    data, labels = torch.rand({shape}), torch.rand({batch}, 10)
    loss = (model(data) - labels).sum()
    loss.backward()
    optimizer.step()
    del data, labels, loss
print(json.dumps({{"growth": status("VmHWM") - before}}))
"""


# glibc serves blocks below its mmap threshold (which grows up to 32 MiB as blocks are freed)
# from heaps it rarely gives back, so the resident growth of a step depends on what the
# process did before it. With a fixed low threshold every tensor is mapped on allocation and
# unmapped on release: the growth is then what the step's tensors need.
TENSORS_ONLY = {"MALLOC_MMAP_THRESHOLD_": "65536"}


def real_growth(trains: tuple[str, ...] | None, optimizer: str, env: dict[str, str]) -> int:
    code = REAL_STEP.format(trains=trains, optimizer=optimizer, shape=SHAPE, batch=SHAPE[0])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    growth: int = json.loads(out.stdout.splitlines()[-1])["growth"]
    return growth


def estimates() -> None:
    from resnet_inspect import OptimizerKind, StepOptions, plan

    print("\nestimate vs a real step: resnet50, 8,3,224,224, 10 classes (goal ±20%)")
    print("  measured: the growth of peak RSS over two steps, with glibc's default allocator and")
    print(f"  with {TENSORS_ONLY} (every tensor mapped and unmapped: no allocator slack)")
    print(
        f"  {'depth':<11} {'optimizer':<9} {'estimate':>10} {'default':>10} {'ratio':>6} "
        f"{'no slack':>10} {'ratio':>6}"
    )
    for kind in ("sgd", "adamw"):
        report = plan(
            "resnet50", SHAPE, new_classes=10, step=StepOptions(optimizer=OptimizerKind(kind))
        )
        rows = {row.name: row for row in report.rows}
        for name, trains in DEPTHS.items():
            row = rows[name]
            estimate = row.peak_bytes - report.param_bytes - report.buffer_bytes
            default = real_growth(trains, kind, {})
            tight = real_growth(trains, kind, TENSORS_ONLY)
            print(
                f"  {name:<11} {kind:<9} {_mib(estimate)} {_mib(default)} "
                f"{estimate / default:>5.2f}x {_mib(tight)} {estimate / tight:>5.2f}x"
            )


def _mib(value: int) -> str:
    return f"{value / 2**20:>6.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    args = ["--arch", "resnet50", "--input", "8,3,224,224", "--new-classes", "10"]
    cases = [
        Case("import torch, torchvision (floor)", python("import torch, torchvision")),
        Case("plan resnet50 --memory 4GiB", tool("plan", *args, "--memory", "4GiB", "--no-cache")),
    ]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, repeats: {repeats}")
    print_comparison(
        "plan, every row and the batch solve (goal ≤ 1.5x)",
        results["plan resnet50 --memory 4GiB"],
        results["import torch, torchvision (floor)"],
    )
    estimates()


if __name__ == "__main__":
    main()
