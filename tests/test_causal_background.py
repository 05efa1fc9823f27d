"""Background knowledge is validated, passed to each algorithm, and always honoured."""

from __future__ import annotations

import pytest

from causal import Background, CausalEdge, CausalGraph, CausalInputError, discover
from causal.synthetic import linear_scm


@pytest.fixture(scope="module")
def data():
    return linear_scm(7, 9, 3000, seed=4)


def _some_true_edge(d):
    return next(iter(sorted((e.src, e.dst) for e in d.graph.edges)))


@pytest.mark.parametrize("method", ["pc", "fci", "ges", "lingam"])
def test_forbidden_edge_never_appears_and_required_always_does(data, method):
    a, b = _some_true_edge(data)
    # forbid a true edge in both directions, require a non-edge
    non_edges = [(x, y) for x in data.variables for y in data.variables
                 if x < y and data.graph.edge_between(x, y) is None]
    rx, ry = non_edges[0]
    bk = Background(forbidden=((a, b), (b, a)), required=((rx, ry),))
    g = discover(data.as_dict(), method, background=bk)
    assert g.edge_between(a, b) is None
    e = g.edge_between(rx, ry)
    assert e is not None and e.kind == "directed" and (e.src, e.dst) == (rx, ry)
    assert bk.violations(g) == []
    if method != "lingam":  # LiNGAM gets the requirement as a prior; the others need the post-check
        assert any("required edge" in n for n in g.notes)


def test_tiers_orient_edges(data):
    order = [v for v in data.variables]
    g0 = discover(data.as_dict(), "pc")
    # tiers that follow the true causal order: every edge must point forward
    topo = _topological(data.graph)
    bk = Background(tiers=tuple((v,) for v in topo))
    g = discover(data.as_dict(), "pc", background=bk)
    rank = {v: i for i, v in enumerate(topo)}
    assert g.kind_counts().get("undirected", 0) == 0
    assert all(rank[e.src] < rank[e.dst] for e in g.edges)
    assert g.skeleton() <= g0.skeleton() | g.skeleton() and len(order) == 7


def _topological(dag: CausalGraph) -> list[str]:
    out, left = [], set(dag.variables)
    while left:
        v = sorted(x for x in left if not (dag.parents(x) & left))[0]
        out.append(v)
        left.remove(v)
    return out


def test_validation_names_valid_variables(data):
    with pytest.raises(CausalInputError, match=r"unknown variable\(s\) 'ghost'.*valid names are: X1"):
        discover(data.as_dict(), background=Background(forbidden=(("ghost", "X1"),)))
    with pytest.raises(CausalInputError, match="both required and forbidden"):
        Background(tiers=(("X2",), ("X1",)), required=(("X1", "X2"),)).validate(data.variables)
    with pytest.raises(CausalInputError, match="in tiers 0 and 1"):
        Background(tiers=(("X1",), ("X1",)))


def test_lingam_prior_matrix_convention():
    bk = Background(tiers=(("a",), ("b",)), required=(("a", "b"),))
    pk = bk.to_lingam_matrix(["a", "b"])
    assert pk[0, 1] == 0  # b (tier 1) has no path to a
    assert pk[1, 0] == 1  # a -> b required; pk[to, from]


def test_enforce_reverses_and_removes_with_notes():
    g = CausalGraph(("a", "b", "c"), (CausalEdge("b", "a"), CausalEdge("b", "c", "undirected")), method="ges")
    bk = Background(tiers=(("a",), ("b", "c")), forbid_within=(1,))
    out = bk.enforce(g)
    assert {str(e) for e in out.edges} == {"a --> b"}
    assert len(out.notes) == 2
