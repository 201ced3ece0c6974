"""The frozen step against the full step: what freezing the backbone saves.

    python benchmarks/bench_freeze.py [--repeats 5]

Goal (issue 4): for resnet50 at 8,3,224,224 the frozen step's compute (forward + backward
+ optimizer step, as the tool times them) ≤ 0.55× the full train-step's. Both commands run
interleaved in one session; whole-process wall time is shown too.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

from measure import tool


def timed(argv: list[str]) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    step = json.loads(out)["step"]
    return wall, {k: step[k] for k in ("forward_s", "backward_s", "step_s")}


BARE_FROZEN = """
import gc, torch, torchvision
gc.freeze()
torch.manual_seed(0)
model = getattr(torchvision.models, {arch!r})()
for param in model.parameters():
    param.requires_grad = False
model.fc = torch.nn.Linear(model.fc.in_features, 10)
model.train()
data = torch.rand({shape})
labels = torch.rand({batch}, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
optimizer.zero_grad()
loss = (model(data) - labels).sum()
loss.backward()
optimizer.step()
"""


def wall_of(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--input", default="8,3,224,224")
    args = parser.parse_args()
    common = ["--arch", args.arch, "--input", args.input, "--json", "--timings"]
    commands = {
        "train-step (full)": tool("train-step", *common),
        "freeze --new-classes 10": tool("freeze", "--new-classes", "10", *common),
    }
    batch = args.input.split(",")[0]
    bare = [sys.executable, "-c", BARE_FROZEN.format(arch=args.arch, shape=args.input, batch=batch)]
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {k: [] for k in commands}
    bare_walls: list[float] = []
    for argv in commands.values():
        timed(argv)  # warm-up
    wall_of(bare)
    for _ in range(args.repeats):
        for label, argv in commands.items():
            runs[label].append(timed(argv))
        bare_walls.append(wall_of(bare))

    print(f"machine: {platform.machine()}, repeats: {args.repeats}, {args.arch} {args.input}")
    print(f"  {'':<26}{'forward':>10}{'backward':>10}{'step':>10}{'compute':>10}{'wall':>10}")
    medians = {}
    for label, samples in runs.items():
        parts = {
            key: statistics.median(s[1][key] for s in samples)
            for key in ("forward_s", "backward_s", "step_s")
        }
        compute = statistics.median(sum(s[1].values()) for s in samples)
        wall = statistics.median(s[0] for s in samples)
        medians[label] = (compute, wall)
        print(
            f"  {label:<26}{parts['forward_s']:>9.3f}s{parts['backward_s']:>9.3f}s"
            f"{parts['step_s']:>9.3f}s{compute:>9.3f}s{wall:>9.3f}s"
        )
    full, frozen = medians["train-step (full)"], medians["freeze --new-classes 10"]
    print(f"  frozen / full compute: {frozen[0] / full[0]:.3f}x (goal ≤ 0.55x)")
    print(f"  frozen / full wall:    {frozen[1] / full[1]:.3f}x (issue 29's goal ≤ 0.72x)")
    bare_wall = statistics.median(bare_walls)
    print(f"  bare frozen script wall: {bare_wall:.3f}s")
    print(f"  freeze / bare frozen:  {frozen[1] / bare_wall:.3f}x (issue 29's goal ≤ 0.95x)")


if __name__ == "__main__":
    main()
