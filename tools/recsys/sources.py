"""Candidate sources: each nominates items for a request and scores every catalog item.

Why every source scores the whole catalog: the ranker needs each source's opinion of
every candidate, including those another source nominated (a film the collaborative
source found may also be close in plot to what the user liked). Nomination is each
source's own top ``depth``; the union goes to the constraints and then to the ranker.

A title sharing a word with the user's message is never a similarity signal here:
lexical matching only resolves the titles a user names (tools/resolve/titles.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tools.recsys.cooccurrence import CoSuggestionStats
from tools.recsys.item_space import ItemSpace
from tools.recsys.request import RecRequest
from tools.recsys.talk import TalkMemory, unit

#: how much a neutral mention counts next to a liked one in the collaborative sources
MENTION_WEIGHT = 0.6


@dataclass
class RequestRows:
    """A request's ids as item rows, computed once and shared by every source."""

    liked: np.ndarray
    disliked: np.ndarray
    context: np.ndarray
    context_weights: np.ndarray
    recent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: per-request memo of whole-catalog statistics (sources and features share them)
    memo: dict = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @classmethod
    def of(cls, req: RecRequest, space: ItemSpace) -> RequestRows:
        liked = space.rows(req.liked)
        ctx_ids = req.context_items
        ctx = space.rows(ctx_ids)
        liked_set = set(req.liked)
        weights = np.array([1.0 if i in liked_set else MENTION_WEIGHT for i in ctx_ids if i in space.index])
        return cls(liked, space.rows(req.disliked), ctx, weights, space.rows(req.recent))


class CandidateSource(Protocol):
    """One small interface per source; tests/test_recsys_sources.py runs one contract against all."""

    name: str

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        """A score per catalog item (higher = better), or None when the source has nothing to say."""
        ...


class CoSuggestionSource:
    """Collaborative: what recommenders suggested after the items in this conversation."""

    name = "cosuggest"

    def __init__(self, stats: CoSuggestionStats) -> None:
        self.stats = stats

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        if len(rows.context) == 0:
            return None
        total, _ = rows.cached("suggest", lambda: self.stats.suggest_scores(rows.context, rows.context_weights))
        return total


class CoMentionSource:
    """Collaborative: films talked about in the same dialogues as this conversation's films."""

    name = "comention"

    def __init__(self, stats: CoSuggestionStats) -> None:
        self.stats = stats

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        if len(rows.context) == 0:
            return None
        return rows.cached("comention", lambda: self.stats.comention_scores(rows.context))


class GraphSource:
    """Collaborative: LightGCN item embeddings, cosine to the liked (else mentioned) items."""

    name = "graph"

    def __init__(self, item_embeddings: np.ndarray) -> None:
        norms = np.linalg.norm(item_embeddings, axis=1, keepdims=True)
        self.emb = np.divide(item_embeddings, norms, out=np.zeros_like(item_embeddings), where=norms > 0)

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        anchor = rows.liked if len(rows.liked) else rows.context
        if len(anchor) == 0:
            return None
        return self.emb @ self.emb[anchor].mean(axis=0)


class ContentSource:
    """Content: plot-vector similarity to the liked items (else the mentioned ones)."""

    name = "content"

    def __init__(self, space: ItemSpace) -> None:
        if space.vectors is None:
            raise ValueError("ContentSource needs item vectors; build the catalog with them (item_vectors.npz)")
        self.space = space

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        anchor = rows.liked if len(rows.liked) else rows.context
        if len(anchor) == 0:
            return None
        vecs = self.space.vectors
        sims = vecs @ vecs[anchor].T  # (n, |anchor|)
        return sims.max(axis=1)


def query_vector(req: RecRequest, rows: RequestRows, embed: Callable[[str], np.ndarray]) -> np.ndarray | None:
    """The unit embedding of the request's words, computed once per request (None: no words)."""
    text = req.query_text.strip()
    if not text:
        return None
    q = rows.cached("query_vector", lambda: unit(embed(text)))
    return q if np.any(q) else None


class QuerySource:
    """Content: similarity of the user's own words to each film's plot vector (dense retrieval)."""

    name = "query"

    def __init__(self, space: ItemSpace, embed: Callable[[str], np.ndarray]) -> None:
        if space.vectors is None:
            raise ValueError("QuerySource needs item vectors; build the catalog with them (item_vectors.npz)")
        self.space = space
        self.embed = embed

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        q = query_vector(req, rows, self.embed)
        return None if q is None else self.space.vectors @ q


class TalkSource:
    """Collaborative over words: what recommenders suggested after requests worded like this one
    (``tools.recsys.talk``); speaks before any film is named ("something scary for tonight")."""

    name = "talk"

    def __init__(self, memory: TalkMemory, embed: Callable[[str], np.ndarray]) -> None:
        self.memory = memory
        self.embed = embed

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        q = query_vector(req, rows, self.embed)
        return None if q is None or len(self.memory) == 0 else rows.cached("talk", lambda: self.memory.scores(q))


class AttributeSource:
    """Attributes: films with the requested genres and people, most suggested first."""

    name = "attributes"

    def __init__(self, space: ItemSpace, prior: np.ndarray) -> None:
        self.space = space
        self.prior = np.log1p(np.asarray(prior, dtype=np.float64))

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        cols = self.space.genre_columns(req.genres_include)
        people = set(req.people_include)
        if len(cols) == 0 and not people:
            return None
        match = np.zeros(len(self.space))
        if len(cols):
            match += self.space.genres[:, cols].sum(axis=1) / len(cols)
        if people:
            match += self.space.with_people(people)
        return match * (1.0 + self.prior)


def shared_people(space: ItemSpace, rows: RequestRows, anchor: np.ndarray, key: str) -> np.ndarray | None:
    """Per catalog film: how many of the ``anchor`` films' people it has (None: they have none), computed
    once per request under ``key`` (the people source and the ``people_liked_overlap`` feature share it)."""
    def compute() -> np.ndarray | None:
        people = {p for r in anchor for p in space.people[int(r)]}
        return space.people_counts(people) if people else None

    return rows.cached(key, compute)


class PeopleSource:
    """Content: films that share directors, cast or source authors with the liked (else mentioned) films,
    more shared people and more often suggested first. Measured on ReDial validation (filtered): it
    nominates 2.2% of the targets that no other source had among its first 200."""

    name = "people"

    def __init__(self, space: ItemSpace, prior: np.ndarray) -> None:
        self.space = space
        self.prior = np.log1p(np.asarray(prior, dtype=np.float64))

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        liked = len(rows.liked) > 0
        shared = shared_people(self.space, rows, rows.liked if liked else rows.context,
                               "people:liked" if liked else "people:context")
        return None if shared is None else shared * (1.0 + self.prior)


class PopularitySource:
    """The prior: how often each film was suggested in the training dialogues."""

    name = "popularity"

    def __init__(self, suggested: np.ndarray) -> None:
        self.prior = np.log1p(np.asarray(suggested, dtype=np.float64))

    def scores(self, req: RecRequest, rows: RequestRows) -> np.ndarray | None:
        return self.prior


def standard_sources(space: ItemSpace, stats: CoSuggestionStats,
                     embed: Callable[[str], np.ndarray] | None = None) -> list[CandidateSource]:
    """Every source the statistics and the item space can feed: the list a served recommender uses
    (trained or not), so the training pools and a live turn's pool come from the same sources."""
    prior = stats.suggested + 0.5 * stats.mentioned
    out: list[CandidateSource] = [CoSuggestionSource(stats), CoMentionSource(stats), PopularitySource(prior),
                                  AttributeSource(space, prior), PeopleSource(space, prior)]
    if stats.item_emb is not None:  # LightGCN neighbours of the conversation's films
        out.append(GraphSource(stats.item_emb))
    if space.vectors is not None:
        out.append(ContentSource(space))
        if embed is not None:
            out.append(QuerySource(space, embed))
    if stats.talk is not None and embed is not None:  # what was suggested after requests worded like this
        out.append(TalkSource(stats.talk, embed))
    return out
