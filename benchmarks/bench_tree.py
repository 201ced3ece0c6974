"""`tree` and `--help` against the floor they cannot beat: importing their libraries.

    python benchmarks/bench_tree.py [--repeats 7] [--only tree|help]

Goals (issue 2): tree ≤ 1.05× `import torch, torchvision` for resnet18 at 1,3,64,64 and
≤ 1.15× for resnet152 at 64,3,512,512 (wall and peak memory); `--help` ≤ 0.2 s, side by side
with `import typer, rich` (issue 22), ≤ 1.8× it (issue 35: it imports every command's
module, which brings its CLI function).
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, Measured, measure, print_comparison, python, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", choices=("tree", "help"), help="measure one half alone")
    arguments = parser.parse_args()
    repeats = arguments.repeats

    tree_cases = [
        Case("import torch, torchvision (floor)", python("import torch, torchvision")),
        # The CLI freezes the collector after importing torch (see cli.process.load_torch), which
        # also spares it the collection at exit; this floor does the same, for a fair ratio.
        Case(
            "import torch, torchvision; gc.freeze()",
            python("import gc, torch, torchvision; gc.freeze()"),
        ),
        Case("tree resnet18 1,3,64,64", tool("tree", "--no-cache", "--input", "1,3,64,64")),
        Case(
            "tree resnet152 64,3,512,512",
            tool("tree", "--no-cache", "--arch", "resnet152", "--input", "64,3,512,512"),
        ),
    ]
    help_cases = [
        Case("import typer, rich (floor)", python("import typer, rich")),
        Case("resnet-inspect --help", tool("--help")),
    ]
    cases = {"tree": tree_cases, "help": help_cases}.get(arguments.only, tree_cases + help_cases)
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, repeats: {repeats}")
    if arguments.only != "help":
        print_tree(results)
    if arguments.only != "tree":
        help_result = results["resnet-inspect --help"]
        floor = results["import typer, rich (floor)"]
        print_comparison("--help (goal ≤ 0.2 s, ≤ 1.8x)", help_result, floor)
        print(f"  --help absolute: {help_result.wall_s:.3f} s")


def print_tree(results: dict[str, Measured]) -> None:
    floor = results["import torch, torchvision (floor)"]
    frozen_floor = results["import torch, torchvision; gc.freeze()"]
    for title, label in [
        ("tree, small model (goal ≤ 1.05x)", "tree resnet18 1,3,64,64"),
        ("tree, largest model and input (goal ≤ 1.15x)", "tree resnet152 64,3,512,512"),
    ]:
        print_comparison(f"{title}, against the plain import", results[label], floor)
        print_comparison(f"{title}, against the import + gc.freeze()", results[label], frozen_floor)


if __name__ == "__main__":
    main()
