"""`erf` against a bare script that computes the same averaged gradient.

    python benchmarks/bench_erf.py [--repeats 5]

Goal (issue 25): `erf --arch resnet50 --samples 16 --input 1,3,224,224` ≤ 1.3× a bare
script, side by side in one run. The script builds the same seeded model, draws the same 16
inputs, runs the forward to the last stage, takes the gradient of the centre unit and
averages its absolute value: what the tool measures, without the meta pass, the view or
the numbers.
"""

from __future__ import annotations

import argparse
import platform

from measure import Case, measure, print_comparison, python, tool

BARE = """
import gc, torch, torchvision
gc.freeze()
torch.manual_seed(0)
model = torchvision.models.resnet50().eval()
data = torch.rand(16, 3, 224, 224, requires_grad=True)
seen = []
model.layer4.register_forward_hook(lambda m, i, o: seen.append(o))
model(data)
out = seen[0]
out[:, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
heat = data.grad.abs().double().sum(1).mean(0)
heat = heat / heat.sum()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    command = ("erf", "--arch", "resnet50", "--samples", "16", "--input", "1,3,224,224")
    cases = [Case("bare script", python(BARE)), Case("erf", tool(*command))]
    results = measure(cases, repeats)
    print(f"machine: {platform.machine()}, repeats: {repeats}")
    print_comparison(
        "erf resnet50 --samples 16 at 224 (goal ≤ 1.30x)", results["erf"], results["bare script"]
    )


if __name__ == "__main__":
    main()
