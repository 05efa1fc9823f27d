"""Known answers for the off-policy estimators and the ReDial log extraction."""

from __future__ import annotations

import numpy as np
import pytest

from tools.datasets.redial import Dialogue, MovieLabel, Turn
from tools.rl.ope import ope_estimate, redial_logged_decisions, suggestion_propensities


def test_on_policy_ips_equals_the_logged_value():
    rng = np.random.default_rng(0)
    mu = rng.uniform(0.05, 0.5, 200)
    r = rng.integers(0, 2, 200).astype(float)
    res = ope_estimate(mu, mu, r, [str(i // 4) for i in range(200)], n_boot=200)
    assert res.ips == pytest.approx(r.mean()) and res.snips == pytest.approx(r.mean())
    assert res.logging_value == pytest.approx(r.mean())
    assert res.ips_ci[0] <= res.ips <= res.ips_ci[1] and res.ess == pytest.approx(200)


def test_ips_reweights_and_clips():
    # logging picks a (reward 1) or b (reward 0) half the time; the target always picks a -> value 1
    mu = np.full(1000, 0.5)
    actions_a = np.arange(1000) % 2 == 0
    p = np.where(actions_a, 1.0, 0.0)
    r = actions_a.astype(float)
    res = ope_estimate(p, mu, r, [str(i) for i in range(1000)], n_boot=100)
    assert res.ips == pytest.approx(1.0) and res.snips == pytest.approx(1.0) and res.logging_value == pytest.approx(0.5)
    clipped = ope_estimate(p, mu, r, [str(i) for i in range(1000)], clip=1.5, n_boot=50)
    assert clipped.ips == pytest.approx(0.75) and clipped.clipped_share == pytest.approx(0.5)
    with pytest.raises(ValueError):
        ope_estimate([0.5], [0.0], [1.0], ["g"])


def test_redial_log_has_one_decision_per_answered_suggestion():
    d = Dialogue(
        "7", 1, 2,
        (Turn("hi, I loved @1 and want horror", 1, True, ("1",), 0, 0),
         Turn("have you seen @2 ? or @3", 2, False, ("2", "3"), 1, 1),
         Turn("@2 yes loved it", 1, True, ("2",), 2, 2)),
        {"1": "A", "2": "B", "3": "C"},
        {"1": MovieLabel(False, True, True), "2": MovieLabel(True, True, True), "3": MovieLabel(True, False, None)},
        {},
    )
    (dec,) = redial_logged_decisions([d], ["1", "2", "3"])  # 3 has no liked answer: dropped
    assert dec.action_id == "2" and dec.reward == 1.0 and dec.group == "7"
    assert dec.context.liked_ids == ("1",) and dec.context.seen_ids == ("1",) and "horror" in dec.context.query
    props = suggestion_propensities([d], ["1", "2", "3", "4"], alpha=1.0)
    assert props == {"1": 1.0, "2": 2.0, "3": 2.0, "4": 1.0}
