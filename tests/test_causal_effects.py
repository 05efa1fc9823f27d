"""Known-answer tests for effect estimation: adjustment removes a known confounding bias."""

from __future__ import annotations

import numpy as np
import pytest

from causal import Background, CausalEdge, CausalGraph, CausalInputError, discover, estimate_effect
from causal.adjustment import identify
from causal.synthetic import confounded_treatment

TIERS = Background(tiers=(("Z1", "Z2", "W", "X"), ("T",), ("Y",)))


@pytest.mark.parametrize(("outcome", "tol"), [("continuous", 0.12), ("binary", 0.03)])
def test_adjusted_estimate_hits_true_ate_and_naive_does_not(outcome, tol):
    d = confounded_treatment(4000, seed=1, outcome=outcome)
    g = discover(d.as_dict(), "pc", background=TIERS)
    assert g.parents("T") >= {"Z1", "Z2"}
    est = estimate_effect(g, d.as_dict(), "T", "Y", n_boot=60, seed=0)
    assert est.identification == "identified"
    assert set(est.adjustment_set) >= {"Z1", "Z2"} and "Y" not in est.adjustment_set
    assert abs(est.regression.estimate - d.true_ate) < tol
    assert abs(est.ipw.estimate - d.true_ate) < 2 * tol
    assert est.regression.ci_low <= d.true_ate <= est.regression.ci_high
    assert abs(est.unadjusted.estimate - d.true_ate) > 2 * tol  # the naive difference is biased
    assert est.outcome_model == ("logistic" if outcome == "binary" else "linear")
    data = est.to_dict()
    assert data["ci95"] == [est.regression.ci_low, est.regression.ci_high] and data["n"] == 4000


def test_true_graph_parents_give_the_true_effect():
    d = confounded_treatment(3000, seed=5)
    est = estimate_effect(d.graph, d.as_dict(), "T", "Y", n_boot=0)
    assert est.adjustment_set == ("W", "Z1", "Z2")
    assert abs(est.regression.estimate - 1.0) < 0.12 and np.isnan(est.regression.ci_low)


def test_partially_oriented_graph_lists_possible_effects():
    d = confounded_treatment(2000, seed=2)
    g = CausalGraph(d.variables, (CausalEdge("Z1", "T", "undirected"), CausalEdge("T", "Y"),
                                  CausalEdge("Z1", "Y")))
    ident = identify(g, "T", "Y")
    assert ident.status == "partially_oriented" and set(ident.sets) == {(), ("Z1",)}
    est = estimate_effect(g, d.as_dict(), "T", "Y", n_boot=0)
    assert not est.identifiable and est.adjustment_set == ("Z1",)
    assert len(est.possible_effects) == 2 and "partially oriented" in est.explanation


def test_latent_confounding_is_reported_not_guessed():
    d = confounded_treatment(1000, seed=3)
    g = CausalGraph(d.variables, (CausalEdge("T", "Y", "bidirected"),))
    est = estimate_effect(g, d.as_dict(), "T", "Y", n_boot=10)
    assert est.identification == "not_identifiable" and est.adjustment_set is None
    assert est.regression is None and est.ipw is None and est.unadjusted is not None
    assert "latent confounder" in est.explanation


def test_reverse_and_no_path_are_explained():
    d = confounded_treatment(500, seed=4)
    g = CausalGraph(d.variables, (CausalEdge("Y", "T"),))
    assert identify(g, "T", "Y").status == "reverse"
    g2 = CausalGraph(d.variables, (CausalEdge("Z1", "T"),))
    assert identify(g2, "T", "Y").status == "no_causal_path"


def test_positivity_and_small_group_warnings():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(400)
    t = (z + 0.05 * rng.standard_normal(400) > 1.6).astype(float)  # almost deterministic, few treated
    y = z + t + rng.standard_normal(400)
    g = CausalGraph(("Z", "T", "Y"), (CausalEdge("Z", "T"), CausalEdge("Z", "Y"), CausalEdge("T", "Y")))
    est = estimate_effect(g, {"Z": z, "T": t, "Y": y}, "T", "Y", n_boot=20)
    text = " ".join(est.warnings)
    assert "positivity" in text and "small group" in text


def test_effect_input_errors():
    d = confounded_treatment(300, seed=0)
    with pytest.raises(CausalInputError, match="valid names are"):
        estimate_effect(d.graph, d.as_dict(), "nope", "Y")
    with pytest.raises(CausalInputError, match="binary"):
        estimate_effect(d.graph, d.as_dict(), "Z1", "Y")
    with pytest.raises(CausalInputError, match="method"):
        estimate_effect(d.graph, d.as_dict(), "T", "Y", method="magic")
