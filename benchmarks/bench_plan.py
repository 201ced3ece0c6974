"""`plan`: its cost against the import floor, --verify against bare steps, and the
process model against real processes.

    python benchmarks/bench_plan.py [--repeats 5] [--skip-table]

Goals:
- `plan --arch resnet50 --input 8,3,224,224 --new-classes 10 --memory 4GiB` (every row, with
  the batch solve) ≤ 1.5× `import torch, torchvision`, wall and peak memory (issue 13);
- `plan ... --checkpoint --breakdown --memory 8GiB` ≤ 2.0× that floor (issue 26);
- `plan --verify` on resnet18 at 8,3,224,224 ≤ 1.5× the sum of its rows' bare steps, each in
  a fresh process (import, build, freeze, two steps: what each verified row runs) (issue 26);
- the process growth's stated range (issue 38) holds --verify's measured growth on every
  row of resnet18, resnet50 and timm's resnet26d at two input sizes, with a half-width of at
  most 25% of its middle: the table printed last.

The old comparison of the estimate with real steps under glibc's default allocator and a
fixed mmap threshold is `plan --verify` now: the table below is its output.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time

from measure import Case, measure, print_comparison, python, tool
from resnet_inspect.budget import PROCESS_HIGH, PROCESS_LOW

SHAPE = "8,3,224,224"
BARE_STEP = """
import torch, torchvision
torch.manual_seed(0)
model = torchvision.models.resnet18()
for param in model.parameters():
    param.requires_grad = {everything}
model.fc = torch.nn.Linear(512, 10)
for name in {trains!r}:
    for param in model.get_submodule(name).parameters():
        param.requires_grad = True
model.train()
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01,
                            momentum=0.9)
for _ in range(2):
    optimizer.zero_grad()
    (model(torch.rand(8, 3, 224, 224)) - torch.rand(8, 10)).sum().backward()
    optimizer.step()
"""
ROWS = {
    "head": (),
    "layer4": ("layer4",),
    "layer3": ("layer3", "layer4"),
    "layer2": ("layer2", "layer3", "layer4"),
    "layer1": ("layer1", "layer2", "layer3", "layer4"),
    "everything": (),
}
# The process model's table: every row of each, measured by plan --verify.
TABLE = [
    ("resnet18", "8,3,224,224"),
    ("resnet18", "16,3,128,128"),
    ("resnet50", "8,3,224,224"),
    ("resnet50", "8,3,128,128"),
    ("timm:resnet26d", "8,3,224,224"),
    ("timm:resnet26d", "8,3,160,160"),
]


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def verify_against_bare_steps(repeats: int) -> None:
    """plan --verify's wall time beside its rows' bare steps, run alternately."""
    verify = tool("plan", "--input", SHAPE, "--new-classes", "10", "--verify", "--json")
    bare = [
        python(BARE_STEP.format(trains=trains, everything=name == "everything"))
        for name, trains in ROWS.items()
    ]
    verified: list[float] = []
    sums: list[float] = []
    for _ in range(repeats):
        sums.append(sum(wall(argv) for argv in bare))
        verified.append(wall(verify))
    verified.sort()
    sums.sort()
    middle = len(verified) // 2
    print("\nplan --verify, resnet18 at 8,3,224,224, every row (goal ≤ 1.5x its bare steps)")
    ratio = verified[middle] / sums[middle]
    print(f"  {'sum of the 6 rows bare steps, each a fresh process':<52} {sums[middle]:>8.2f} s")
    print(f"  {'plan --verify':<52} {verified[middle]:>8.2f} s")
    print(f"  {'ratio':<52} {ratio:>8.3f}x")


def process_table() -> None:
    """The process model's stated range beside --verify's measured growth, every row."""
    print(
        "\nthe process range against --verify's measured growth "
        "(goal: every row inside; half-width ≤ 25% of the middle)"
    )
    print(
        f"  {'model':<15} {'input':<13} {'depth':<11} {'estimate':>11} {'range':>21} "
        f"{'measured':>11} {'inside':>7} {'tensors':>11}"
    )
    outside = 0
    for arch, shape in TABLE:
        out = subprocess.run(
            tool(
                "plan",
                "--arch",
                arch,
                "--input",
                shape,
                "--new-classes",
                "10",
                "--verify",
                "--json",
                "--no-cache",
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        for row in json.loads(out.stdout)["rows"]:
            (check,) = row["verify"]
            inside = check["process_inside"]
            outside += not inside
            span = f"{_mib(check['process_low_bytes'])}–{_mib(check['process_high_bytes'])}"
            print(
                f"  {arch:<15} {shape:<13} {row['name']:<11} "
                f"{_mib(check['process_estimate_bytes'])} {span:>21} "
                f"{_mib(check['process_growth_bytes'])} {'yes' if inside else 'NO':>7} "
                f"{_mib(check['tensor_peak_bytes'])}"
            )
    low, high = PROCESS_LOW, PROCESS_HIGH
    half = (high - low) / (high + low)
    print(f"  rows outside the range: {outside}; its half-width: {half * 100:.1f}% of its middle")


def _mib(value: int) -> str:
    return f"{value / 2**20:>7.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-table", action="store_true", help="leave out the slow table")
    options = parser.parse_args()
    args = ["--arch", "resnet50", "--input", SHAPE, "--new-classes", "10", "--no-cache"]
    levers = [*args, "--checkpoint", "--breakdown", "--memory", "8GiB"]
    cases = [
        Case("import torch, torchvision (floor)", python("import torch, torchvision")),
        Case("plan resnet50 --memory 4GiB", tool("plan", *args, "--memory", "4GiB")),
        Case("plan resnet50 --checkpoint --breakdown", tool("plan", *levers)),
    ]
    results = measure(cases, options.repeats)
    floor = results["import torch, torchvision (floor)"]
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"repeats: {options.repeats}"
    )
    print_comparison(
        "plan, every row and the batch solve (goal ≤ 1.5x)",
        results["plan resnet50 --memory 4GiB"],
        floor,
    )
    print_comparison(
        "plan --checkpoint --breakdown --memory 8GiB (goal ≤ 2.0x)",
        results["plan resnet50 --checkpoint --breakdown"],
        floor,
    )
    verify_against_bare_steps(max(1, options.repeats // 2))
    if not options.skip_table:
        process_table()


if __name__ == "__main__":
    main()
