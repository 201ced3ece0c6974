"""What the receptive-field columns cost `tree`: the same command with and without them.

    python benchmarks/bench_receptive.py [--repeats 5]

Goal (issue 25): the fields add ≤ 5% to `tree --arch resnet152 --input 64,3,512,512` (they
are arithmetic carried along the structure pass). The baseline runs the same CLI in a
process where the field tracker is replaced by one that follows nothing.
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, measure, print_comparison, python, tool

ARGS = ["tree", "--arch", "resnet152", "--input", "64,3,512,512", "--no-cache"]

WITHOUT_FIELDS = f"""
import sys
from torch.utils._python_dispatch import TorchDispatchMode
import resnet_inspect.capture.structure as structure

class NoFields(TorchDispatchMode):
    def __init__(self, example):
        super().__init__()
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {{}}))
    def field(self, tensor):
        return None

structure.FieldTracker = NoFields
sys.argv = ["resnet-inspect", *{ARGS!r}]
from resnet_inspect.__main__ import main
main()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    cases = [
        Case("tree without fields", python(WITHOUT_FIELDS)),
        Case("tree (fields)", tool(*ARGS)),
    ]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    print_comparison(
        "receptive fields in tree resnet152 64,3,512,512 (goal ≤ 1.05x)",
        results["tree (fields)"],
        results["tree without fields"],
    )


if __name__ == "__main__":
    main()
