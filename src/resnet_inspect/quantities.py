"""Sizes and shapes as people read them: memory in binary units (KiB, MiB, GiB = 2^10, 2^20,
2^30 bytes), shapes as ``1×3×64×64``. For the views and for the messages of every layer (a
refused step says how much it needs, at which shape), so it sits below them all. Pure Python.
"""

from __future__ import annotations

_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def binary_bytes(value: int) -> str:
    for scale, unit in _BINARY:
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return f"{value} B"


def binary_range(low: int, high: int) -> str:
    """``119–195 MiB``: two sizes in the unit of the larger, three significant digits."""
    for scale, unit in _BINARY:
        if high >= scale:
            return f"{_digits(low / scale)}–{_digits(high / scale)} {unit}"
    return f"{low}–{high} B"


def _digits(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def shape(dims: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in dims) if dims else "-"
