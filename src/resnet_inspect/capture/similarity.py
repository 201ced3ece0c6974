"""How alike two maps are, by the two measures the sanity-check literature uses (Adebayo et
al., NeurIPS 2018): Spearman's rank correlation and the structural similarity index (SSIM).

Both are written out here in torch, in float64, rather than taken from scipy and
scikit-image: the tool needs nothing else at run time, and the tests compare these with
``scipy.stats.spearmanr`` and ``skimage.metrics.structural_similarity``, which stay
independent of this code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

SSIM_WINDOW = 7  # scikit-image's default: a uniform 7×7 window
SSIM_K1, SSIM_K2 = 0.01, 0.03  # Wang et al. 2004's constants, scikit-image's defaults


def ranks(values: torch.Tensor) -> torch.Tensor:
    """The ranks (1 to n) of a flat tensor, ties given the mean of the ranks they span,
    as ``scipy.stats.rankdata`` gives them."""
    order = torch.argsort(values, stable=True)
    ordered = values[order]
    starts = torch.ones_like(ordered, dtype=torch.bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    group = torch.cumsum(starts.long(), 0) - 1
    first = torch.nonzero(starts).flatten().double()  # each group's first place, 0-based
    counts = torch.bincount(group).double()
    mean_rank = first + (counts + 1) / 2  # the mean of ranks first+1 .. first+count
    found = torch.empty_like(values, dtype=torch.float64)
    found[order] = mean_rank[group]
    return found


def spearman(a: torch.Tensor, b: torch.Tensor) -> float | None:
    """Spearman's rank correlation of two maps of one shape; None where either map is
    constant (an empty map has no order to compare)."""
    x, y = ranks(a.flatten().double()), ranks(b.flatten().double())
    x, y = x - x.mean(), y - y.mean()
    scale = float(torch.sqrt((x * x).sum() * (y * y).sum()))
    if scale == 0:
        return None
    return float((x * y).sum()) / scale


def ssim(a: torch.Tensor, b: torch.Tensor, data_range: float = 1.0) -> float:
    """The mean structural similarity of two H×W maps (Wang et al. 2004), as scikit-image
    computes it by default: a uniform 7×7 window, sample covariances, the mean over the
    windows that lie wholly inside the map."""
    x, y = a.double()[None, None], b.double()[None, None]
    window = SSIM_WINDOW
    if min(x.shape[-2:]) < window:
        raise ValueError(f"SSIM needs maps of at least {window}×{window}")

    def mean(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, window, stride=1)

    n = window * window
    sample = n / (n - 1)  # sample, not population, covariances
    ux, uy = mean(x), mean(y)
    vx = sample * (mean(x * x) - ux * ux)
    vy = sample * (mean(y * y) - uy * uy)
    vxy = sample * (mean(x * y) - ux * uy)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    index = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(index.mean())
