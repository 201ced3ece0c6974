"""Timing whole commands side by side: median wall time and peak memory of each child.

Runs are interleaved (A, B, A, B, ...) so that a slow spell of the machine hits every
command alike, and each ratio compares numbers taken in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Case:
    label: str
    argv: list[str]


@dataclass(frozen=True)
class Measured:
    label: str
    wall_s: float
    peak_mib: float


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one run of ``argv``."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        error = child.stderr.read().decode() if child.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}): {error}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def compiled() -> None:
    """The package's bytecode written beside its sources, as ``pip install`` writes it:
    where PYTHONDONTWRITEBYTECODE is set (it is on the development box) no run writes it,
    and every run would compile the package's modules again (0.1 s a warm ``tree``)."""
    import compileall

    import resnet_inspect

    compileall.compile_dir(Path(resnet_inspect.__file__).parent, quiet=1)


def measure(cases: list[Case], repeats: int) -> dict[str, Measured]:
    compiled()
    for case in cases:  # one warm-up each: page cache, .pyc files
        run_once(case.argv)
    walls: dict[str, list[float]] = {case.label: [] for case in cases}
    peaks: dict[str, list[float]] = {case.label: [] for case in cases}
    for _ in range(repeats):
        for case in cases:
            wall, peak = run_once(case.argv)
            walls[case.label].append(wall)
            peaks[case.label].append(peak)
    return {
        case.label: Measured(
            case.label, statistics.median(walls[case.label]), max(peaks[case.label])
        )
        for case in cases
    }


def print_comparison(title: str, subject: Measured, baseline: Measured) -> None:
    print(f"\n{title}")
    print(f"  {'':<44} {'wall (median)':>14} {'peak RSS':>12}")
    for item in (baseline, subject):
        print(f"  {item.label:<44} {item.wall_s:>12.3f} s {item.peak_mib:>8.1f} MiB")
    print(
        f"  {'ratio':<44} {subject.wall_s / baseline.wall_s:>13.3f}x "
        f"{subject.peak_mib / baseline.peak_mib:>11.3f}x"
    )


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def tool(*args: str) -> list[str]:
    return [str(BIN / "resnet-inspect"), *args]
