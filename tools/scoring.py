"""The ``Scorer`` interface every recommender model implements.

Why one small interface: the agent's ``score_candidates`` tool, the explanation
evidence and the benchmarks treat popularity, LightGCN and the RL policy alike, and
one shared contract (tests/scorer_contract.py, run by tests/test_scorers_contract.py and
tests/test_rl_contract.py) runs against each.

A context is either a *trained user* (``user_id`` seen in ``fit``) or a *chat
session* (cold start: only the items mentioned/liked/disliked in the conversation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.catalog.catalog import Interaction


@dataclass(frozen=True)
class ScoringContext:
    """What a scorer may know about the person being recommended to."""

    user_id: str | None = None
    liked_ids: tuple[str, ...] = ()
    disliked_ids: tuple[str, ...] = ()
    seen_ids: tuple[str, ...] = ()
    query: str = ""
    turn_index: int = 0
    #: per-candidate features computed upstream (e.g. {"retrieval": {item_id: score}})
    features: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScorerEvidence:
    """Why a scorer scored an item as it did, as data the explanation layer can cite."""

    scorer: str
    item_id: str
    score: float
    #: liked item id -> share of the score it contributed (shares sum to <= 1)
    contributions: dict[str, float] = field(default_factory=dict)
    #: graph/co-occurrence neighbours of the item (ids)
    neighbours: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "item_id": self.item_id,
            "score": float(self.score),
            "contributions": {k: float(v) for k, v in self.contributions.items()},
            "neighbours": list(self.neighbours),
            "details": self.details,
        }


class Scorer(ABC):
    """fit on interactions, score candidates for a context, explain one score, persist."""

    name: str = "scorer"

    @abstractmethod
    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[str] | None = None) -> Scorer:
        """Learn from interactions; ``item_ids`` fixes the item universe (default: those seen)."""

    @abstractmethod
    def score(self, context: ScoringContext, candidate_ids: Sequence[str]) -> np.ndarray:
        """Scores aligned with ``candidate_ids`` (higher is better); unknown items get the minimum."""

    @abstractmethod
    def evidence(self, context: ScoringContext, item_id: str) -> ScorerEvidence:
        """Why ``item_id`` got its score for this context."""

    @abstractmethod
    def save(self, path: Path) -> Path:
        """Write everything needed to ``load`` into a file or directory; returns the path written."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path) -> Scorer:
        """Read what ``save`` wrote."""

    @property
    def version(self) -> str:
        """A short string recorded with every recommendation (audit trail)."""
        return self.name

    def rank(self, context: ScoringContext, candidate_ids: Sequence[str], k: int) -> list[tuple[str, float]]:
        """Top-k (item_id, score), excluding the context's liked/disliked/seen items."""
        excluded = set(context.liked_ids) | set(context.disliked_ids) | set(context.seen_ids)
        cands = [c for c in dict.fromkeys(candidate_ids) if c not in excluded]
        if not cands:
            return []
        scores = self.score(context, cands)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(cands[i], float(scores[i])) for i in order]
