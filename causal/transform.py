"""Marginal transforms applied before a CI test: the nonparanormal (rank -> normal score) map.

Why: Fisher-z is exact for jointly Gaussian data, but real columns are prices, counts and
durations -- skewed and heavy-tailed monotone distortions of something closer to Gaussian.
The nonparanormal model (Liu, Lafferty & Wasserman 2009) assumes exactly that: each column is
an unknown increasing function of a latent Gaussian. Replacing every value by the normal
score of its rank undoes any such function, so partial correlations (and Fisher-z) are
computed on the latent scale. A monotone map cannot change which variables are independent,
so nothing true is lost; ``evals.bench_causal`` measures what it gains (skeleton F1 on
exp/cube/log-distorted linear SCMs) and what it costs on data that were Gaussian already.

Not for DirectLiNGAM: normal scores make every marginal Gaussian, and LiNGAM identifies the
direction precisely from non-Gaussian marginals.
"""

from __future__ import annotations

import numpy as np

from causal.errors import CausalInputError

TRANSFORMS = ("none", "rank")


def normal_scores(data: np.ndarray) -> np.ndarray:
    """Each column -> Phi^-1(rank / (n + 1)); ties share their average rank.

    ``n + 1`` keeps the extreme scores finite (about +-3.5 at n = 10,000), the usual
    rank-based (van der Waerden) normal score. Binary columns map to two values, i.e. an
    affine recoding that leaves every correlation unchanged.
    """
    from scipy.stats import norm, rankdata

    data = np.asarray(data, dtype=float)
    n = data.shape[0]
    ranks = rankdata(data, axis=0, method="average")
    return norm.ppf(ranks / (n + 1.0))


def apply_transform(data: np.ndarray, transform: str) -> np.ndarray:
    """``"none"`` returns ``data`` as is; ``"rank"`` returns :func:`normal_scores`."""
    if transform == "none":
        return data
    if transform == "rank":
        return normal_scores(data)
    raise CausalInputError(f"unknown transform {transform!r}; use one of {', '.join(TRANSFORMS)}")
