"""A model's scores as probabilities and its most probable classes: one way for every
command that names classes (cam and predict agree on the same image to the last digit)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from resnet_inspect.report import Prediction


def probabilities(scores: Sequence[float]) -> list[float]:
    """The softmax of the scores, in double precision (the largest score subtracted first,
    so that no exponential overflows)."""
    largest = max(scores)
    exponentials = [math.exp(score - largest) for score in scores]
    total = math.fsum(exponentials)
    return [value / total for value in exponentials]


def most_probable(
    scores: Sequence[float], top: int, names: Sequence[str]
) -> tuple[Prediction, ...]:
    """The ``top`` most probable classes, most probable first (the lower index first on a
    tie), each named where ``names`` names the classes."""
    shares = probabilities(scores)
    order = sorted(range(len(shares)), key=lambda index: (-shares[index], index))[:top]
    return tuple(Prediction(i, names[i] if names else "", shares[i]) for i in order)
