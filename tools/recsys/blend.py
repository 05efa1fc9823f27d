"""A ranker that mixes the plain model with a de-biased one: ``(1 - share) * plain + share * de-biased``.

Why a mix rather than one weighted fit: inverse-propensity weights strong enough to lift the long
tail (a floor of 0.0005 on the exposure propensity) cost the overall ranking about 9% of R@50 on
their own, because they also teach the model that popularity means little, which is false for a
ReDial seeker; gentler weights buy less tail than they cost. Averaging the two models' scores keeps
the plain model's head and the weighted model's tail (``evals/results/debias.md`` measures the
mix against both). Both are LightGBM LambdaRank models over the same features, so their scores
share a scale, and the mix's per-feature SHAP contributions are the same mix of theirs: each card's
account still adds up to its score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import DataError
from tools.recsys.ranker import LearnedRanker

BLEND_FILE = "blend.json"
DEBIASED_DIR = "debiased"


@dataclass
class BlendedRanker:
    plain: LearnedRanker
    debiased: LearnedRanker
    #: the de-biased model's share of the score, in (0, 1)
    share: float
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.share < 1.0:
            raise ValueError(f"a blend's share must be between 0 and 1 (exclusive), got {self.share}")
        if not self.info:
            self.info = {**self.plain.info, "blend_share": self.share,
                         "debiased_best_iteration": self.debiased.info.get("best_iteration")}

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (1.0 - self.share) * self.plain.predict(x) + self.share * self.debiased.predict(x)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per-feature contributions (n, F), bias (n,)), the same mix of both models' SHAP values."""
        cp, bp = self.plain.contributions(x)
        cd, bd = self.debiased.contributions(x)
        a, b = 1.0 - self.share, self.share
        return a * cp + b * cd, a * bp + b * bd

    def save(self, path: Path) -> Path:
        self.plain.save(path)
        self.debiased.save(path / DEBIASED_DIR)
        (path / BLEND_FILE).write_text(json.dumps({"share": self.share}, indent=2))
        return path


def load_ranker(path: Path) -> LearnedRanker | BlendedRanker:
    """The ranker saved at ``path``: a blend when ``save`` wrote one, else the plain model."""
    blend = path / BLEND_FILE
    if not blend.is_file():
        return LearnedRanker.load(path)
    try:
        share = float(json.loads(blend.read_text())["share"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{blend} is unreadable ({exc}); retrain with `whyrec train ranker --force`") from exc
    return BlendedRanker(LearnedRanker.load(path), LearnedRanker.load(path / DEBIASED_DIR), share)
