"""Scores of a learned graph against the truth.

Why these: skeleton precision/recall/F1 say whether the right pairs are adjacent regardless
of orientation; arrowhead precision/recall say whether the orientations that were committed
to are right; SHD between CPDAGs counts the pairs where the learned and the true equivalence
classes disagree (a missing, extra, or differently-marked edge each count 1). Comparing a
CPDAG with the true *CPDAG* (not the DAG) avoids penalising what data cannot tell apart.
Oriented-edge precision is the claim a user acts on: of the edges drawn as ``A --> B``,
the share where A really causes B in the true DAG (undirected edges claim nothing).
"""

from __future__ import annotations

import numpy as np

from causal.graph import CausalGraph


def cpdag_of(dag: CausalGraph) -> CausalGraph:
    """The completed PDAG (Markov equivalence class) of a DAG, via causal-learn's dag2cpdag."""
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    nodes = [GraphNode(v) for v in dag.variables]
    idx = {v: i for i, v in enumerate(dag.variables)}
    g = Dag(nodes)
    for e in dag.edges:
        g.add_directed_edge(nodes[idx[e.src]], nodes[idx[e.dst]])
    cp = dag2cpdag(g)
    return CausalGraph.from_endpoint_matrix(np.asarray(cp.graph), dag.variables, method="truth_cpdag")


def _prf(est: set, true: set) -> tuple[float, float, float]:
    tp = len(est & true)
    p = tp / len(est) if est else 1.0
    r = tp / len(true) if true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def skeleton_scores(est: CausalGraph, true: CausalGraph) -> dict[str, float]:
    p, r, f = _prf(est.skeleton(), true.skeleton())
    return {"skeleton_precision": p, "skeleton_recall": r, "skeleton_f1": f}


def arrowhead_scores(est: CausalGraph, true: CausalGraph) -> dict[str, float]:
    p, r, f = _prf(est.arrowheads(), true.arrowheads())
    return {"arrowhead_precision": p, "arrowhead_recall": r, "arrowhead_f1": f}


def oriented_scores(est: CausalGraph, true_dag: CausalGraph) -> dict[str, float]:
    """``oriented_precision``: directed edges of ``est`` that are the same directed edge of the
    true DAG, over all directed edges of ``est`` (1.0 when it orients nothing; see ``n_oriented``)."""
    claims = [e for e in est.edges if e.kind == "directed"]
    right = sum(1 for e in claims if e.src in true_dag.parents(e.dst))
    return {"oriented_precision": right / len(claims) if claims else 1.0, "n_oriented": len(claims)}


def shd(est: CausalGraph, true: CausalGraph) -> int:
    """Structural Hamming distance: pairs whose edge (presence, kind or direction) differs."""
    total = 0
    for pair in est.skeleton() | true.skeleton():
        a, b = sorted(pair)
        e, t = est.edge_between(a, b), true.edge_between(a, b)
        if e is None or t is None or _canon(e) != _canon(t):
            total += 1
    return total


def _canon(e) -> tuple:
    if e.kind in ("undirected", "bidirected", "nondirected"):
        return (e.kind, frozenset((e.src, e.dst)))
    return (e.kind, e.src, e.dst)


def compare(est: CausalGraph, true_dag: CausalGraph, *, against: str = "cpdag") -> dict[str, float]:
    """All scores; ``against="cpdag"`` (PC/GES/FCI) or ``"dag"`` (LiNGAM on non-Gaussian data)."""
    truth = cpdag_of(true_dag) if against == "cpdag" else true_dag
    out: dict[str, float] = {}
    out.update(skeleton_scores(est, truth))
    out.update(arrowhead_scores(est, truth))
    out["shd"] = shd(est, truth)
    if true_dag.is_dag:
        out.update(oriented_scores(est, true_dag))
    out["n_edges"] = len(est.edges)
    out["n_true_edges"] = len(truth.edges)
    return out
