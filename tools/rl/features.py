"""Candidate and dialogue features: the policy's view of the state.

Why these features: the policy re-ranks a pool that retrieval and the GCN already
produced, so it needs (a) what the upstream scorers think (GCN, retrieval, popularity),
(b) how each candidate relates to the conversation (content similarity to liked and
disliked items, match with the tags the seeker asked for, novelty against what was
already shown). Upstream scores arrive in ``ScoringContext.features``
(``{"gcn": {id: s}, "retrieval": {...}}``) and are min-max scaled within the pool, so the
policy learns from *relative* standing and transfers across scorers with different
scales. Missing sources give 0.

No causal feature: the policy once had a ``causal`` column that nothing fed (always 0).
Fed with the item's per-segment effect of being suggested on being liked
(``tools.studies.segment_effects``) it did not help in the ablation (``evals/bench_rl.py``, section
"Ablation" of ``evals/results/rl.md``: learned weight near 0, paired success difference
within noise), so it was removed rather than kept as a column that only looks causal; the
benchmark still re-measures the segment effect as an extra column on every run.

Content similarity uses the item's genre+tag set (Jaccard). Without a catalog the
``ItemSpace`` falls back to the set of users who liked the item (collaborative
Jaccard), which still makes "similar to what you liked" meaningful.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tools.catalog.catalog import Catalog, Interaction
from tools.scoring import ScoringContext
from tools.text import fold

ITEM_FEATURES: tuple[str, ...] = (
    "bias", "gcn", "retrieval", "popularity", "novelty", "sim_liked", "sim_disliked", "constraint_match",
)
DIALOGUE_FEATURES: tuple[str, ...] = (
    "bias", "turn_frac", "n_liked", "n_disliked", "n_constraints", "n_asks",
    "pool_top_sim_liked", "pool_top_constraint", "pool_top_retrieval",
)
#: the upstream score channels read from ``ScoringContext.features``
EXTERNAL_CHANNELS: tuple[str, ...] = ("gcn", "retrieval", "popularity")
#: other names a caller may use for a channel (e.g. the scorer's own name, "lightgcn")
CHANNEL_ALIASES: dict[str, tuple[str, ...]] = {
    "gcn": ("gcn", "lightgcn"), "retrieval": ("retrieval",), "popularity": ("popularity",),
}


def channel(features: Mapping[str, Mapping[str, float]], name: str) -> Mapping[str, float]:
    """The first non-empty map among ``name``'s aliases (empty when the caller gave none)."""
    for alias in CHANNEL_ALIASES.get(name, (name,)):
        if features.get(alias):
            return features[alias]
    return {}

_WORD = re.compile(r"[a-z0-9']+")


def normalize_tag(tag: str) -> str:
    """'Sci-Fi ' -> 'sci fi' so tags match words in free text."""
    return " ".join(_WORD.findall(fold(tag)))  # apostrophes kept: "director's cut" is one tag word


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class ItemSpace:
    """Per-item token sets and popularity in [0, 1]; the static part of every feature."""

    tokens: Mapping[str, frozenset[str]]
    popularity: Mapping[str, float]
    #: normalized tag -> inverse document frequency (used to rank descriptive tags)
    idf: Mapping[str, float]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> ItemSpace:
        tokens = {
            it.item_id: frozenset(t for t in (normalize_tag(x) for x in (*it.genres, *it.tags)) if t)
            for it in catalog.items
        }
        pops = {it.item_id: max(float(it.popularity), 0.0) for it in catalog.items}
        if not any(pops.values()) and catalog.interactions:
            pops = _counts(catalog.interactions, tokens.keys())
        return cls(tokens=tokens, popularity=_log_scale(pops), idf=_idf(tokens.values()))

    @classmethod
    def from_interactions(cls, interactions: Sequence[Interaction], item_ids: Iterable[str] | None = None) -> ItemSpace:
        """Collaborative fallback: an item's tokens are the users who liked it."""
        ids = list(dict.fromkeys(item_ids)) if item_ids is not None else list(dict.fromkeys(i.item_id for i in interactions))
        users: dict[str, set[str]] = {i: set() for i in ids}
        for it in interactions:
            if it.is_positive and it.item_id in users:
                users[it.item_id].add(f"u:{it.user_id}")
        tokens = {i: frozenset(u) for i, u in users.items()}
        return cls(tokens=tokens, popularity=_log_scale(_counts(interactions, ids)), idf={})

    def descriptive_tags(self, item_ids: Sequence[str], n: int) -> list[str]:
        """The ``n`` most specific tags shared by the most of ``item_ids`` (deterministic)."""
        counts: dict[str, int] = {}
        for i in item_ids:
            for t in self.tokens.get(i, ()):
                if not t.startswith("u:"):
                    counts[t] = counts.get(t, 0) + 1
        ranked = sorted(counts, key=lambda t: (-counts[t], -self.idf.get(t, 0.0), t))
        return ranked[:n]

    def constraints_in(self, text: str) -> list[str]:
        """Known tags mentioned in free text (1-3 word n-grams), in order of appearance."""
        words = _WORD.findall(text.lower())
        found: dict[str, None] = {}
        for n in (3, 2, 1):
            for i in range(len(words) - n + 1):
                g = " ".join(words[i:i + n])
                if g in self.idf:
                    found[g] = None
        return list(found)


def _counts(interactions: Sequence[Interaction], ids: Iterable[str]) -> dict[str, float]:
    out = dict.fromkeys(ids, 0.0)
    for it in interactions:
        if it.item_id in out and it.is_positive:
            out[it.item_id] += 1.0
    return out


def _log_scale(pops: Mapping[str, float]) -> dict[str, float]:
    top = max(pops.values(), default=0.0)
    if top <= 0:
        return dict.fromkeys(pops, 0.0)
    den = math.log1p(top)
    return {k: math.log1p(max(v, 0.0)) / den for k, v in pops.items()}


def _idf(token_sets: Iterable[frozenset[str]]) -> dict[str, float]:
    df: dict[str, int] = {}
    n = 0
    for ts in token_sets:
        n += 1
        for t in ts:
            df[t] = df.get(t, 0) + 1
    return {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}


def _scaled_lookup(channel: Mapping[str, float], candidate_ids: Sequence[str]) -> np.ndarray:
    """Min-max scale over the *whole* channel map (the pool the caller scored), then look up.

    Scaling over the channel map rather than over ``candidate_ids`` keeps an item's
    features the same whether it is scored alone or with others. Missing items get 0.
    """
    vals = np.asarray([v for v in channel.values() if np.isfinite(v)], dtype=np.float64)
    if vals.size == 0:
        return np.zeros(len(candidate_ids))
    lo, hi = float(vals.min()), float(vals.max())
    span = hi - lo
    out = np.zeros(len(candidate_ids))
    for r, c in enumerate(candidate_ids):
        v = channel.get(c)
        if v is not None and np.isfinite(v):
            out[r] = (float(v) - lo) / span if span > 1e-12 else (1.0 if hi > 0 else 0.0)
    return out


class FeatureBuilder:
    """Turns (context, candidate ids) into the item feature matrix and the dialogue vector."""

    def __init__(self, space: ItemSpace) -> None:
        self.space = space

    def constraints(self, context: ScoringContext) -> list[str]:
        return self.space.constraints_in(context.query) if context.query else []

    def item_matrix(self, context: ScoringContext, candidate_ids: Sequence[str]) -> np.ndarray:
        """(n, len(ITEM_FEATURES)) float32; column order = ``ITEM_FEATURES``."""
        n = len(candidate_ids)
        x = np.zeros((n, len(ITEM_FEATURES)), dtype=np.float32)
        if n == 0:
            return x
        col = {name: j for j, name in enumerate(ITEM_FEATURES)}
        x[:, col["bias"]] = 1.0
        feats = context.features or {}
        for ch in ("gcn", "retrieval", "popularity"):
            if chan := channel(feats, ch):
                x[:, col[ch]] = _scaled_lookup(chan, candidate_ids)
            elif ch == "popularity":
                x[:, col[ch]] = [self.space.popularity.get(c, 0.0) for c in candidate_ids]
        tok = self.space.tokens
        liked = [tok.get(i, frozenset()) for i in context.liked_ids]
        disliked = [tok.get(i, frozenset()) for i in context.disliked_ids]
        seen = [tok.get(i, frozenset()) for i in context.seen_ids]
        cons = self.constraints(context)
        for r, c in enumerate(candidate_ids):
            t = tok.get(c, frozenset())
            x[r, col["sim_liked"]] = max((jaccard(t, o) for o in liked), default=0.0)
            x[r, col["sim_disliked"]] = max((jaccard(t, o) for o in disliked), default=0.0)
            x[r, col["novelty"]] = 1.0 - max((jaccard(t, o) for o in seen), default=0.0)
            if cons:
                x[r, col["constraint_match"]] = sum(1 for g in cons if g in t) / len(cons)
        return x

    def dialogue_vector(
        self, context: ScoringContext, item_x: np.ndarray, *, max_turns: int = 5, n_asks: int = 0,
    ) -> np.ndarray:
        """(len(DIALOGUE_FEATURES),) float32 summary used by the ``ask`` head."""
        col = {name: j for j, name in enumerate(ITEM_FEATURES)}
        has = item_x.shape[0] > 0
        v = [
            1.0,
            min(context.turn_index / max(max_turns, 1), 1.0),
            math.log1p(len(context.liked_ids)) / 2.0,
            math.log1p(len(context.disliked_ids)) / 2.0,
            min(len(self.constraints(context)), 3) / 3.0,
            min(n_asks, 3) / 3.0,
            float(item_x[:, col["sim_liked"]].max()) if has else 0.0,
            float(item_x[:, col["constraint_match"]].max()) if has else 0.0,
            _raw_top(context, "retrieval"),
        ]
        return np.asarray(v, dtype=np.float32)

    @staticmethod
    def as_dict(row: np.ndarray) -> dict[str, float]:
        return {name: float(row[j]) for j, name in enumerate(ITEM_FEATURES)}

    @staticmethod
    def from_dict(d: Mapping[str, float]) -> np.ndarray:
        return np.asarray([float(d.get(name, 1.0 if name == "bias" else 0.0)) for name in ITEM_FEATURES], dtype=np.float32)


def _raw_top(context: ScoringContext, name: str) -> float:
    vals = channel(context.features or {}, name)
    return float(np.clip(max(vals.values(), default=0.0), 0.0, 1.0))
