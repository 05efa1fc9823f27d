"""Which covariates to adjust for, read off a learned graph.

Why: the effect of T on Y is only a regression coefficient away once we know a valid
back-door adjustment set. In a DAG the parents of T always are one. A CPDAG (PC/GES output)
may leave edges at T unoriented: then, following IDA (Maathuis, Kalisch & Bühlmann 2009), we
enumerate every parent set of T that some DAG in the equivalence class allows (the
undirected neighbours that could point into T must form a clique, else a new v-structure
appears) and the effect is only known to lie among the estimates for those sets. A PAG or a
bidirected edge at T means a possible latent confounder: adjustment alone cannot identify
the effect, and we say so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from causal.graph import BIDIRECTED, DIRECTED, UNDIRECTED, CausalGraph

MAX_UNDIRECTED_FOR_IDA = 10


@dataclass(frozen=True)
class Identification:
    """``sets``: candidate adjustment sets (one when identified). ``status`` one of
    "identified", "partially_oriented", "no_causal_path", "reverse", "not_identifiable"."""

    status: str
    sets: tuple[tuple[str, ...], ...]
    explanation: str

    @property
    def identifiable(self) -> bool:
        return self.status in ("identified", "no_causal_path")


def identify(graph: CausalGraph, treatment: str, outcome: str) -> Identification:
    at_t = [e for e in graph.edges if treatment in (e.src, e.dst)]
    odd = [e for e in at_t if e.kind not in (DIRECTED, UNDIRECTED)]
    if odd:
        kinds = ", ".join(str(e) for e in odd)
        return Identification(
            "not_identifiable",
            (),
            f"the graph has edge(s) {kinds} at {treatment}: a latent confounder is possible, so no "
            "covariate set is known to block every back-door path. Try method='pc' with background "
            "knowledge, or treat the adjusted numbers as descriptive only.",
        )
    parents = tuple(sorted(graph.parents(treatment)))
    undirected = sorted(graph.undirected_neighbors(treatment))
    if outcome in parents:
        return Identification(
            "reverse",
            (parents,),
            f"the graph says {outcome} -> {treatment}: {outcome} causes {treatment}, so the causal effect "
            f"of {treatment} on {outcome} is zero in this graph; numbers below adjust for the parents anyway.",
        )
    if not undirected:
        if not _has_possible_path(graph, treatment, outcome):
            return Identification(
                "no_causal_path",
                (parents,),
                f"no directed path from {treatment} to {outcome}: the graph implies no causal effect; "
                f"adjusting for the parents of {treatment} {_fmt(parents)} should give about zero.",
            )
        return Identification(
            "identified",
            (parents,),
            f"the graph orients every edge at {treatment}; its parents {_fmt(parents)} block all "
            f"back-door paths to {outcome} (back-door criterion).",
        )
    if len(undirected) > MAX_UNDIRECTED_FOR_IDA:
        undirected = undirected[:MAX_UNDIRECTED_FOR_IDA]
    sets = []
    for k in range(len(undirected) + 1):
        for extra in combinations(undirected, k):
            if outcome in extra:
                continue  # outcome -> treatment would make the effect zero; handled by note below
            if all(graph.edge_between(a, b) is not None for a, b in combinations(extra, 2)):
                sets.append(tuple(sorted(parents + extra)))
    note = ""
    if outcome in undirected:
        note = f" The edge {treatment} --- {outcome} itself is unoriented; if it points into {treatment} the effect is zero."
    return Identification(
        "partially_oriented",
        tuple(sets),
        f"the graph is only partially oriented at {treatment} (undirected edge(s) to {', '.join(undirected)}), "
        f"so the adjustment set is not unique. Following IDA we estimated the effect for each of the "
        f"{len(sets)} parent sets the equivalence class allows; the headline uses the largest one "
        f"{_fmt(max(sets, key=len) if sets else ())} and 'possible_effects' lists them all.{note}",
    )


def _has_possible_path(graph: CausalGraph, a: str, b: str) -> bool:
    """Directed (or undirected, i.e. possibly directed) path from a to b."""
    stack, seen = [a], {a}
    while stack:
        v = stack.pop()
        for e in graph.edges:
            nxt = None
            if e.kind == DIRECTED and e.src == v:
                nxt = e.dst
            elif e.kind == UNDIRECTED and v in (e.src, e.dst):
                nxt = e.dst if e.src == v else e.src
            elif e.kind == BIDIRECTED:
                continue
            if nxt is not None and nxt not in seen:
                if nxt == b:
                    return True
                seen.add(nxt)
                stack.append(nxt)
    return False


def _fmt(s) -> str:
    return "{" + ", ".join(s) + "}" if s else "{} (none needed)"
