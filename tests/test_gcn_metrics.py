"""Ranking metrics and the Gowalla loader on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tools.datasets.gowalla import DEFAULT_GOWALLA_DIR, load_gowalla, read_user_lines
from tools.ranking_metrics import evaluate_full_ranking, metrics_from_topk, pairs_to_csr


def test_metrics_from_topk_hand_computed() -> None:
    # truth {1, 3}; ranking [1, 2, 3]: hits at ranks 1 and 3
    m = metrics_from_topk(np.array([[1, 2, 3]]), [{1, 3}], ks=(1, 3))
    assert m["recall@1"] == pytest.approx(0.5)
    assert m["recall@3"] == pytest.approx(1.0)
    assert m["ndcg@1"] == pytest.approx(1.0)
    assert m["ndcg@3"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_full_ranking_masks_training_items() -> None:
    # 2 users x 5 items. User 0 trained on item 0 (highest score, must be masked), test {2}.
    scores = torch.tensor([[9.0, 1.0, 5.0, 3.0, 0.0], [0.0, 1.0, 2.0, 3.0, 4.0]])
    train = pairs_to_csr(np.array([0, 1]), np.array([0, 4]), 2, 5)
    test = pairs_to_csr(np.array([0, 1, 1]), np.array([2, 1, 0]), 2, 5)
    m = evaluate_full_ranking(lambda b: scores[torch.from_numpy(b)], train, test, ks=(1, 2), batch_size=1)
    # user 0 ranking after masking: [2, 3, 1, 4] -> hit at 1.  user 1: [3, 2, 1, 0] -> no hit in top 2
    assert m["recall@1"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["recall@2"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["ndcg@1"] == pytest.approx(0.5)
    assert m["users"] == 2
    # users without test items are skipped
    m2 = evaluate_full_ranking(lambda b: scores[torch.from_numpy(b)], train, test, ks=(4,), users=np.array([0]))
    assert m2["users"] == 1 and m2["recall@4"] == 1.0


def test_full_ranking_agrees_with_reference_formula() -> None:
    rng = np.random.default_rng(0)
    scores = torch.from_numpy(rng.standard_normal((30, 40)).astype(np.float32))
    tr = pairs_to_csr(rng.integers(0, 30, 200), rng.integers(0, 40, 200), 30, 40)
    te_u, te_i = rng.integers(0, 30, 100), rng.integers(0, 40, 100)
    keep = np.asarray(tr[te_u, te_i]).ravel() == 0
    te = pairs_to_csr(te_u[keep], te_i[keep], 30, 40)
    m = evaluate_full_ranking(lambda b: scores[torch.from_numpy(b)], tr, te, ks=(5, 10), batch_size=7)
    masked = scores.clone()
    masked[torch.from_numpy(tr.nonzero()[0].astype(np.int64)), torch.from_numpy(tr.nonzero()[1].astype(np.int64))] = -1e9
    users = np.flatnonzero(np.diff(te.indptr))
    top = torch.topk(masked[torch.from_numpy(users)], 10).indices.numpy()
    ref = metrics_from_topk(top, [te[u].indices for u in users], ks=(5, 10))
    for key, value in ref.items():
        assert m[key] == pytest.approx(value, rel=1e-9)


def test_read_user_lines(tmp_path) -> None:
    f = tmp_path / "train.txt"
    f.write_text("0 5 7\n1 2\n2\n3 1 2 3\n")
    users, items = read_user_lines(f)
    assert users.tolist() == [0, 0, 1, 3, 3, 3]
    assert items.tolist() == [5, 7, 2, 1, 2, 3]


@pytest.mark.skipif(not (DEFAULT_GOWALLA_DIR / "train.txt").is_file(), reason="Gowalla split not present")
def test_gowalla_counts_match_readme() -> None:
    s = load_gowalla()
    assert s.stats() == {"users": 29858, "items": 40981, "train": 810128, "test": 217242}
