"""A repeated `tree` answered from the report cache, against computing it and the CLI floor.

    python benchmarks/bench_cache.py [--repeats 7]

Goals (issue 16): warm ≤ 0.10× cold and ≤ 4× `python -c "import typer, rich"`, wall; peak
memory ≤ 0.10× cold. Cold is `--no-cache` (the report computed, torch imported); warm reads
the report stored by a first run, in a cache folder of this benchmark's own.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile

from measure import Case, measure, print_comparison, python, tool

SMALL = ["tree", "--input", "1,3,64,64"]
LARGE = ["tree", "--arch", "resnet152", "--input", "64,3,512,512"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats

    with tempfile.TemporaryDirectory() as folder:
        os.environ["RESNET_INSPECT_CACHE_DIR"] = folder
        cases = [
            Case("import typer, rich (floor)", python("import typer, rich")),
            Case("tree 1,3,64,64 cold (--no-cache)", tool(*SMALL, "--no-cache")),
            Case("tree 1,3,64,64 warm", tool(*SMALL)),
            Case("tree resnet152 64,3,512,512 cold", tool(*LARGE, "--no-cache")),
            Case("tree resnet152 64,3,512,512 warm", tool(*LARGE)),
        ]
        results = measure(cases, repeats)  # its warm-up run stores both reports
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, repeats: {repeats}")
    floor = results["import typer, rich (floor)"]
    for size in ("tree 1,3,64,64", "tree resnet152 64,3,512,512"):
        cold_label = f"{size} cold" if "resnet152" in size else f"{size} cold (--no-cache)"
        warm, cold = results[f"{size} warm"], results[cold_label]
        print_comparison(f"{size}: warm against cold (goal ≤ 0.10x)", warm, cold)
        print_comparison(f"{size}: warm against import typer, rich (goal ≤ 4x)", warm, floor)


if __name__ == "__main__":
    main()
