"""cam's trust checks put together: areas under the curves, means over a folder with their
bootstrap intervals, and the verdicts the view puts in words."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

from resnet_inspect.records import CurveRecord, Grid, TrustRecord
from resnet_inspect.report.trust import Curve, Estimate, RandomisedStage, Trust

SAME = 0.5  # Spearman at or above this: the two maps rank the pixels alike
RESAMPLES = 1000  # bootstrap resamples of a folder's images
CONFIDENCE = 0.95


def area(curve: Sequence[float]) -> float:
    """The area under a curve measured at evenly spaced fractions 0 … 1 (the trapezoid rule)."""
    steps = len(curve) - 1
    return math.fsum((a + b) / 2 for a, b in itertools.pairwise(curve)) / steps


def estimate(values: Sequence[float | None], seed: int = 0) -> Estimate:
    """The mean of the numbers given (None: no number) with a 95% percentile bootstrap
    interval, resampled under ``seed``; one number is its own interval."""
    found = [v for v in values if v is not None]
    if not found:
        return Estimate(None, None, None, 0)
    mean = math.fsum(found) / len(found)
    if len(found) == 1:
        return Estimate(mean, mean, mean, 1)
    draw = random.Random(seed)
    means = sorted(
        math.fsum(draw.choices(found, k=len(found))) / len(found) for _ in range(RESAMPLES)
    )
    tail = (1 - CONFIDENCE) / 2
    low = means[int(tail * RESAMPLES)]
    high = means[min(RESAMPLES - 1, int((1 - tail) * RESAMPLES))]
    return Estimate(mean, low, high, len(found))


def trust_report(
    records: Sequence[TrustRecord],
    *,
    layer: str,
    trained: bool,
    reinitialised: str,
    blur: tuple[float, int],
    names: Sequence[str],
    seed: int,
    grids: dict[str, Grid] | None = None,
) -> Trust:
    """The checks of one image, or of a folder's images summed up (``grids``: each
    randomised section's mean map, where the records keep none of their own)."""
    one = len(records) == 1
    stages = [step.stage for step in records[0].randomised]
    randomised = tuple(
        RandomisedStage(
            stage=stage,
            spearman=estimate([r.randomised[k].spearman for r in records], seed),
            ssim=estimate([r.randomised[k].ssim for r in records], seed),
            grid=grids[stage] if grids else _mean_grid([r.randomised[k].grid for r in records]),
        )
        for k, stage in enumerate(stages)
    )
    curves = tuple(_curve(k, records, seed) for k in range(len(records[0].curves)))
    other = records[0].other_class if one else -1
    other_spearman = estimate([r.other_spearman for r in records], seed)
    own, *baselines = curves
    return Trust(
        layer=layer,
        images=len(records),
        trained=trained,
        reinitialised=reinitialised,
        seed=seed,
        randomised=randomised,
        changes_from=next((s.stage for s in randomised if not _alike(s.spearman)), ""),
        other_class=other,
        other_class_name=names[other] if one and names else "",
        other_spearman=other_spearman,
        other_ssim=estimate([r.other_ssim for r in records], seed),
        class_sensitive=not _alike(other_spearman),
        blur_sigma=blur[0],
        blur_kernel=blur[1],
        steps=len(records[0].curves[0].deletion) - 1,
        curves=curves,
        deletion_beats_baselines=all(
            _mean(own.deletion_auc) < _mean(b.deletion_auc) for b in baselines
        ),
        insertion_beats_baselines=all(
            _mean(own.insertion_auc) > _mean(b.insertion_auc) for b in baselines
        ),
        threshold=SAME,
    )


def _alike(similarity: Estimate) -> bool:
    """The maps rank pixels alike; a constant map (no Spearman) is unlike any other."""
    return similarity.mean is not None and similarity.mean >= SAME


def _mean(value: Estimate) -> float:
    assert value.mean is not None  # every curve has an area
    return value.mean


def _curve(k: int, records: Sequence[TrustRecord], seed: int) -> Curve:
    each: list[CurveRecord] = [r.curves[k] for r in records]
    return Curve(
        map=each[0].map,
        deletion=_pointwise([c.deletion for c in each]),
        insertion=_pointwise([c.insertion for c in each]),
        deletion_auc=estimate([area(c.deletion) for c in each], seed),
        insertion_auc=estimate([area(c.insertion) for c in each], seed),
    )


def _pointwise(curves: Sequence[Sequence[float]]) -> tuple[float, ...]:
    return tuple(math.fsum(points) / len(points) for points in zip(*curves, strict=True))


def _mean_grid(grids: Sequence[Grid]) -> Grid:
    """One image's grid as it is; several images' grids each scaled to its largest, then
    averaged, so that every image counts the same."""
    if len(grids) == 1:
        return grids[0]
    scaled = []
    for grid in grids:
        largest = max((v for row in grid for v in row), default=0.0)
        scaled.append([[v / largest if largest > 0 else v for v in row] for row in grid])
    return tuple(
        tuple(math.fsum(g[r][c] for g in scaled) / len(scaled) for c in range(len(scaled[0][0])))
        for r in range(len(scaled[0]))
    )
