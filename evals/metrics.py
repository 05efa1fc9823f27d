"""Pure metric functions shared by every evaluation (ReDial, dialogues, simulator, reports).

Why pure functions over plain lists: each metric gets a hand-computed known-answer test,
and every report computes the same number the same way, so two runs are comparable.
Conventions: a ranking is a list of item ids, best first; ``target`` is the single relevant
item (the ReDial protocol has one ground-truth movie per recommender turn).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from statistics import mean, median
from typing import Any


def rank_of(ranking: Sequence[str], target: str) -> int | None:
    """1-based rank of ``target`` in ``ranking`` (None when absent)."""
    for i, item in enumerate(ranking, 1):
        if item == target:
            return i
    return None


def recall_at_k(ranking: Sequence[str], target: str, k: int) -> float:
    """1.0 if the target is among the first k, else 0.0 (single relevant item)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    r = rank_of(ranking[:k], target)
    return 1.0 if r is not None else 0.0


def reciprocal_rank(ranking: Sequence[str], target: str, k: int | None = None) -> float:
    """1/rank of the target within the first k (whole ranking when k is None), 0 when absent."""
    r = rank_of(ranking if k is None else ranking[:k], target)
    return 0.0 if r is None else 1.0 / r


def ndcg_at_k(ranking: Sequence[str], target: str, k: int) -> float:
    """NDCG@k with one relevant item: 1/log2(rank+1) (the ideal DCG is 1)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    r = rank_of(ranking[:k], target)
    return 0.0 if r is None else 1.0 / math.log2(r + 1)


def ranking_summary(rankings: Sequence[Sequence[str]], targets: Sequence[str],
                    ks: Sequence[int] = (1, 10, 50), ndcg_ks: Sequence[int] = (10, 50)) -> dict[str, float]:
    """Mean Recall@k, MRR (over the whole ranking given) and NDCG@k over paired rankings/targets."""
    if len(rankings) != len(targets):
        raise ValueError("rankings and targets must have the same length")
    n = len(targets)
    out: dict[str, float] = {"n": float(n)}
    if n == 0:
        return out
    for k in ks:
        out[f"recall@{k}"] = sum(recall_at_k(r, t, k) for r, t in zip(rankings, targets, strict=True)) / n
    out["mrr"] = sum(reciprocal_rank(r, t) for r, t in zip(rankings, targets, strict=True)) / n
    for k in ndcg_ks:
        out[f"ndcg@{k}"] = sum(ndcg_at_k(r, t, k) for r, t in zip(rankings, targets, strict=True)) / n
    return out


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of non-negative values (0 = perfectly equal, ->1 = all on one).

    Sorted formula: G = sum_i (2i - n - 1) x_i / (n * sum x), i = 1..n ascending.
    """
    xs = sorted(float(v) for v in values)
    if any(v < 0 for v in xs):
        raise ValueError("gini needs non-negative values")
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return 0.0
    return sum((2 * i - n - 1) * x for i, x in enumerate(xs, 1)) / (n * total)


def exposure_gini(recommended: Iterable[str], catalog_ids: Sequence[str]) -> float:
    """Gini of how often each catalog item was recommended (items never shown count as 0)."""
    counts = Counter(recommended)
    return gini(counts.get(i, 0) for i in catalog_ids)


def coverage(recommended: Iterable[str], catalog_ids: Sequence[str]) -> float:
    """Fraction of the catalog recommended at least once."""
    if not catalog_ids:
        return 0.0
    cat = set(catalog_ids)
    return len(set(recommended) & cat) / len(cat)


def niche_ids(popularity: Mapping[str, float]) -> set[str]:
    """The bottom half of the catalog by popularity (ties broken by id, so exactly floor(n/2))."""
    order = sorted(popularity, key=lambda i: (popularity[i], i))
    return set(order[: len(order) // 2])


def fairness_diversity(recommended: Sequence[str], popularity: Mapping[str, float]) -> dict[str, Any]:
    """Popularity bias, coverage, exposure Gini and niche rate of a multiset of recommendations.

    ``recommended`` holds every shown item (repeats count: exposure); ``popularity`` covers the
    whole catalog. Popularity is whatever the catalog calls popularity (ReDial mention counts
    for the demo catalog).
    """
    cat_ids = list(popularity)
    pops = [float(popularity[i]) for i in cat_ids]
    rec_pops = [float(popularity[i]) for i in recommended if i in popularity]
    niche = niche_ids(popularity)
    return {
        "n_recommendations": len(recommended),
        "distinct_items": len(set(recommended)),
        "mean_popularity_recommended": mean(rec_pops) if rec_pops else None,
        "median_popularity_recommended": median(rec_pops) if rec_pops else None,
        "mean_popularity_catalog": mean(pops) if pops else None,
        "median_popularity_catalog": median(pops) if pops else None,
        "catalog_coverage": coverage(recommended, cat_ids),
        "exposure_gini": exposure_gini(recommended, cat_ids),
        "niche_rate": (sum(1 for i in recommended if i in niche) / len(recommended)) if recommended else None,
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated q-th percentile (q in [0, 100]); None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def seed_metrics(ranks: Sequence[int | None], n_items: int, k: int = 50,
                 cutoffs: Sequence[int] = (10, 50)) -> dict[str, float]:
    """Precision@k, F1@k, MAP@k, NDCG@k and MRR by ranx, plus AUC, from each target's rank.

    Why from ranks: every ReDial target is one query with one relevant item, so the rank of
    that item within the first ``k`` is the whole ranking as far as these metrics can tell;
    ranx computes them from a run rebuilt with the target at its rank. AUC (ranx has none)
    is the share of the other catalog items ranked below the target; a target outside the
    first ``k`` is placed at the expected rank of a uniform draw among the rest.
    """
    from ranx import Qrels, Run, evaluate

    if not ranks:
        return {}
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    aucs = []
    for n, r in enumerate(ranks):
        q = f"q{n}"
        qrels[q] = {"target": 1}
        docs = {f"other{j}": float(k - j) for j in range(1, k + 1)}
        if r is not None and r <= k:
            docs.pop(f"other{r}")
            docs["target"] = float(k - r)
            pos = r
        else:
            pos = (k + 1 + n_items) / 2
        run[q] = docs
        aucs.append((n_items - pos) / max(1, n_items - 1))
    names = [f"{m}@{c}" for c in cutoffs for m in ("precision", "f1", "map", "ndcg")] + ["mrr"]
    scores = evaluate(Qrels(qrels), Run(run), names, make_comparable=True)
    out = {name: float(v) for name, v in scores.items()}
    out["auc"] = sum(aucs) / len(aucs)
    return out
