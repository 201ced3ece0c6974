"""How numbers read in the views: counts with separators, labelled decimal and binary units.

Decimal prefixes (k, M, G, T = 10^3, 10^6, 10^9, 10^12) are for counts such as MACs;
binary ones (KiB, MiB, GiB = 2^10, 2^20, 2^30 bytes) are for memory. Never mixed.
"""

from __future__ import annotations

from resnet_inspect.report import SettingValue, Shape, WeightsInfo

_DECIMAL = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def count(value: int) -> str:
    return f"{value:,}"


def decimal(value: float) -> str:
    """``1_814_073_344`` as ``1.81G``: three significant digits; small values as they are."""
    for scale, prefix in _DECIMAL:
        if abs(value) >= scale:
            scaled = value / scale
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{scaled:.{digits}f}{prefix}"
    return f"{value:g}"


def binary_bytes(value: int) -> str:
    for scale, unit in _BINARY:
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return f"{value} B"


def shape(dims: Shape) -> str:
    return "×".join(str(d) for d in dims) if dims else "-"


def pair(value: SettingValue) -> str:
    """A kernel/stride/padding value: ``(3, 3)`` as ``3×3``, ``(2, 2)`` as ``2``."""
    if isinstance(value, tuple):
        if len(set(value)) == 1:
            return str(value[0])
        return "×".join(str(v) for v in value)
    return str(value)


def setting(value: SettingValue) -> str:
    """A fact as a reader writes it: ``(2, 2, 2, 2)`` as ``2-2-2-2``, True as ``yes``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    return str(value)


def norm(value: float | None) -> str:
    """A norm to four significant digits; ``—`` where there is none (no gradient)."""
    if value is None:
        return "—"
    return "0" if value == 0 else f"{value:.4g}"


def ratio(value: float | None) -> str:
    """‖Δθ‖/‖θ‖; ``n/a`` where ‖θ‖ was 0 (a zero-initialised bias) and the ratio is undefined."""
    if value is None:
        return "n/a"
    return "0" if value == 0 else f"{value:.4g}"


def seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def share(fraction: float) -> str:
    """A fraction as a percentage with three significant digits: 0.000459 as ``0.0459%``;
    short of 1 never shows as 100% (0.99959 is ``99.96%``)."""
    digits = 3
    while fraction < 1 and f"{fraction * 100:.{digits}g}" == "100" and digits < 8:
        digits += 1
    return f"{fraction * 100:.{digits}g}%"


def weights(info: WeightsInfo, random_init: str) -> str:
    """``none (random init)``, a file name, or a pretrained name with its ImageNet accuracy."""
    if info.kind == "none":
        return f"none ({random_init})"
    if info.kind == "file":
        return f"{info.path} ({info.num_classes} classes)"
    if info.top1 is None:
        return info.name
    return (
        f"{info.name} (ImageNet-1K top-1 {info.top1:g}%, top-5 {info.top5:g}%, "
        f"{info.num_classes} categories)"
    )
