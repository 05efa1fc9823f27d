"""Full-ranking Recall@K / NDCG@K, the LightGCN evaluation protocol.

Why full ranking: sampled metrics (rank against 100 negatives) are known to mislead; LightGCN
and NGCF rank ALL items for every test user, with the user's training items masked out, and
average per-user Recall@K = hits / |test items| and NDCG@K = DCG / IDCG (IDCG over
min(|test|, K) hits). Users without test items are skipped. Scoring is batched: a score
matrix for a batch of users, ``torch.topk``, then hit lookup in a dense 0/1 test matrix slice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch

ScoreFn = Callable[[np.ndarray], torch.Tensor]


def pairs_to_csr(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> sp.csr_matrix:
    """0/1 user x item matrix (duplicates collapse to 1)."""
    m = sp.csr_matrix(
        (np.ones(len(users), dtype=np.float32), (np.asarray(users), np.asarray(items))),
        shape=(n_users, n_items),
    )
    m.data[:] = 1.0
    return m


def metrics_from_topk(
    topk: np.ndarray, test_sets: Sequence[set[int] | np.ndarray], ks: Sequence[int] = (20,)
) -> dict[str, float]:
    """Recall/NDCG from ranked item lists (rows of ``topk``, best first) — the reference formula."""
    out: dict[str, list[float]] = {f"{m}@{k}": [] for k in ks for m in ("recall", "ndcg")}
    for row, truth in zip(topk, test_sets, strict=True):
        truth = set(int(t) for t in truth)
        if not truth:
            continue
        for k in ks:
            hits = np.array([int(i) in truth for i in row[:k]], dtype=np.float64)
            disc = 1.0 / np.log2(np.arange(2, k + 2))
            idcg = disc[: min(len(truth), k)].sum()
            out[f"recall@{k}"].append(hits.sum() / len(truth))
            out[f"ndcg@{k}"].append(float((hits * disc[: len(hits)]).sum() / idcg))
    return {key: float(np.mean(v)) if v else 0.0 for key, v in out.items()}


def evaluate_full_ranking(
    score_fn: ScoreFn,
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    ks: Sequence[int] = (20,),
    users: np.ndarray | None = None,
    batch_size: int = 2048,
) -> dict[str, float]:
    """Mean Recall@K and NDCG@K over ``users`` (default: all users with test items).

    ``score_fn(user_idx)`` returns a (len(user_idx), n_items) float tensor; training items are
    masked to -inf before top-K, exactly as in the LightGCN reference evaluation.
    """
    if train.shape != test.shape:
        raise ValueError(f"train {train.shape} and test {test.shape} matrices must have the same shape")
    n_test = np.diff(test.indptr)
    if users is None:
        users = np.flatnonzero(n_test > 0)
    else:
        users = np.asarray(users)
        users = users[n_test[users] > 0]
    kmax = max(ks)
    n_items = test.shape[1]
    tc = test.tocoo()
    test_keys = np.unique(tc.row.astype(np.int64) * n_items + tc.col)
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    idcg_table = np.concatenate([[1.0], np.cumsum(disc)])  # idcg[n] for n>=1
    sums = {f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg")}
    with torch.no_grad():
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            scores = score_fn(batch).float().cpu()
            tr = train[batch].tocoo()
            scores[torch.from_numpy(tr.row.astype(np.int64)), torch.from_numpy(tr.col.astype(np.int64))] = (
                -float("inf")
            )
            top = torch.topk(scores, min(kmax, n_items), dim=1).indices.numpy()
            keys = batch[:, None].astype(np.int64) * n_items + top
            pos = np.minimum(np.searchsorted(test_keys, keys), len(test_keys) - 1)
            hits = test_keys[pos] == keys  # (b, min(kmax, n_items))
            if hits.shape[1] < kmax:  # fewer items than K: the missing ranks are misses
                hits = np.pad(hits, ((0, 0), (0, kmax - hits.shape[1])))
            nt = n_test[batch]
            for k in ks:
                h = hits[:, :k]
                sums[f"recall@{k}"] += float((h.sum(1) / nt).sum())
                dcg = (h * disc[:k]).sum(1)
                sums[f"ndcg@{k}"] += float((dcg / idcg_table[np.minimum(nt, k)]).sum())
    n = max(len(users), 1)
    result = {key: v / n for key, v in sums.items()}
    result["users"] = float(len(users))
    return result
