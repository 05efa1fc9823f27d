"""The project's one bootstrap: seeded resamples (of rows, or of whole clusters) and the percentile interval.

Why our own resampling loop and not ``scipy.stats.bootstrap``:
(1) rows are often clustered (one ReDial dialogue mentions several movies, one seeker answers for
    all of them; an RL log holds several decisions per dialogue); ``clusters`` resamples whole
    clusters, which scipy cannot, so within-cluster correlation widens the interval as it should;
(2) scipy's default BCa interval needs a jackknife, one model refit per row -- thousands of
    logistic refits per estimate on top of the resamples;
(3) the index arrays are handed to the caller, so several estimators can be evaluated on the SAME
    resamples (a paired comparison), and one seed gives the same table on every run.

Used by ``causal.effects`` (rows), ``causal.segments`` (clusters) and ``tools.rl.ope`` (dialogues).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np


def resample_indices(n: int, n_boot: int, seed: int, clusters: Sequence[Any] | np.ndarray | None = None
                     ) -> Iterator[np.ndarray]:
    """``n_boot`` row-index arrays, each one bootstrap resample of ``n`` rows.

    With ``clusters`` (one label per row) whole clusters are drawn with replacement and every row
    of a drawn cluster is kept (as often as its cluster was drawn).
    """
    if n < 1:
        raise ValueError(f"need at least one row to resample, got n={n}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    rng = np.random.default_rng(seed)
    if clusters is None:
        for _ in range(n_boot):
            yield rng.integers(0, n, n)
        return
    labels = np.asarray(clusters)
    if len(labels) != n:
        raise ValueError(f"clusters has {len(labels)} labels for {n} rows; give one label per row")
    _, local = np.unique(labels, return_inverse=True)
    k = int(local.max()) + 1
    rows = np.arange(n)
    for _ in range(n_boot):
        times = np.bincount(rng.integers(0, k, k), minlength=k)
        yield np.repeat(rows, times[local])


def bootstrap_values(stat: Callable[[np.ndarray], float], resamples: Iterator[np.ndarray] | Sequence[np.ndarray]
                     ) -> np.ndarray:
    """``stat`` on every resample; non-finite values (a degenerate resample) are dropped."""
    vals = np.array([stat(ix) for ix in resamples], dtype=np.float64)
    return vals[np.isfinite(vals)]


def percentile_interval(values: np.ndarray | Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap ``values``; (nan, nan) with fewer than 2."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    vals = np.asarray(values, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    if len(vals) < 2:
        return float("nan"), float("nan")
    alpha = (1.0 - level) / 2.0
    lo, hi = np.percentile(vals, [100 * alpha, 100 * (1 - alpha)])
    return float(lo), float(hi)


__all__ = ["bootstrap_values", "percentile_interval", "resample_indices"]
