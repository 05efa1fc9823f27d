"""Candidate generation for the policy: pools from several score channels.

Why a channel abstraction: the policy re-ranks a pool, and every pool item needs every
upstream score as a feature (GCN, retrieval, popularity). A ``ScoreChannel`` can both
list its own top-k and score any item, so ``PoolBuilder`` takes the union of each
channel's top-k and then fills all channels for all pool items.

``PoolBuilder`` is a ``CandidateSource``: ``(context, k) -> {item_id: {channel: score}}``;
the agent can pass any callable with that shape (e.g. one over Chroma hits).

``TextSimilarityChannel`` is the in-memory stand-in for Chroma retrieval used in training
and the benchmark (documented substitution): TF-IDF cosine between the item's
``content_text()`` and the conversation (the seeker's words plus the text of the items
they liked, i.e. query expansion by liked items, as ``similar_items`` would do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from tools.catalog.catalog import Catalog
from tools.scoring import Scorer, ScoringContext

CandidatePool = dict[str, dict[str, float]]


@runtime_checkable
class CandidateSource(Protocol):
    def __call__(self, context: ScoringContext, k: int) -> CandidatePool: ...


class ScoreChannel(Protocol):
    name: str

    def scores(self, context: ScoringContext, item_ids: Sequence[str]) -> np.ndarray: ...

    def top(self, context: ScoringContext, k: int, exclude: set[str]) -> list[str]: ...


def _top_from_scores(ids: Sequence[str], s: np.ndarray, k: int, exclude: set[str]) -> list[str]:
    order = np.argsort(-s, kind="stable")
    out: list[str] = []
    for i in order:
        if ids[i] not in exclude:
            out.append(ids[i])
            if len(out) >= k:
                break
    return out


class StaticChannel:
    """A context-free score per item (e.g. catalog popularity)."""

    def __init__(self, name: str, values: Mapping[str, float]) -> None:
        self.name = name
        self._ids = list(values)
        self._vals = np.asarray([float(values[i]) for i in self._ids], dtype=np.float64)
        self._order = np.argsort(-self._vals, kind="stable")
        self._lookup = dict(values)

    def scores(self, context: ScoringContext, item_ids: Sequence[str]) -> np.ndarray:
        return np.asarray([float(self._lookup.get(i, 0.0)) for i in item_ids], dtype=np.float64)

    def top(self, context: ScoringContext, k: int, exclude: set[str]) -> list[str]:
        out: list[str] = []
        for i in self._order:
            if self._ids[i] not in exclude:
                out.append(self._ids[i])
                if len(out) >= k:
                    break
        return out


class ScorerChannel:
    """Any ``Scorer`` (popularity, LightGCN, ...) as a channel over a fixed item universe."""

    def __init__(self, name: str, scorer: Scorer, universe: Sequence[str]) -> None:
        self.name = name
        self.scorer = scorer
        self.universe = list(universe)
        self._cache_key: tuple | None = None
        self._cache: np.ndarray | None = None

    def _all(self, context: ScoringContext) -> np.ndarray:
        key = (context.user_id, context.liked_ids, context.disliked_ids, context.query)
        if key != self._cache_key:
            self._cache = np.asarray(self.scorer.score(context, self.universe), dtype=np.float64)
            self._cache_key = key
        return self._cache  # type: ignore[return-value]

    def scores(self, context: ScoringContext, item_ids: Sequence[str]) -> np.ndarray:
        return np.asarray(self.scorer.score(context, list(item_ids)), dtype=np.float64)

    def top(self, context: ScoringContext, k: int, exclude: set[str]) -> list[str]:
        return _top_from_scores(self.universe, self._all(context), k, exclude)


class TextSimilarityChannel:
    """TF-IDF cosine of item text to the conversation (in-memory retrieval stand-in)."""

    name = "retrieval"

    def __init__(self, catalog: Catalog, liked_weight: float = 1.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids = [it.item_id for it in catalog.items]
        self._row = {i: r for r, i in enumerate(self.ids)}
        self._vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1, dtype=np.float32)
        self._x = self._vec.fit_transform([it.content_text() for it in catalog.items]).tocsr()
        self.liked_weight = liked_weight
        self._cache_key: tuple | None = None
        self._cache: np.ndarray | None = None

    def _query_vector(self, context: ScoringContext):
        from sklearn.preprocessing import normalize

        q = self._vec.transform([context.query or ""])
        rows = [self._row[i] for i in context.liked_ids if i in self._row]
        if rows:
            liked = normalize(np.asarray(self._x[rows].mean(axis=0)))
            q = q.toarray() + self.liked_weight * liked
        else:
            q = q.toarray()
        return np.asarray(q, dtype=np.float32).ravel()

    def _all(self, context: ScoringContext) -> np.ndarray:
        key = (context.query, context.liked_ids)
        if key != self._cache_key:
            q = self._query_vector(context)
            self._cache = np.asarray(self._x @ q, dtype=np.float64).ravel()
            self._cache_key = key
        return self._cache  # type: ignore[return-value]

    def scores(self, context: ScoringContext, item_ids: Sequence[str]) -> np.ndarray:
        s = self._all(context)
        return np.asarray([s[self._row[i]] if i in self._row else 0.0 for i in item_ids], dtype=np.float64)

    def top(self, context: ScoringContext, k: int, exclude: set[str]) -> list[str]:
        return _top_from_scores(self.ids, self._all(context), k, exclude)


class PoolBuilder:
    """Union of each channel's top-``per_channel`` items, every channel scored for every item."""

    def __init__(self, channels: Sequence[ScoreChannel], per_channel: int = 30) -> None:
        if not channels:
            raise ValueError("PoolBuilder needs at least one channel (e.g. StaticChannel('popularity', ...))")
        self.channels = list(channels)
        self.per_channel = per_channel

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.channels)

    def __call__(self, context: ScoringContext, k: int | None = None) -> CandidatePool:
        k = k or self.per_channel
        exclude = set(context.liked_ids) | set(context.disliked_ids) | set(context.seen_ids)
        ids: dict[str, None] = {}
        for ch in self.channels:
            ids.update(dict.fromkeys(ch.top(context, k, exclude)))
        pool_ids = list(ids)
        pool: CandidatePool = {i: {} for i in pool_ids}
        for ch in self.channels:
            for i, s in zip(pool_ids, ch.scores(context, pool_ids), strict=True):
                pool[i][ch.name] = float(s)
        return pool


def pool_to_features(pool: CandidatePool) -> dict[str, dict[str, float]]:
    """{item: {channel: s}} -> {channel: {item: s}} (the ``ScoringContext.features`` layout)."""
    out: dict[str, dict[str, float]] = {}
    for item, chans in pool.items():
        for ch, s in chans.items():
            out.setdefault(ch, {})[item] = float(s)
    return out
