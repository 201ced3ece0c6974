"""Bars on a log scale, for values that span many decades (relative changes, norms), and
sparklines, for a value over several steps.

A bar's length says the order of magnitude: by default from 1e-8 (no bar) to 10 (the whole
width), so the layer where training happened stands out at a glance. Block characters in
eighths; ``#`` under ``--ascii``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LOW, HIGH = -8.0, 1.0  # decades: 1e-8 .. 10
_EIGHTHS = " ▏▎▍▌▋▊▉"
_LEVELS = "▁▂▃▄▅▆▇█"


def log_bar(
    value: float | None,
    width: int = 10,
    ascii_only: bool = False,
    *,
    low: float = LOW,
    high: float = HIGH,
) -> str:
    """``value`` on a log scale from 10**low (no bar) to 10**high (``width`` cells)."""
    if value is None or value <= 0 or not math.isfinite(value):
        return ""
    fraction = min(max((math.log10(value) - low) / (high - low), 0.0), 1.0)
    if ascii_only:
        return "#" * max(1, round(fraction * width))
    eighths = max(1, round(fraction * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def decades_up_to(values: Sequence[float | None], span: int = 9) -> tuple[float, float]:
    """A scale of ``span`` decades whose top is the decade above the largest finite value:
    for norms, whose size depends on the loss and the model."""
    finite = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    top = math.ceil(math.log10(max(finite))) if finite else HIGH
    return float(top - span), float(top)


def sparkline(values: Sequence[float], ascii_only: bool = False) -> str:
    """One character per value, from lowest to highest of them; ``?`` where not finite."""
    levels = "_.-~=+*#" if ascii_only else _LEVELS
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "?" * len(values)
    low, high = min(finite), max(finite)
    spread = high - low
    out = []
    for value in values:
        if not math.isfinite(value):
            out.append("?")
            continue
        index = round((value - low) / spread * (len(levels) - 1)) if spread else len(levels) // 2
        out.append(levels[index])
    return "".join(out)
