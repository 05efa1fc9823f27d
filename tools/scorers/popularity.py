"""Popularity: score = log(1 + number of users with a positive interaction).

Why keep it: it is the baseline every personalised scorer must beat, and the fallback for a
chat session that has not mentioned any item the graph knows. Its known answer is "the most
popular unseen item first", whoever asks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tools.catalog.catalog import Interaction
from tools.errors import ModelNotReadyError
from tools.scorers.graph import InteractionGraph, fill_unknown
from tools.scoring import Scorer, ScorerEvidence, ScoringContext


class PopularityScorer(Scorer):
    name = "popularity"

    def __init__(self) -> None:
        self.graph: InteractionGraph | None = None
        self.counts = np.zeros(0)
        self.meta: dict = {}

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[str] | None = None) -> PopularityScorer:
        return self.fit_graph(InteractionGraph.from_interactions(interactions, item_ids))

    def fit_graph(self, graph: InteractionGraph) -> PopularityScorer:
        self.graph = graph
        self.counts = graph.item_counts()
        return self

    def _need(self) -> InteractionGraph:
        if self.graph is None:
            raise ModelNotReadyError("popularity scorer is not fitted; run `whyrec train gcn` or call fit()")
        return self.graph

    def item_scores(self) -> np.ndarray:
        """Scores of every item in graph order (also the LightGCN cold-start fallback)."""
        return np.log1p(self.counts)

    def score(self, context: ScoringContext, candidate_ids: Sequence[str]) -> np.ndarray:
        g = self._need()
        idx = np.array([g.item_index.get(str(c), -1) for c in candidate_ids], dtype=np.int64)
        known = idx >= 0
        raw = np.zeros(len(idx))
        raw[known] = self.item_scores()[idx[known]]
        return fill_unknown(raw, known)

    def evidence(self, context: ScoringContext, item_id: str) -> ScorerEvidence:
        g = self._need()
        i = g.item_index.get(str(item_id))
        if i is None:
            return ScorerEvidence(self.name, str(item_id), float(self.score(context, [item_id])[0]),
                                  details={"known": False, "basis": "item has no interactions in training"})
        rank = int((self.counts > self.counts[i]).sum()) + 1
        neigh = tuple(g.item_ids[j] for j, _ in g.co_interacted(i, 5))
        return ScorerEvidence(
            scorer=self.name,
            item_id=str(item_id),
            score=float(self.item_scores()[i]),
            contributions={},  # popularity does not depend on what this person liked
            neighbours=neigh,
            details={
                "known": True,
                "basis": "log(1 + users with a positive interaction); independent of the session",
                "users": int(self.counts[i]),
                "popularity_rank": rank,
                "n_items": g.n_items,
                "neighbours_by": "co-interaction (users who positively interacted with both)",
            },
        )

    def save(self, path: Path) -> Path:
        g = self._need()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        g.save(path / "graph.npz")
        (path / "meta.json").write_text(json.dumps({"scorer": self.name, **self.meta}, indent=2))
        return path

    @classmethod
    def load(cls, path: Path) -> PopularityScorer:
        path = Path(path)
        if not (path / "graph.npz").is_file():
            raise ModelNotReadyError(f"no popularity model at {path}; run `whyrec train gcn` first")
        s = cls().fit_graph(InteractionGraph.load(path / "graph.npz"))
        meta_file = path / "meta.json"
        if meta_file.is_file():
            s.meta = {k: v for k, v in json.loads(meta_file.read_text()).items() if k != "scorer"}
        return s
