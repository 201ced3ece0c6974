"""How numbers read in the views: counts with separators, labelled decimal and binary units.

Decimal prefixes (k, M, G, T = 10^3, 10^6, 10^9, 10^12) are for counts such as MACs;
binary ones (KiB, MiB, GiB = 2^10, 2^20, 2^30 bytes) are for memory. Never mixed.
"""

from __future__ import annotations

# read the same in every message of every layer
from resnet_inspect.quantities import binary_bytes as binary_bytes
from resnet_inspect.quantities import binary_range as binary_range
from resnet_inspect.quantities import shape as shape
from resnet_inspect.report import SettingValue, WeightsInfo
from resnet_inspect.words import Lang, say

_DECIMAL = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


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


def pair(value: SettingValue) -> str:
    """A kernel/stride/padding value: ``(3, 3)`` as ``3×3``, ``(2, 2)`` as ``2``."""
    if isinstance(value, tuple):
        if len(set(value)) == 1:
            return str(value[0])
        return "×".join(str(v) for v in value)
    return str(value)


def setting(value: SettingValue, lang: Lang) -> str:
    """A fact as a reader writes it: ``(2, 2, 2, 2)`` as ``2-2-2-2``, True as ``yes``."""
    if isinstance(value, bool):
        return say("yes" if value else "no", lang)
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


def number(value: float) -> str:
    """A count that may be a half (a field's centre between two pixels): ``35``, ``2.5``."""
    return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"


def share(fraction: float) -> str:
    """A fraction as a percentage with three significant digits: 0.000459 as ``0.0459%``;
    short of 1 never shows as 100% (0.99959 is ``99.96%``)."""
    digits = 3
    while fraction < 1 and f"{fraction * 100:.{digits}g}" == "100" and digits < 8:
        digits += 1
    return f"{fraction * 100:.{digits}g}%"


def weights(info: WeightsInfo, lang: Lang) -> str:
    """``none (random init)``, a file name, or a pretrained name with its ImageNet accuracy."""
    if info.kind == "none":
        return say("weights_none", lang).format(random=say("random", lang))
    if info.kind in ("file", "hub"):  # a hub file is named by its repository (hf:REPO)
        shown = info.name if info.kind == "hub" else info.path
        return say("weights_file", lang).format(path=shown, classes=info.num_classes)
    if info.top1 is None:
        return info.name
    return say("weights_pretrained", lang).format(
        name=info.name, top1=f"{info.top1:g}", top5=f"{info.top5:g}", classes=info.num_classes
    )
