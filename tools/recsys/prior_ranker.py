"""The ranker an install has before ``whyrec train ranker`` has run: fixed, signed feature weights.

Why it exists: a turn always goes through one pipeline (sources -> constraints -> ranker ->
slate -> claims), trained or not. A catalog without ReDial-style dialogues (a small imported
catalog, the prompt-injection suite's planted catalog, the agent's tests) has no training data
for LightGBM, yet its users still need a ranking that follows what they asked for. A linear
model over the same named features is the honest cold-start choice: its weights are readable
in this file, it needs no data, and its per-feature contributions (weight x value) are exact
and add up to the score, so the explanation claims read off them just as they read SHAP values
off the learned model (``LearnedRanker.contributions`` has the same contract).

The weights encode the order a person would expect: a film close to the ones you liked, or
matching the genre or person you asked for, first; one close to what you disliked, or in a
genre you ruled out of favour, last; popularity only breaks near-ties. ``whyrec train ranker``
replaces this model with the learned one, which beats it on every ReDial figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.recsys.features import FEATURES

#: feature -> weight; a feature not listed does not count (NaN, "does not apply", counts as 0)
PRIOR_WEIGHTS: dict[str, float] = {
    # collaborative pull from the conversation's films (shares in [0, 1])
    "cosuggest": 1.0, "comention": 1.0, "graph": 0.5,
    # content: close in plot to a liked film, to the user's own words
    "content": 2.0, "content_mean": 0.5, "query": 1.5,
    # what the user asked for
    "genre_request_match": 1.5, "genre_request_miss": -1.0, "people_request_match": 2.0, "in_year_range": 0.5,
    "genre_liked_overlap": 0.5, "people_liked_overlap": 0.3,
    # what the user pushed away
    "content_disliked": -1.5, "genre_disliked_overlap": -1.0, "cosuggest_disliked": -1.0, "graph_disliked": -0.5,
    # the prior: breaks near-ties towards films people talk about (log counts)
    "mentioned_prior": 0.15, "suggested_prior": 0.15,
}


@dataclass(frozen=True)
class PriorRankerConfig:
    weights: tuple[tuple[str, float], ...] = tuple(PRIOR_WEIGHTS.items())


@dataclass
class PriorRanker:
    """A linear ranker with fixed weights (see the module docstring for why)."""

    config: PriorRankerConfig = PriorRankerConfig()
    info: dict[str, Any] = field(default_factory=lambda: {"kind": "prior", "trained": False})

    def __post_init__(self) -> None:
        unknown = [name for name, _ in self.config.weights if name not in FEATURES]
        if unknown:
            raise ValueError(f"prior weights name unknown features: {', '.join(unknown)}; "
                             f"known: {', '.join(FEATURES)}")
        w = dict(self.config.weights)
        self.weights = np.array([w.get(name, 0.0) for name in FEATURES], dtype=np.float64)

    def _check(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(FEATURES):
            raise ValueError(f"expected a (rows, {len(FEATURES)}) feature matrix, got shape {x.shape}")
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._check(x) @ self.weights

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per-feature contributions (n, F), bias (n,)): weight x value; the bias is 0, so they sum to the score."""
        c = self._check(x) * self.weights
        return c, np.zeros(len(c))
