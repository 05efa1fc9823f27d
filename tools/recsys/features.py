"""Ranker features: every source's opinion of a candidate, and how it fits the request.

Why a fixed, named feature list: the ranker's per-feature contributions are the
evidence an explanation cites, so each column has a name a person can read
("close to a film you liked", "matches the genre you asked for") and means the same
thing in training, in the ReDial benchmark and in a live turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.recsys.cooccurrence import CoSuggestionStats
from tools.recsys.item_space import ItemSpace
from tools.recsys.request import RecRequest
from tools.recsys.sources import RequestRows, shared_people

#: the feature columns, in order (the model file records them; a mismatch refuses to load)
FEATURES: tuple[str, ...] = (
    "cosuggest", "cosuggest_max", "comention", "cosuggest_disliked", "cosuggest_recent", "comention_recent",
    "content_recent", "cosuggest_lift",
    "graph", "graph_max", "graph_recent", "graph_disliked", "content", "content_mean", "query", "content_disliked",
    "suggested_prior", "mentioned_prior", "suggest_rate",
    "rank_cosuggest", "rank_comention", "rank_graph", "rank_content", "rank_query", "rank_attributes",
    "genre_request_match", "genre_request_miss", "genre_liked_overlap", "genre_novel_share", "genre_disliked_overlap",
    "people_request_match", "people_liked_overlap",
    "year", "year_gap", "in_year_range",
    "n_context", "n_liked",
    "talk", "rank_talk", "talk_lift", "rank_people",
)


#: sources whose whole-catalog rank of a candidate is a feature (a score's scale differs per request,
#: its rank does not)
RANKED_SOURCES = ("cosuggest", "comention", "graph", "content", "query", "attributes", "talk", "people")


def _ranks(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """0-based whole-catalog rank of each of ``rows`` in ``scores`` (best = 0; ties in catalog order;
    NaN last; +-inf as the largest finite values, as ``nan_to_num`` maps them).

    Why not ``argsort``: only the candidates' ranks are needed, and a plain sort plus binary search
    costs a quarter of a stable argsort of the catalog (six sources per turn). A tie is broken by
    counting the equal items that come before the row in catalog order, which is what the stable
    argsort did.
    """
    big = np.finfo(np.float64).max
    key = np.where(np.isnan(scores), np.inf, np.clip(-np.asarray(scores, dtype=np.float64), -big, big))
    ordered = np.sort(key)
    mine = key[rows]
    first = np.searchsorted(ordered, mine, side="left")
    tied = np.searchsorted(ordered, mine, side="right") - first > 1
    out = first.astype(np.float64)
    if tied.any():
        for value in np.unique(mine[tied]):
            same = np.flatnonzero(key == value)  # catalog order
            at = tied & (mine == value)
            out[at] += np.searchsorted(same, rows[at])
    return out


@dataclass
class CandidateTable:
    """Candidates of one request: their rows, feature matrix and nominating sources."""

    rows: np.ndarray
    matrix: np.ndarray  # (len(rows), len(FEATURES)) float32
    nominated_by: list[dict[str, float]]


def _norm_rows(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return np.divide(m, n, out=np.zeros_like(m), where=n > 0)


def build_features(req: RecRequest, rr: RequestRows, rows: np.ndarray, space: ItemSpace,
                   stats: CoSuggestionStats, source_scores: dict[str, np.ndarray | None]) -> np.ndarray:
    """The feature matrix for candidate ``rows`` (NaN where a feature does not apply)."""
    n = len(rows)
    f = np.full((n, len(FEATURES)), np.nan, dtype=np.float32)
    col = {name: j for j, name in enumerate(FEATURES)}

    def put(name: str, values: np.ndarray | float) -> None:
        f[:, col[name]] = values

    if len(rr.context):
        total, mx = rr.cached("suggest", lambda: stats.suggest_scores(rr.context, rr.context_weights))
        put("cosuggest", total[rows])
        put("cosuggest_max", mx[rows])
        # the same pull relative to how often the film is suggested at all: one co-suggestion of a film
        # that is suggested everywhere (Airplane! after The Thing) says less than one of a rare film
        put("cosuggest_lift", total[rows] / (stats.suggested[rows] + 1.0))
        put("comention", rr.cached("comention", lambda: stats.comention_scores(rr.context))[rows])
    if len(rr.recent):
        put("cosuggest_recent", stats.suggest_scores(rr.recent)[0][rows])
        put("comention_recent", stats.comention_scores(rr.recent)[rows])
        if space.vectors is not None:
            put("content_recent", (space.vectors[rows] @ space.vectors[rr.recent].T).max(axis=1))
    if len(rr.disliked):
        put("cosuggest_disliked", stats.suggest_scores(rr.disliked)[0][rows])
    for name in ("graph", "query", "talk"):
        if (s := source_scores.get(name)) is not None:
            put(name, s[rows])
    if (s := source_scores.get("talk")) is not None:
        # as for cosuggest_lift: being pointed to after words like these says more of a rarely suggested film
        put("talk_lift", s[rows] / np.log1p(stats.suggested[rows] + 1.0))
    for name in RANKED_SOURCES:
        if (s := source_scores.get(name)) is not None:
            put(f"rank_{name}", np.log1p(_ranks(s, rows)))
    unit = stats.graph_unit()
    if unit is not None:
        cand = unit[rows]
        if len(rr.context):
            put("graph_max", (cand @ unit[rr.context].T).max(axis=1))
        if len(rr.recent):
            put("graph_recent", cand @ unit[rr.recent].mean(axis=0))
        if len(rr.disliked):
            put("graph_disliked", (cand @ unit[rr.disliked].T).max(axis=1))
    if space.vectors is not None:
        anchor = rr.liked if len(rr.liked) else rr.context
        if len(anchor):
            sims = space.vectors[rows] @ space.vectors[anchor].T
            put("content", sims.max(axis=1))
            put("content_mean", sims.mean(axis=1))
        if len(rr.disliked):
            put("content_disliked", (space.vectors[rows] @ space.vectors[rr.disliked].T).max(axis=1))
    put("suggested_prior", np.log1p(stats.suggested[rows]))
    put("mentioned_prior", np.log1p(stats.mentioned[rows]))
    put("suggest_rate", stats.suggested[rows] / (stats.mentioned[rows] + 2.0))

    g = space.genres[rows]
    cols = space.genre_columns(req.genres_include)
    if len(cols):
        put("genre_request_match", g[:, cols].sum(axis=1) / len(cols))
        put("genre_request_miss", (g.sum(axis=1) > 0) & (g[:, cols].sum(axis=1) == 0))
    gn = _norm_rows(g)
    anchor = rr.liked if len(rr.liked) else rr.context
    if len(anchor):
        put("genre_liked_overlap", gn @ _norm_rows(space.genres[anchor].sum(axis=0, keepdims=True)).ravel())
        # the share of its genres that none of those films has (a comedy for a horror fan: 1/1)
        union = space.genres[anchor].max(axis=0) > 0
        n_genres = g.sum(axis=1)
        if union.any():
            novel = (g[:, ~union].sum(axis=1) / np.maximum(n_genres, 1)).astype(np.float32)
            put("genre_novel_share", np.where(n_genres > 0, novel, np.nan))
    if len(rr.disliked):
        put("genre_disliked_overlap", gn @ _norm_rows(space.genres[rr.disliked].sum(axis=0, keepdims=True)).ravel())
    if req.people_include:
        put("people_request_match", space.people_counts(req.people_include)[rows])
    if len(rr.liked):
        if (shared := shared_people(space, rr, rr.liked, "people:liked")) is not None:
            put("people_liked_overlap", shared[rows])
    years = space.years[rows]
    put("year", years)
    ctx_years = space.years[anchor] if len(anchor) else np.array([])
    ctx_years = ctx_years[~np.isnan(ctx_years)]
    if len(ctx_years):
        put("year_gap", np.abs(years - np.median(ctx_years)))
    if req.year_min is not None or req.year_max is not None:
        lo = req.year_min if req.year_min is not None else -np.inf
        hi = req.year_max if req.year_max is not None else np.inf
        put("in_year_range", (years >= lo) & (years <= hi))
    put("n_context", float(len(rr.context)))
    put("n_liked", float(len(rr.liked)))
    return f
