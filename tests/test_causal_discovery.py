"""Known-answer tests for causal discovery on seeded synthetic SCMs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal import CausalEdge, CausalGraph, CausalInputError, discover
from causal.metrics import compare, cpdag_of, shd, skeleton_scores
from causal.synthetic import discrete_scm, linear_scm, random_dag


@pytest.fixture(scope="module")
def gauss():
    return linear_scm(10, 12, 5000, seed=0)


def test_random_dag_is_seeded_and_acyclic():
    a, b = random_dag(12, 15, seed=3), random_dag(12, 15, seed=3)
    assert np.array_equal(a, b) and a.sum() == 15
    g = CausalGraph.from_dag_matrix(a, [f"X{i}" for i in range(12)])
    assert g.is_dag


def test_pc_recovers_linear_gaussian_cpdag(gauss):
    g = discover(gauss.as_dict(), "pc", alpha=0.01)
    m = compare(g, gauss.graph)
    assert m["skeleton_f1"] >= 0.9, m
    assert m["shd"] <= 4, m
    assert g.method == "pc" and g.params["indep_test"] == "fisherz" and g.runtime_s > 0


def test_ges_recovers_linear_gaussian_cpdag(gauss):
    g = discover(gauss.as_dict(), "ges")
    m = compare(g, gauss.graph)
    assert m["skeleton_f1"] >= 0.9, m
    assert m["shd"] <= 4, m


def test_fci_skeleton_and_pag_kinds(gauss):
    g = discover(gauss.as_dict(), "fci", alpha=0.01)
    assert skeleton_scores(g, cpdag_of(gauss.graph))["skeleton_f1"] >= 0.85
    assert set(g.kind_counts()) <= {"directed", "bidirected", "partially_directed", "nondirected", "undirected"}


def test_lingam_recovers_full_dag_with_non_gaussian_noise():
    d = linear_scm(6, 7, 3000, seed=2, noise="uniform")
    g = discover(d.as_dict(), "lingam", seed=0)
    m = compare(g, d.graph, against="dag")
    assert m["skeleton_f1"] >= 0.9 and m["shd"] <= 2, m
    assert g.is_dag


def test_pc_on_discrete_data_uses_gsq():
    d = discrete_scm(6, 6, 4000, seed=1)
    g = discover(d.as_dict(), "pc", alpha=0.01)
    assert g.params["indep_test"] == "gsq"
    assert compare(g, d.graph)["skeleton_f1"] >= 0.8


def test_dataframe_and_array_inputs_agree_and_runs_are_deterministic(gauss):
    df = pd.DataFrame(gauss.as_dict())
    g1 = discover(df, "pc")
    g2 = discover(gauss.data, "pc", variables=list(gauss.variables))
    assert g1.edges == g2.edges
    l1 = discover(df.iloc[:1500], "lingam", seed=7)
    l2 = discover(df.iloc[:1500], "lingam", seed=7)
    assert l1.edges == l2.edges


def test_graph_json_roundtrip_and_networkx(gauss):
    g = discover(gauss.as_dict(), "fci")
    back = CausalGraph.from_dict(g.to_dict())
    assert back == g
    nxg = g.to_networkx()
    assert set(nxg.nodes) == set(g.variables)
    directed = [e for e in g.edges if e.kind == "directed"]
    assert nxg.number_of_edges() == len(directed) + 2 * (len(g.edges) - len(directed))


def test_endpoint_matrix_conversion_covers_every_kind():
    # marks at i of edge i-j live in g[i, j]: -1 tail, 1 arrow, 2 circle
    g = np.zeros((6, 6), dtype=int)
    g[0, 1], g[1, 0] = -1, 1  # A --> B
    g[1, 2], g[2, 1] = -1, -1  # B --- C
    g[2, 3], g[3, 2] = 1, 1  # C <-> D
    g[3, 4], g[4, 3] = 2, 1  # D o-> E
    g[4, 5], g[5, 4] = 2, 2  # E o-o F
    cg = CausalGraph.from_endpoint_matrix(g, list("ABCDEF"))
    assert {str(e) for e in cg.edges} == {"A --> B", "B --- C", "C <-> D", "D o-> E", "E o-o F"}
    assert cg.parents("B") == {"A"} and cg.undirected_neighbors("B") == {"C"}
    assert ("C", "D") in cg.arrowheads() and ("D", "C") in cg.arrowheads()


def test_cpdag_and_shd_known_answers():
    v = CausalGraph(("A", "B", "C"), (CausalEdge("A", "C"), CausalEdge("B", "C")))  # collider
    chain = CausalGraph(("A", "B", "C"), (CausalEdge("A", "B"), CausalEdge("B", "C")))
    assert cpdag_of(v).kind_counts() == {"directed": 2}
    assert cpdag_of(chain).kind_counts() == {"undirected": 2}
    assert shd(cpdag_of(chain), cpdag_of(chain)) == 0
    assert shd(cpdag_of(v), cpdag_of(chain)) == 3  # A-B extra/missing, B-C and A-C differ


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"a": np.arange(50.0), "b": np.ones(50)}, "constant"),
        ({"a": np.r_[np.nan, np.arange(49.0)], "b": np.arange(50.0) % 7}, "NaN"),
        ({"a": np.arange(5.0), "b": np.arange(5.0) % 2}, "rows"),
        ({"a": np.arange(50.0)}, "at least 2 variables"),
    ],
)
def test_bad_tables_raise_clear_errors(table, match):
    with pytest.raises(CausalInputError, match=match):
        discover(table)


def test_unknown_names_method_and_alpha_are_rejected(gauss):
    with pytest.raises(CausalInputError, match="valid names are: X1"):
        discover(gauss.as_dict(), variables=["X1", "nope"])
    with pytest.raises(CausalInputError, match="use one of pc, fci, ges, lingam"):
        discover(gauss.as_dict(), "magic")
    with pytest.raises(CausalInputError, match="alpha"):
        discover(gauss.as_dict(), alpha=1.5)
    with pytest.raises(CausalInputError, match="kci"):
        discover(gauss.as_dict(), indep_test="kci")


# ----- marginal transforms, CI-test choice, oriented precision -------------------------------------
def test_rank_transform_makes_monotone_distortions_harmless():
    from causal.synthetic import monotone_scm

    d = monotone_scm(8, 8, 3000, seed=2)
    raw = compare(discover(d.as_dict(), "pc", transform="none"), d.graph)
    ranked = discover(d.as_dict(), "pc")  # default: rank
    assert ranked.params["transform"] == "rank" and ranked.params["indep_test"] == "fisherz"
    good = compare(ranked, d.graph)
    assert good["skeleton_f1"] == 1.0 and good["shd"] == 0 and raw["skeleton_f1"] < 0.8, (raw, good)
    # any increasing map of the columns gives the very same graph under the rank transform
    squashed = {k: np.arctan(v / 3.0) for k, v in d.as_dict().items()}
    assert discover(squashed, "pc").edges == ranked.edges


def test_normal_scores_are_standard_normal_and_keep_order():
    from causal.transform import normal_scores

    x = np.random.default_rng(0).lognormal(size=(2000, 2))
    z = normal_scores(x)
    assert np.array_equal(np.argsort(z[:, 0]), np.argsort(x[:, 0]))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.05
    b = normal_scores(np.c_[np.r_[np.zeros(10), np.ones(10)]])
    assert len(np.unique(b)) == 2  # ties share a score: a binary stays binary


def test_transform_is_skipped_where_it_would_harm_or_do_nothing():
    d = linear_scm(5, 5, 1500, seed=1, noise="uniform")
    assert discover(d.as_dict(), "lingam").params["transform"] == "none"
    with pytest.raises(CausalInputError, match="transform='none'"):
        discover(d.as_dict(), "lingam", transform="rank")
    g = discover(d.as_dict(), "pc", indep_test="gsq", transform="rank")
    assert g.params["transform"] == "none" and any("rank transform skipped" in n for n in g.notes)
    with pytest.raises(CausalInputError, match="unknown transform"):
        discover(d.as_dict(), transform="log")


def test_oriented_precision_known_answer():
    from causal.metrics import oriented_scores

    truth = CausalGraph(("A", "B", "C"), (CausalEdge("A", "C"), CausalEdge("B", "C")))
    est = CausalGraph(("A", "B", "C"), (CausalEdge("A", "C"), CausalEdge("C", "B"), CausalEdge("A", "B", "undirected")))
    assert oriented_scores(est, truth) == {"oriented_precision": 0.5, "n_oriented": 2}
    assert compare(truth, truth)["oriented_precision"] == 1.0
