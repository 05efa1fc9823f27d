"""Known-answer tests of the evaluation metrics (hand-computed values)."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    coverage,
    exposure_gini,
    fairness_diversity,
    gini,
    ndcg_at_k,
    niche_ids,
    percentile,
    rank_of,
    ranking_summary,
    recall_at_k,
    reciprocal_rank,
)

RANK = ["a", "b", "c", "d", "e"]


def test_rank_recall_mrr_ndcg_single_target():
    assert rank_of(RANK, "c") == 3 and rank_of(RANK, "z") is None
    assert recall_at_k(RANK, "c", 2) == 0.0 and recall_at_k(RANK, "c", 3) == 1.0
    assert reciprocal_rank(RANK, "c") == pytest.approx(1 / 3)
    assert reciprocal_rank(RANK, "c", k=2) == 0.0
    assert ndcg_at_k(RANK, "a", 10) == 1.0
    assert ndcg_at_k(RANK, "c", 10) == pytest.approx(1 / math.log2(4))  # 0.5
    assert ndcg_at_k(RANK, "e", 4) == 0.0
    with pytest.raises(ValueError):
        recall_at_k(RANK, "a", 0)


def test_ranking_summary_means_over_targets():
    # targets at ranks 1, 4, missing -> R@1 = 1/3, R@10 = 2/3, MRR = (1 + 1/4 + 0)/3
    s = ranking_summary([RANK, ["x", "y", "z", "t"], RANK], ["a", "t", "q"], ks=(1, 10), ndcg_ks=(10,))
    assert s["recall@1"] == pytest.approx(1 / 3)
    assert s["recall@10"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 + 0.25) / 3)
    assert s["ndcg@10"] == pytest.approx((1 + 1 / math.log2(5)) / 3)
    assert ranking_summary([], [])["n"] == 0


def test_gini_known_values():
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # (n-1)/n for all mass on one of 4
    assert gini([1, 2, 3]) == pytest.approx(2 / 9)  # sum (2i-n-1)x = -2+0+6 = 4; 4/(3*6)
    assert gini([]) == 0.0
    with pytest.raises(ValueError):
        gini([-1, 2])


def test_coverage_exposure_and_niche():
    cat = ["a", "b", "c", "d"]
    assert coverage(["a", "a", "b"], cat) == 0.5
    assert exposure_gini(["a", "a", "b"], cat) == pytest.approx(gini([2, 1, 0, 0]))
    pop = {"a": 10.0, "b": 5.0, "c": 1.0, "d": 1.0}
    assert niche_ids(pop) == {"c", "d"}
    f = fairness_diversity(["a", "c", "c", "b"], pop)
    assert f["niche_rate"] == 0.5
    assert f["mean_popularity_recommended"] == pytest.approx((10 + 1 + 1 + 5) / 4)
    assert f["median_popularity_catalog"] == 3.0
    assert f["catalog_coverage"] == 0.75 and f["distinct_items"] == 3
    assert fairness_diversity([], pop)["niche_rate"] is None


def test_percentile():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([], 50) is None
