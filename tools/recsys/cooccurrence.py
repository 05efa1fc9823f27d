"""Collaborative statistics mined from recommendation dialogues.

Why counts rather than a learned model: in ReDial-like data the strongest collaborative
signal is "after someone mentioned X, recommenders suggested Y" — a sparse, directed
count that a few thousand dialogues estimate well and that explains itself ("people who
brought up Alien were often pointed to Aliens"). Three tables are kept:

- ``suggest[i, j]``: how often j was newly suggested by a recommender after i was mentioned;
- ``comention[i, j]``: how many dialogues mention both (symmetric, no direction);
- ``suggested[j]``: how often j was suggested at all (the popularity prior of suggestions);
- ``mentioned[j]``: in how many dialogues j was mentioned by anyone (the popularity prior of talk).

Optionally they carry LightGCN item embeddings of the same dialogues (``item_emb``,
``tools.recsys.graph_embed``): fitted on the same episodes, so out-of-fold training gets
out-of-fold embeddings exactly as it gets out-of-fold counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tools.recsys.item_space import ItemSpace


@dataclass(frozen=True)
class Episode:
    """One recommender utterance: what had been mentioned before it, and what it suggested."""

    dialogue_id: str
    context: tuple[str, ...]
    suggested: tuple[str, ...]


class CoSuggestionStats:
    def __init__(self, suggest: sp.csr_matrix, comention: sp.csr_matrix, suggested: np.ndarray,
                 mentioned: np.ndarray, item_emb: np.ndarray | None = None) -> None:
        self.suggest = suggest.tocsr()
        self.comention = comention.tocsr()
        self.suggested = np.asarray(suggested, dtype=np.float64)
        self.mentioned = np.asarray(mentioned, dtype=np.float64)
        #: LightGCN item embeddings (rows = catalog rows), or None when the graph was not fitted
        self.item_emb = None if item_emb is None else np.asarray(item_emb, dtype=np.float32)
        self.graph_info: dict = {}
        self._unit: np.ndarray | None = None
        self._suggest_rows = np.asarray(self.suggest.sum(axis=1)).ravel()
        self._comention_rows = np.asarray(self.comention.sum(axis=1)).ravel()

    def graph_unit(self) -> np.ndarray | None:
        """``item_emb`` with unit rows (zero rows stay zero): cosine is one matrix product."""
        if self.item_emb is not None and self._unit is None:
            n = np.linalg.norm(self.item_emb, axis=1, keepdims=True)
            self._unit = np.divide(self.item_emb, n, out=np.zeros_like(self.item_emb), where=n > 0)
        return self._unit

    @classmethod
    def fit(cls, episodes: Iterable[Episode], space: ItemSpace, *, graph: dict | None = None) -> CoSuggestionStats:
        """Counts over ``episodes``; with ``graph`` (a LightGCN config, {} = defaults) also the item embeddings."""
        episodes = list(episodes)
        n = len(space)
        rows: list[int] = []
        cols: list[int] = []
        by_dialogue: dict[str, set[int]] = {}
        suggested = np.zeros(n, dtype=np.float64)
        for ep in episodes:
            ctx = [space.index[i] for i in ep.context if i in space.index]
            new = [space.index[j] for j in ep.suggested if j in space.index and j not in ep.context]
            for j in new:
                suggested[j] += 1
                for i in ctx:
                    rows.append(i)
                    cols.append(j)
            by_dialogue.setdefault(ep.dialogue_id, set()).update(ctx, new)
        suggest = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        crow: list[int] = []
        ccol: list[int] = []
        for members in by_dialogue.values():
            m = sorted(members)
            for a in m:
                for b in m:
                    if a != b:
                        crow.append(a)
                        ccol.append(b)
        comention = sp.csr_matrix((np.ones(len(crow)), (crow, ccol)), shape=(n, n))
        mentioned = np.zeros(n, dtype=np.float64)
        for members in by_dialogue.values():
            mentioned[list(members)] += 1
        stats = cls(suggest, comention, suggested, mentioned)
        if graph is not None:
            from tools.recsys.graph_embed import fit_item_embeddings

            stats.item_emb, stats.graph_info = fit_item_embeddings(episodes, space, graph)
        return stats

    # -- scoring -------------------------------------------------------------------------------
    def _normalised(self, mat: sp.csr_matrix, rowsum: np.ndarray, rows: np.ndarray, alpha: float) -> sp.csr_matrix:
        sub = mat[rows]
        scale = 1.0 / (rowsum[rows] + alpha)
        return sp.diags(scale) @ sub

    def suggest_scores(self, rows: np.ndarray, weights: np.ndarray | None = None,
                       alpha: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
        """(weighted sum, max) over context rows of P(suggest j | i mentioned), for every item."""
        n = self.suggest.shape[0]
        if len(rows) == 0:
            return np.zeros(n), np.zeros(n)
        w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)
        sub = self._normalised(self.suggest, self._suggest_rows, rows, alpha)
        total = np.asarray(sub.T @ w).ravel()
        mx = np.asarray(sub.max(axis=0).todense()).ravel()
        return total, mx

    def comention_scores(self, rows: np.ndarray, alpha: float = 5.0) -> np.ndarray:
        n = self.comention.shape[0]
        if len(rows) == 0:
            return np.zeros(n)
        sub = self._normalised(self.comention, self._comention_rows, rows, alpha)
        return np.asarray(sub.sum(axis=0)).ravel()

    def supporters(self, rows: np.ndarray, target: int, alpha: float = 5.0) -> dict[int, float]:
        """Which context rows support ``target`` and by how much (for the evidence)."""
        out: dict[int, float] = {}
        for r in rows:
            v = self.suggest[r, target] / (self._suggest_rows[r] + alpha)
            if v > 0:
                out[int(r)] = float(v)
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        sp.save_npz(path / "suggest.npz", self.suggest)
        sp.save_npz(path / "comention.npz", self.comention)
        np.save(path / "suggested.npy", self.suggested)
        np.save(path / "mentioned.npy", self.mentioned)
        if self.item_emb is not None:
            np.save(path / "graph_emb.npy", self.item_emb)

    @classmethod
    def load(cls, path: Path) -> CoSuggestionStats:
        emb = np.load(path / "graph_emb.npy") if (path / "graph_emb.npy").is_file() else None
        return cls(sp.load_npz(path / "suggest.npz"), sp.load_npz(path / "comention.npz"),
                   np.load(path / "suggested.npy"), np.load(path / "mentioned.npy"), emb)

