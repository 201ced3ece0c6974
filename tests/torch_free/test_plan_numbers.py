"""plan --verify's errors print with the sign and the size they have: a tiny error is never
"-0.0%", and an exact estimate reads 0%."""

from __future__ import annotations

import pytest

from resnet_inspect.views.plan import _signed


@pytest.mark.parametrize("fraction", [-1e-7, -1e-4, -4.9e-4, 3e-5, 0.031, -0.12, 0.271])
def test_an_error_prints_nonzero_with_its_sign(fraction: float) -> None:
    shown = _signed(fraction)
    value = float(shown.rstrip("%"))
    assert value != 0 and (value > 0) == (fraction > 0)
    assert abs(value - fraction * 100) <= max(0.05, abs(fraction * 100) * 0.5)


def test_an_exact_estimate_reads_zero() -> None:
    assert _signed(0.0) == "0%"
