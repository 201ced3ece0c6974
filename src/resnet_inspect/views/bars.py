"""Bars on a log scale, for values that span many decades (relative changes, norms).

A bar's length says the order of magnitude: from 1e-8 (no bar) to 10 (the whole width), so
the layer where training happened stands out at a glance. Block characters in eighths;
``#`` under ``--ascii``.
"""

from __future__ import annotations

import math

LOW, HIGH = -8.0, 1.0  # decades: 1e-8 .. 10
_EIGHTHS = " ▏▎▍▌▋▊▉"


def log_bar(value: float | None, width: int = 10, ascii_only: bool = False) -> str:
    if value is None or value <= 0 or not math.isfinite(value):
        return ""
    fraction = min(max((math.log10(value) - LOW) / (HIGH - LOW), 0.0), 1.0)
    if ascii_only:
        return "#" * max(1, round(fraction * width))
    eighths = max(1, round(fraction * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")
