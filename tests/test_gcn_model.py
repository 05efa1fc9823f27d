"""LightGCN internals: propagation, gradients, training, early stopping, cold start, evidence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.scorer_contract import ALL_ITEMS, community_interactions
from tools.scorers.graph import InteractionGraph
from tools.scorers.lightgcn import LightGCNScorer, holdout_split
from tools.scorers.lightgcn_propagation import Adjacency, bpr_loss_and_grad, normalized_adjacency, propagate
from tools.scorers.lightgcn_train import LightGCNConfig, NegativeSampler, train_lightgcn
from tools.scoring import ScoringContext

USERS = np.array([0, 0, 1, 1, 2, 3])
ITEMS = np.array([0, 1, 1, 2, 2, 0])
NU, NI = 4, 3


def dense_reference(users: np.ndarray, items: np.ndarray, nu: int, ni: int) -> np.ndarray:
    a = np.zeros((nu + ni, nu + ni))
    for u, i in zip(users, items, strict=True):
        a[u, nu + i] = a[nu + i, u] = 1.0
    d = a.sum(1)
    inv = np.where(d > 0, 1 / np.sqrt(np.maximum(d, 1e-12)), 0)
    return inv[:, None] * a * inv[None, :]


def test_csr_propagation_equals_dense_reference() -> None:
    ego = torch.randn(NU + NI, 5, dtype=torch.float32)
    a = torch.from_numpy(dense_reference(USERS, ITEMS, NU, NI)).float()
    expected = (ego + a @ ego + a @ a @ ego + a @ a @ a @ ego) / 4
    for adj in (Adjacency(USERS, ITEMS, NU, NI), normalized_adjacency(USERS, ITEMS, NU, NI)):
        np.testing.assert_allclose(propagate(adj, ego, 3).numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_closed_form_gradient_equals_autograd() -> None:
    torch.manual_seed(0)
    adj = Adjacency(USERS, ITEMS, NU, NI)
    ego = torch.randn(NU + NI, 4, requires_grad=True)
    u, p, n = torch.tensor([0, 1, 1, 2]), torch.tensor([4, 5, 6, 6]), torch.tensor([6, 4, 4, 5])
    final = propagate(adj, ego, 3)
    diff = (final[u] * (final[n] - final[p])).sum(1)
    reg = 0.5 * (ego[u].pow(2).sum() + ego[p].pow(2).sum() + ego[n].pow(2).sum()) / 4
    (torch.nn.functional.softplus(diff).mean() + 0.1 * reg).backward()
    bpr, reg_value, grad = bpr_loss_and_grad(adj, ego.detach(), 3, u, p, n, 0.1)
    np.testing.assert_allclose(grad.numpy(), ego.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert reg_value == pytest.approx(float(reg.detach()), rel=1e-5)


def test_negative_sampler_never_returns_positives() -> None:
    rng = np.random.default_rng(0)
    s = NegativeSampler(USERS, ITEMS, NI, rng)
    users = np.repeat([0, 1, 2, 3], 200)
    neg = s.sample(users)
    positives = set(zip(USERS.tolist(), ITEMS.tolist(), strict=True))
    assert not any((u, i) in positives for u, i in zip(users.tolist(), neg.tolist(), strict=True))


def _community_graph() -> InteractionGraph:
    return InteractionGraph.from_interactions(community_interactions(), ALL_ITEMS)


def test_disliked_interactions_are_not_edges() -> None:
    g = _community_graph()
    alice = g.user_index["alice"]
    assert {g.item_ids[i] for i in g.user_items(alice)} == {"A0", "A1", "A2", "A3"}


def test_training_reduces_bpr_loss() -> None:
    g = _community_graph()
    cfg = LightGCNConfig(dim=8, lr=0.05, batch_size=128, epochs=30, seed=1)
    r = train_lightgcn(g.users, g.items, g.n_users, g.n_items, cfg, progress=False)
    losses = [h["bpr_loss"] for h in r.history]
    assert losses[-1] < 0.5 * losses[0]


def test_early_stopping_stops_when_validation_does_not_improve() -> None:
    g = _community_graph()
    train_mask, valid_mask = holdout_split(g, seed=0)
    assert valid_mask.sum() == len({int(u) for u in g.users})  # every user has >= 3 positives here
    cfg = LightGCNConfig(dim=8, lr=0.0, batch_size=128, epochs=50, eval_every=1, patience=2, seed=1)
    r = train_lightgcn(g.users[train_mask], g.items[train_mask], g.n_users, g.n_items, cfg,
                       valid=(g.users[valid_mask], g.items[valid_mask]), progress=False)
    assert r.stopped == "early_stopping"
    assert len(r.history) == 3  # epoch 0 + two evaluations without improvement
    assert r.best_epoch == 0


def test_time_budget_stops_training() -> None:
    g = _community_graph()
    cfg = LightGCNConfig(dim=8, batch_size=128, epochs=10_000, time_budget_s=0.2, seed=1)
    r = train_lightgcn(g.users, g.items, g.n_users, g.n_items, cfg, progress=False)
    assert r.stopped == "time_budget" and len(r.history) < 10_000


@pytest.fixture(scope="module")
def scorer() -> LightGCNScorer:
    cfg = LightGCNConfig(dim=16, lr=0.05, batch_size=256, epochs=60, seed=0)
    return LightGCNScorer(cfg, validate=False).fit(community_interactions(), ALL_ITEMS)


def test_cold_start_fold_in_and_fallback(scorer: LightGCNScorer) -> None:
    vec, mode = scorer.user_vector(ScoringContext(liked_ids=("B1", "B2")))
    assert mode == "session_fold_in" and vec is not None
    scores = scorer.score(ScoringContext(liked_ids=("B1", "B2")), ALL_ITEMS)
    assert ALL_ITEMS[int(np.argmax(scores))].startswith("B")
    # nothing known -> popularity fallback: B0 (liked by all ten B users) scores highest
    _, mode = scorer.user_vector(ScoringContext(liked_ids=("unknown",)))
    assert mode == "popularity_fallback"
    assert ALL_ITEMS[int(np.argmax(scorer.score(ScoringContext(), ALL_ITEMS)))] == "B0"
    # a trained user uses the learned embedding
    assert scorer.user_vector(ScoringContext(user_id="alice"))[1] == "trained_user"


def test_dislike_lowers_the_disliked_community(scorer: LightGCNScorer) -> None:
    base = scorer.score(ScoringContext(liked_ids=("A0",)), ["B2"])[0]
    with_dislike = scorer.score(ScoringContext(liked_ids=("A0",), disliked_ids=("B1",)), ["B2"])[0]
    assert with_dislike < base


def test_evidence_shares_decompose_the_score(scorer: LightGCNScorer) -> None:
    ctx = ScoringContext(liked_ids=("A0", "A1"))
    ev = scorer.evidence(ctx, "A4")
    assert ev.details["mode"] == "session_fold_in"
    assert sum(ev.details["raw_terms"].values()) == pytest.approx(ev.score, rel=1e-4)
    assert ev.details["neighbours_by"].startswith("co-interaction")
    ev_user = scorer.evidence(ScoringContext(user_id="alice"), "A5")
    assert ev_user.details["mode"] == "trained_user"
    assert set(ev_user.contributions) <= {"A0", "A1", "A2", "A3"}
