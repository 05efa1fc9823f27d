"""Known-answer tests of the RL policy: it learns the optimum of a tiny world, softmax
behaves, online feedback moves rankings the right way, and the policy persists."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rl_world import seeker_factory, tiny_catalog, tiny_env, tiny_episodes
from tools.errors import InputError
from tools.rl.env import ChannelGreedyPolicy, RandomPolicy, evaluate
from tools.rl.features import ITEM_FEATURES, FeatureBuilder, ItemSpace
from tools.rl.qnet import QNet, decide, policy_probs
from tools.rl.train import TrainConfig, temperature_at
from tools.rl.types import FeedbackEvent
from tools.scorers.rl_policy import RLPolicyConfig, RLPolicyScorer, ScorerPolicy
from tools.scoring import ScoringContext


@pytest.fixture(scope="module")
def world():
    cat = tiny_catalog()
    space = ItemSpace.from_catalog(cat)
    return cat, space, tiny_env(space), seeker_factory(space)


@pytest.fixture(scope="module")
def trained(world):
    cat, space, env, make = world
    scorer = RLPolicyScorer(RLPolicyConfig(seed=3, train=TrainConfig(episodes=150, seed=3)), space)
    scorer.fit_simulated(env, tiny_episodes(), make)
    return scorer


def test_learner_reaches_the_known_optimum_and_beats_baselines(world, trained):
    _, _, env, make = world
    held = tiny_episodes(n_seeds_per_genre=8)[4::2]  # seeds 4..7 never used in training
    rl = evaluate(env, ScorerPolicy(trained), held, make)
    pop = evaluate(env, ChannelGreedyPolicy("popularity"), held, make)
    rnd = evaluate(env, RandomPolicy(), held, make, seed=1)
    assert rl["success"] == 1.0, rl  # the optimum: same-genre items find the target within 2 turns
    assert rl["turns_to_success"] <= 2.0, rl
    assert pop["success"] < 0.5 and rnd["success"] < 0.8, (pop, rnd)
    assert rl["reward"] > max(pop["reward"], rnd["reward"])


def test_learned_weights_point_the_right_way(trained):
    w = dict(zip(ITEM_FEATURES, trained.net.item_weights(), strict=True))
    assert w["sim_liked"] > 0 > w["sim_disliked"]
    assert w["popularity"] < 0  # in this world the target is the least popular movie of its genre


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=30), st.floats(0.01, 100))
def test_softmax_is_a_distribution(q, tau):
    p = policy_probs(q, tau)
    assert p.shape == (len(q),) and np.all(p >= 0)
    assert p.sum() == pytest.approx(1.0, abs=1e-9)


def test_softmax_temperature_limits_and_stability():
    q = np.array([0.1, 0.5, 0.3, 0.5 - 1e-3])
    assert policy_probs(q, 1e-5)[1] > 0.999  # tau -> 0: argmax
    np.testing.assert_allclose(policy_probs(q, 1e6), 0.25, atol=1e-6)  # tau -> inf: uniform
    np.testing.assert_array_equal(policy_probs([1.0, 3.0, 3.0], 0.0), [0.0, 0.5, 0.5])  # greedy, ties split
    ent = [-(p * np.log(p)).sum() for p in (policy_probs(q, t) for t in (0.05, 0.5, 5.0))]
    assert ent[0] < ent[1] < ent[2]
    big = policy_probs([1000.0, 999.0], 1.0)  # no overflow
    assert np.isfinite(big).all() and big[0] == pytest.approx(1 / (1 + np.exp(-1)))
    with pytest.raises(ValueError):
        policy_probs([np.nan, 1.0], 1.0)


def test_temperature_schedule_goes_from_high_to_low():
    cfg = TrainConfig(episodes=11, tau_start=1.0, tau_end=0.01)
    taus = [temperature_at(cfg, e) for e in range(11)]
    assert taus[0] == pytest.approx(1.0) and taus[-1] == pytest.approx(0.01)
    assert all(a > b for a, b in zip(taus, taus[1:], strict=False))


def test_sampled_slates_follow_the_softmax():
    q = np.array([2.0, 1.0, 0.0])
    rng = np.random.default_rng(0)
    firsts = np.bincount([decide(q, -9.0, 1, 1.0, rng).indices[0] for _ in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(firsts, policy_probs(q, 1.0), atol=0.03)
    greedy = decide(q, -9.0, 2, 1.0, None)
    assert greedy.indices == (0, 1) and not greedy.explored and greedy.kind == "recommend"
    assert decide(q, 5.0, 2, 0.1, None).kind == "ask"  # ask is worth more than the best slate


def _zero_scorer(space: ItemSpace, **kw) -> RLPolicyScorer:
    return RLPolicyScorer(RLPolicyConfig(**kw), space, QNet(hidden=0))


def test_online_like_raises_similar_items_and_dislike_lowers_them(world):
    _, space, _, _ = world
    ctx = ScoringContext(liked_ids=("ac0",))
    cands = ["ac5", "co5"]  # same genre as the liked item / other genre
    fb = FeatureBuilder(space)
    x_like = FeatureBuilder.as_dict(fb.item_matrix(ctx, ["ac3"])[0])  # a liked item similar to ac0
    up = _zero_scorer(space)
    before = up.score(ctx, cands)
    rep = up.update_from_feedback([FeedbackEvent("ac3", "like", x_like)])
    after = up.score(ctx, cands)
    assert rep.applied and rep.n_used == 1 and rep.loss_after < rep.loss_before
    assert (after[0] - after[1]) > (before[0] - before[1])  # the similar item gained on the other
    down = _zero_scorer(space)
    down.update_from_feedback([FeedbackEvent("ac3", "dislike", x_like)])
    d = down.score(ctx, cands)
    assert d[0] - d[1] < before[0] - before[1]


def test_online_update_is_bounded_reproducible_and_switchable(world):
    _, space, _, _ = world
    x = {"bias": 1.0, "sim_liked": 1.0, "popularity": 1.0}
    events = [FeedbackEvent("ac1", "accept", x)] * 50 + [FeedbackEvent("zz", "like", {})]
    a, b = _zero_scorer(space, online_max_change=0.1), _zero_scorer(space, online_max_change=0.1)
    ra, rb = a.update_from_feedback(events), b.update_from_feedback(events)
    assert ra.weight_change <= 0.1 + 1e-6 and ra.skipped == ("zz",)
    np.testing.assert_array_equal(a.net.item_weights(), b.net.item_weights())
    assert ra == rb
    off = _zero_scorer(space, online_enabled=False)
    r = off.update_from_feedback(events)
    assert not r.applied and "off" in r.reason and not off.net.item_weights().any()
    with pytest.raises(ValueError):
        FeedbackEvent("ac1", "love", x)  # type: ignore[arg-type]


def test_save_load_round_trip(trained, tmp_path):
    ctx = ScoringContext(liked_ids=("dr1",), disliked_ids=("ho2",), seen_ids=("we3",), query="something drama",
                         features={"retrieval": {"dr5": 0.9, "co2": 0.1}})
    cands = ["dr5", "co2", "ro7", "unknown"]
    loaded = RLPolicyScorer.load(trained.save(tmp_path / "rl"))
    np.testing.assert_allclose(loaded.score(ctx, cands), trained.score(ctx, cands), rtol=1e-6)
    assert loaded.version == trained.version and loaded.config == trained.config
    assert loaded.evidence(ctx, "dr5").to_dict() == trained.evidence(ctx, "dr5").to_dict()
    assert loaded.select(ctx, cands, 2) == trained.select(ctx, cands, 2)


def test_a_policy_saved_with_the_old_feature_list_is_refused_with_the_retrain_command(trained, tmp_path):
    import json

    path = trained.save(tmp_path / "old")
    meta = json.loads((path / "policy.json").read_text())
    old = [*ITEM_FEATURES[:5], "causal", *ITEM_FEATURES[5:]]  # format 1 had the always-zero "causal" column
    (path / "policy.json").write_text(json.dumps({**meta, "format": 1, "features": old}))
    with pytest.raises(InputError, match=r"causal.*no longer exist.*retrain with `whyrec train rl --force`"):
        RLPolicyScorer.load(path)
    assert "item_features" in meta["config"] and tuple(meta["config"]["item_features"]) == ITEM_FEATURES


def test_evidence_explains_the_q_value(trained):
    ctx = ScoringContext(liked_ids=("ac1",), features={"retrieval": {"ac4": 0.5, "co4": 0.2}})
    ev = trained.evidence(ctx, "ac4")
    d = ev.details
    assert sum(d["feature_contributions"].values()) == pytest.approx(ev.score, abs=1e-5)  # linear Q: exact split
    assert 0 < d["softmax_prob"] <= 1 and d["pool_size"] == 2
    assert ev.contributions and set(ev.contributions) == {"ac1"}


def test_features_read_caller_channels_and_default_to_zero(world):
    _, space, _, _ = world
    fb = FeatureBuilder(space)
    col = {n: j for j, n in enumerate(ITEM_FEATURES)}
    plain = fb.item_matrix(ScoringContext(liked_ids=("ac0",)), ["ac1", "co1"])
    assert plain[:, col["gcn"]].tolist() == [0.0, 0.0] and plain.shape == (2, len(ITEM_FEATURES))
    fed = fb.item_matrix(ScoringContext(liked_ids=("ac0",), query="something horror",
                                        features={"lightgcn": {"ac1": 3.0, "co1": 1.0, "dr1": 2.0},
                                                  "causal": {"ac1": 0.4, "co1": -7.0}}), ["ac1", "co1"])
    np.testing.assert_allclose(fed[:, col["gcn"]], [1.0, 0.0])  # min-max over the caller's whole channel map
    assert "causal" not in ITEM_FEATURES  # removed after its ablation; a caller's "causal" channel is ignored
    without = fb.item_matrix(ScoringContext(liked_ids=("ac0",), query="something horror",
                                            features={"lightgcn": {"ac1": 3.0, "co1": 1.0, "dr1": 2.0}}), ["ac1", "co1"])
    np.testing.assert_array_equal(fed, without)
    # Jaccard of {action, tag1} and {comedy, tag1} with the liked ac0's {action, tag0}
    np.testing.assert_allclose(fed[:, col["sim_liked"]], [1 / 3, 0.0], rtol=1e-6)
    assert fb.constraints(ScoringContext(query="something horror")) == ["horror"]
