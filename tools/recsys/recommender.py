"""The recommender: sources nominate, constraints filter, the learned ranker orders.

Why one function for every caller: a live turn, the ReDial benchmark and the load test
all call ``Recommender.recommend(request, k)``; the same sources, depths, constraints and
model produce every ranking, so a benchmark number describes what a user gets.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from tools.recsys.constraints import RELAXABLE, allowed_mask, genre_mask, relaxations
from tools.recsys.cooccurrence import CoSuggestionStats
from tools.recsys.features import FEATURES, build_features
from tools.recsys.item_space import ItemSpace
from tools.recsys.ranker import LearnedRanker
from tools.recsys.request import RankedItem, RecRequest
from tools.recsys.sources import CandidateSource, RequestRows

RELAXED_FIELDS = tuple(f for fields in RELAXABLE for f in fields)


@dataclass(frozen=True)
class Pool:
    """The union of the sources' nominations after the hard constraints."""

    rows: np.ndarray
    nominated: dict[str, np.ndarray]  # source -> its nominated rows (before constraints)
    source_scores: dict[str, np.ndarray | None]
    request_rows: RequestRows


class Recommender:
    def __init__(self, space: ItemSpace, stats: CoSuggestionStats, sources: Sequence[CandidateSource],
                 ranker: LearnedRanker | None, *, depth: int = 200, genre_policy: str = "soft") -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        if genre_policy not in ("hard", "prefer", "soft"):
            raise ValueError("genre_policy must be hard, prefer or soft")
        self.space = space
        self.stats = stats
        self.sources = list(sources)
        self.ranker = ranker
        self.depth = depth
        self.genre_policy = genre_policy

    # -- stages ---------------------------------------------------------------------------------
    def pool(self, req: RecRequest, depth: int | None = None, extra: Sequence[str] = (), *, least: int = 0,
             only: Collection[str] | None = None) -> Pool:
        """``extra``: ids nominated outside the sources (the LLM planner's tool results), source "planner";
        ``least``: the pool holds at least this many items when that many are allowed (a list of ``k``);
        ``only``: no item outside these ids is allowed (besides the request's own constraints)."""
        depth = depth or self.depth
        rr = RequestRows.of(req, self.space)
        allowed = allowed_mask(req, self.space)
        if only is not None:
            inside = np.zeros(len(self.space), dtype=bool)
            inside[self.space.rows(list(only))] = True
            allowed = allowed & inside
        scores: dict[str, np.ndarray | None] = {}
        nominated: dict[str, np.ndarray] = {}
        for src in self.sources:
            s = src.scores(req, rr)
            scores[src.name] = s
            if s is None:
                continue
            masked = np.where(allowed, s, -np.inf)
            top = np.argpartition(-masked, min(depth, len(masked) - 1))[:depth]
            top = top[np.isfinite(masked[top]) & (masked[top] > 0 if src.name != "popularity" else True)]
            nominated[src.name] = top
        if extra:
            nominated["planner"] = self.space.rows(extra)
            scores["planner"] = np.zeros(len(self.space))
            scores["planner"][nominated["planner"]] = 1.0
        union = np.unique(np.concatenate(list(nominated.values()))) if nominated else np.array([], dtype=np.int64)
        union = union[allowed[union]]
        want = max(depth, least)
        if len(union) < want:  # strict constraints: every allowed item may compete, most suggested first
            extra = np.flatnonzero(allowed)
            extra = extra[~np.isin(extra, union)]
            fill = extra[np.argsort(-self.stats.suggested[extra], kind="stable")[:want - len(union)]]
            union = np.unique(np.concatenate([union, fill]))
        return Pool(union.astype(np.int64), nominated, scores, rr)

    def score(self, req: RecRequest, pool: Pool) -> tuple[np.ndarray, np.ndarray]:
        x = build_features(req, pool.request_rows, pool.rows, self.space, self.stats, pool.source_scores)
        if self.ranker is None:
            raise ValueError("no trained ranker; run `whyrec train ranker`")
        return x, self.ranker.predict(x)

    # -- the one entry point ---------------------------------------------------------------------
    def recommend(self, req: RecRequest, k: int = 10, *, explain: bool = False,
                  extra: Sequence[str] = (), only: Collection[str] | None = None,
                  genre_depth: int = 0) -> list[RankedItem]:
        """The best ``k`` allowed items, each with its features (and contributions if ``explain``);
        with ``only``, the best among those ids (a subject's films, ``agent.turn.topic``).

        ``genre_depth``: after those ``k``, the next best ``genre_depth`` films of the same ranking that
        have an asked genre. Why: the ranker keeps an asked genre a soft feature (``build_slate``), so
        for "The Godfather but funnier" the crime comedies sat below the top forty, behind crime
        dramas; the turn's slate orders by fit, and needs them in its list. Same pool, same scores:
        no second ranking.

        When fewer than ``k`` films pass the hard constraints, the list is filled from the same
        pipeline run on ever more relaxed requests (``constraints.relaxations``: the positive
        wishes dropped, never the exclusions), after every strict match.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        out: list[RankedItem] = []
        used: set[int] = set()
        for n, r in enumerate([req, *relaxations(req)]):
            if n and len(out) >= k:
                break
            dropped = tuple(f for f in RELAXED_FIELDS if getattr(r, f) != getattr(req, f))
            out += [replace(it, relaxed=dropped) if dropped else it
                    for it in self._ranked(r, k - len(out), used, explain, extra, only, 0 if n else genre_depth)]
        return out

    def _ranked(self, req: RecRequest, k: int, used: set[int], explain: bool,
                extra: Sequence[str], only: Collection[str] | None, genre_depth: int = 0) -> list[RankedItem]:
        """The best ``k`` items of ``req``'s pool not in ``used`` (which gains them), then the best
        ``genre_depth`` further ones having an asked genre."""
        pool = self.pool(req, extra=extra, least=k + len(used), only=only)
        if not len(pool.rows):
            return []
        x, s = self.score(req, pool)
        order = np.argsort(-s, kind="stable")
        gm = genre_mask(req, self.space)
        if gm is not None and self.genre_policy != "soft":
            match = gm[pool.rows[order]]
            if self.genre_policy == "hard":
                order = order[match]
            else:  # prefer: films with an asked-for genre first, the rest after
                order = np.concatenate([order[match], order[~match]])
        if used:
            order = order[~np.isin(pool.rows[order], list(used))]
        if genre_depth > 0 and gm is not None:
            rest = order[k:]
            order = np.concatenate([order[:k], rest[gm[pool.rows[rest]]][:genre_depth]])
        else:
            order = order[:k]
        if not len(order):  # every candidate already placed or filtered out (LightGBM cannot explain 0 rows)
            return []
        used.update(pool.rows[order].tolist())
        nominated_sets = {name: set(rows.tolist()) for name, rows in pool.nominated.items()}
        values = x[order].tolist()  # python floats once, not one numpy scalar per feature and item
        out = []
        for n, j in enumerate(order):
            row = int(pool.rows[j])
            feats = {name: v for name, v in zip(FEATURES, values[n], strict=True) if v == v}  # v != v: NaN
            src = {name: float(sc[row]) for name, sc in pool.source_scores.items()
                   if sc is not None and row in nominated_sets.get(name, ())}
            out.append(RankedItem(self.space.ids[row], float(s[j]), src, feats))
        return self.explain(req, out, rows=pool.request_rows) if explain else out

    def explain(self, req: RecRequest, items: Sequence[RankedItem], *,
                rows: RequestRows | None = None) -> list[RankedItem]:
        """``items`` with the ranker's account added: each feature's signed contribution (SHAP) and
        the conversation's items that support it.

        Why separate from ``recommend``: contributions cost about as much as ranking itself and a
        turn shows 5 of the 40 films it ranks, so a turn explains only the cards it shows. The
        features are the ones the ranker scored (``RankedItem.features``, NaN where absent), so the
        contributions still add up to the score.
        """
        if not items or self.ranker is None:
            return list(items)
        x = np.array([[it.features.get(name, np.nan) for name in FEATURES] for it in items], dtype=np.float64)
        contrib, bias = self.ranker.contributions(x)
        rr = rows if rows is not None else RequestRows.of(req, self.space)
        out = []
        for n, it in enumerate(items):
            contributions = {name: float(c) for name, c in zip(FEATURES, contrib[n], strict=True) if c != 0.0}
            contributions["_bias"] = float(bias[n])
            supported = self._supporters(rr, self.space.index[it.item_id])
            out.append(replace(it, contributions=contributions, supported_by=supported))
        return out

    def _supporters(self, rr: RequestRows, row: int) -> dict[str, float]:
        """The conversation's items that support ``row``: co-suggestion share and plot similarity."""
        out: dict[str, float] = {}
        for r, v in self.stats.supporters(rr.context, row).items():
            out[self.space.ids[r]] = round(v, 4)
        if self.space.vectors is not None and len(rr.context):
            sims = self.space.vectors[rr.context] @ self.space.vectors[row]
            for r, v in zip(rr.context, sims, strict=True):
                if v >= 0.5:
                    key = self.space.ids[int(r)]
                    out[key] = round(max(out.get(key, 0.0), float(v)), 4)
        return out

    # -- single-source baselines (benchmarks) ---------------------------------------------------------
    def source_scores(self, req: RecRequest, name: str) -> np.ndarray | None:
        """One source's score of every item of the space for ``req`` (None: it has nothing to say,
        e.g. the query source for a request without words), the constraints not applied."""
        src = next((s for s in self.sources if s.name == name), None)
        if src is None:
            raise ValueError(f"no source {name!r}; sources: {', '.join(s.name for s in self.sources)}")
        return src.scores(req, RequestRows.of(req, self.space))

    def source_ranking(self, req: RecRequest, name: str, k: int = 50) -> list[str]:
        """One source's own order under the same hard constraints (popularity breaks ties and fills,
        and the same relaxations as ``recommend`` fill a list the strict constraints leave short)."""
        s = self.source_scores(req, name)
        base = np.zeros(len(self.space)) if s is None else np.nan_to_num(np.asarray(s, dtype=np.float64))
        key = base + 1e-9 * np.log1p(self.stats.suggested + self.stats.mentioned)
        out: list[int] = []
        taken = np.zeros(len(self.space), dtype=bool)
        for n, r in enumerate([req, *relaxations(req)]):
            if n and len(out) >= k:
                break
            tier = np.where(allowed_mask(r, self.space) & ~taken, key, -np.inf)
            want = k - len(out)
            top = np.argpartition(-tier, min(want, len(tier) - 1))[:want]
            top = top[np.argsort(-tier[top], kind="stable")]
            top = top[np.isfinite(tier[top])]
            out += top.tolist()
            taken[top] = True
        return [self.space.ids[i] for i in out]

    def source_recall(self, req: RecRequest, targets: Sequence[str], depth: int = 200) -> dict[str, bool]:
        """For each source and the union: is any target among its first ``depth`` allowed nominations?"""
        pool = self.pool(req, depth=depth)
        want = set(self.space.rows(list(targets)).tolist())
        allowed = set(pool.rows.tolist())
        out = {name: bool(want & (set(rows.tolist()) & allowed)) for name, rows in pool.nominated.items()}
        for src in self.sources:
            out.setdefault(src.name, False)
        out["union"] = bool(want & allowed)
        return out
