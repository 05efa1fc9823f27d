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
``tools.recsys.graph_embed``) and the "talk" memory of the same dialogues' requests (``talk``,
``tools.recsys.talk``: the words of each request and what was suggested after them), so
out-of-fold training gets out-of-fold embeddings and memories exactly as it gets out-of-fold counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tools.recsys.item_space import ItemSpace
from tools.recsys.talk import TalkMemory


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
        for mat in (self.suggest, self.comention):  # canonical: one sorted entry per cell (binary search)
            mat.sum_duplicates()
        self.suggested = np.asarray(suggested, dtype=np.float64)
        self.mentioned = np.asarray(mentioned, dtype=np.float64)
        #: LightGCN item embeddings (rows = catalog rows), or None when the graph was not fitted
        self.item_emb = None if item_emb is None else np.asarray(item_emb, dtype=np.float32)
        self.graph_info: dict = {}
        #: the "talk" source's memory of past requests' words (``tools.recsys.talk``), or None
        self.talk: TalkMemory | None = None
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
    # Why the CSR arrays by hand: a live turn scores a handful of context rows several times, and
    # scipy's ``mat[rows]`` / ``diags @ sub`` / ``sub.max(axis=0)`` build three sparse matrices per call
    # (index validation, dtype checks, format checks: ~8% of a turn's CPU in a profile of 40 load
    # turns). Gathering the rows' slices and scattering them with ``bincount`` is the same sum.
    @staticmethod
    def _row_entries(mat: sp.csr_matrix, rowsum: np.ndarray, rows: np.ndarray,
                     alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(column, value / (row sum + alpha), position in ``rows``) of every stored entry of ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = mat.indptr[rows], mat.indptr[rows + 1]
        owner = np.repeat(np.arange(len(rows)), ends - starts)
        take = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)]) if len(rows) else \
            np.zeros(0, dtype=np.int64)
        vals = mat.data[take] / (rowsum[rows] + alpha)[owner]
        return mat.indices[take], vals, owner

    def suggest_scores(self, rows: np.ndarray, weights: np.ndarray | None = None,
                       alpha: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
        """(weighted sum, max) over context rows of P(suggest j | i mentioned), for every item."""
        n = self.suggest.shape[0]
        if len(rows) == 0:
            return np.zeros(n), np.zeros(n)
        w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)
        cols, vals, owner = self._row_entries(self.suggest, self._suggest_rows, rows, alpha)
        total = np.bincount(cols, weights=vals * w[owner], minlength=n).astype(np.float64)
        mx = np.zeros(n)
        np.maximum.at(mx, cols, vals)
        return total, mx

    def comention_scores(self, rows: np.ndarray, alpha: float = 5.0) -> np.ndarray:
        n = self.comention.shape[0]
        if len(rows) == 0:
            return np.zeros(n)
        cols, vals, _owner = self._row_entries(self.comention, self._comention_rows, rows, alpha)
        return np.bincount(cols, weights=vals, minlength=n).astype(np.float64)

    def comentioned(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of the films mentioned in one dialogue with the film at ``row``: the raw
        counts, for callers that weigh them their own way (the slate's defining tones)."""
        a, b = self.comention.indptr[row], self.comention.indptr[row + 1]
        return self.comention.indices[a:b], self.comention.data[a:b]

    @staticmethod
    def cells(mat: sp.csr_matrix, rows: Iterable[int], col: int) -> np.ndarray:
        """``mat[r, col]`` for each r (a binary search in each row; scipy's element indexing is ~50x slower)."""
        ip, ind, dat = mat.indptr, mat.indices, mat.data
        out = []
        for r in rows:
            a, b = ip[r], ip[r + 1]
            k = a + int(np.searchsorted(ind[a:b], col))
            out.append(float(dat[k]) if k < b and ind[k] == col else 0.0)
        return np.asarray(out, dtype=np.float64)

    def supporters(self, rows: np.ndarray, target: int, alpha: float = 5.0) -> dict[int, float]:
        """Which context rows support ``target`` and by how much (for the evidence)."""
        vals = self.cells(self.suggest, rows, target) / (self._suggest_rows[np.asarray(rows, dtype=np.int64)] + alpha)
        return {int(r): float(v) for r, v in zip(rows, vals, strict=True) if v > 0}

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        sp.save_npz(path / "suggest.npz", self.suggest)
        sp.save_npz(path / "comention.npz", self.comention)
        np.save(path / "suggested.npy", self.suggested)
        np.save(path / "mentioned.npy", self.mentioned)
        if self.item_emb is not None:
            np.save(path / "graph_emb.npy", self.item_emb)
        if self.talk is not None:
            self.talk.save(path)

    @classmethod
    def load(cls, path: Path) -> CoSuggestionStats:
        emb = np.load(path / "graph_emb.npy") if (path / "graph_emb.npy").is_file() else None
        stats = cls(sp.load_npz(path / "suggest.npz"), sp.load_npz(path / "comention.npz"),
                    np.load(path / "suggested.npy"), np.load(path / "mentioned.npy"), emb)
        stats.talk = TalkMemory.load(path)
        return stats

