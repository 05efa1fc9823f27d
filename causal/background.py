"""Background knowledge: tiers, forbidden and required edges.

Why: with observational data alone many edges stay unoriented, and some orientations the
data suggests are impossible (a user's reaction cannot cause a movie's release year). Tiers
say "earlier tiers may cause later ones, never the reverse" (e.g. item attributes ->
exposure -> outcome). We hand the knowledge to each algorithm in its own dialect
(causal-learn ``BackgroundKnowledge`` for PC/FCI, a prior-knowledge matrix for DirectLiNGAM)
and, because not every algorithm supports every rule (GES supports none; PC can drop a
required edge in its skeleton phase), ``enforce`` re-checks the result and records every
change it had to make in the graph's notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from causal.errors import CausalInputError
from causal.graph import (
    BIDIRECTED,
    DIRECTED,
    NONDIRECTED,
    PARTIALLY_DIRECTED,
    PARTIALLY_UNDIRECTED,
    UNDIRECTED,
    CausalEdge,
    CausalGraph,
)


@dataclass(frozen=True)
class Background:
    """``tiers[k]`` lists the variables of tier k; an edge from a later tier to an earlier
    one is forbidden. ``forbidden``/``required`` are directed ``(src, dst)`` pairs.
    ``forbid_within`` lists tier indices whose members may not cause each other."""

    tiers: tuple[tuple[str, ...], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = ()
    required: tuple[tuple[str, str], ...] = ()
    forbid_within: tuple[int, ...] = ()
    _tier_of: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(tuple(t) for t in self.tiers))
        object.__setattr__(self, "forbidden", tuple((str(a), str(b)) for a, b in self.forbidden))
        object.__setattr__(self, "required", tuple((str(a), str(b)) for a, b in self.required))
        object.__setattr__(self, "forbid_within", tuple(self.forbid_within))
        tier_of: dict[str, int] = {}
        for k, tier in enumerate(self.tiers):
            for v in tier:
                if v in tier_of:
                    raise CausalInputError(f"variable {v!r} is in tiers {tier_of[v]} and {k}; put it in one tier")
                tier_of[v] = k
        self._tier_of.update(tier_of)

    @classmethod
    def from_dict(cls, d: dict) -> Background:
        return cls(
            tiers=tuple(tuple(t) for t in d.get("tiers", ())),
            forbidden=tuple(tuple(p) for p in d.get("forbidden", ())),
            required=tuple(tuple(p) for p in d.get("required", ())),
            forbid_within=tuple(d.get("forbid_within", ())),
        )

    def to_dict(self) -> dict:
        return {
            "tiers": [list(t) for t in self.tiers],
            "forbidden": [list(p) for p in self.forbidden],
            "required": [list(p) for p in self.required],
            "forbid_within": list(self.forbid_within),
        }

    @property
    def is_empty(self) -> bool:
        return not (self.tiers or self.forbidden or self.required)

    def merged(self, forbidden: Iterable[tuple[str, str]] = (), required: Iterable[tuple[str, str]] = ()) -> Background:
        """A copy with extra rules (used to apply accepted LLM priors)."""
        f = tuple(dict.fromkeys(self.forbidden + tuple(forbidden)))
        r = tuple(dict.fromkeys(self.required + tuple(required)))
        return Background(self.tiers, f, r, self.forbid_within)

    def restricted_to(self, variables: Sequence[str]) -> Background:
        """Drop tier members and rules about variables that are not in this run."""
        keep = set(variables)
        return Background(
            tuple(tuple(v for v in t if v in keep) for t in self.tiers),
            tuple(p for p in self.forbidden if set(p) <= keep),
            tuple(p for p in self.required if set(p) <= keep),
            self.forbid_within,
        )

    # ----- queries ----------------------------------------------------------------------
    def tier(self, v: str) -> int | None:
        return self._tier_of.get(v)

    def is_forbidden(self, a: str, b: str) -> bool:
        """May ``a`` not be a direct cause of ``b``?"""
        if (a, b) in self.forbidden:
            return True
        ta, tb = self.tier(a), self.tier(b)
        if ta is None or tb is None:
            return False
        return ta > tb or (ta == tb and ta in self.forbid_within)

    def is_required(self, a: str, b: str) -> bool:
        return (a, b) in self.required

    def validate(self, variables: Sequence[str]) -> None:
        """Unknown names or contradictory rules -> ``CausalInputError`` naming the valid names."""
        known = set(variables)
        named = {v for t in self.tiers for v in t} | {v for p in self.forbidden + self.required for v in p}
        unknown = sorted(named - known)
        if unknown:
            raise CausalInputError(
                f"background knowledge names unknown variable(s) {', '.join(map(repr, unknown))}; "
                f"valid names are: {', '.join(variables)}"
            )
        for a, b in self.required:
            if a == b:
                raise CausalInputError(f"required edge {a} -> {b} is a self-loop; remove it")
            if self.is_forbidden(a, b):
                raise CausalInputError(
                    f"edge {a} -> {b} is both required and forbidden (by a rule or by the tiers); drop one of them"
                )
            if (b, a) in self.required:
                raise CausalInputError(f"both {a} -> {b} and {b} -> {a} are required; keep one direction")
        for k in self.forbid_within:
            if not 0 <= k < len(self.tiers):
                raise CausalInputError(f"forbid_within names tier {k}, but there are {len(self.tiers)} tiers")

    # ----- adapters ---------------------------------------------------------------------
    def to_causallearn(self, variables: Sequence[str]):
        """causal-learn ``BackgroundKnowledge`` over ``GraphNode``s named like ``variables``."""
        from causallearn.graph.GraphNode import GraphNode
        from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

        nodes = {v: GraphNode(v) for v in variables}
        bk = BackgroundKnowledge()
        for k, tier in enumerate(self.tiers):
            for v in tier:
                if v in nodes:
                    bk.add_node_to_tier(nodes[v], k)
        for k in self.forbid_within:
            bk.forbid_within_tier(k)
        for a, b in self.forbidden:
            bk.add_forbidden_by_node(nodes[a], nodes[b])
        for a, b in self.required:
            bk.add_required_by_node(nodes[a], nodes[b])
        return bk

    def to_lingam_matrix(self, variables: Sequence[str]) -> np.ndarray | None:
        """DirectLiNGAM prior knowledge ``pk[to, from]``: 0 = no path, 1 = path, -1 = unknown.

        Note the LiNGAM meaning is stronger: "forbidden a -> b" becomes "no directed path
        from a to b", which for tiers is exactly what we mean anyway.
        """
        if self.is_empty:
            return None
        idx = {v: i for i, v in enumerate(variables)}
        pk = -np.ones((len(variables), len(variables)))
        for a in variables:
            for b in variables:
                if a != b and self.is_forbidden(a, b):
                    pk[idx[b], idx[a]] = 0
        for a, b in self.required:
            pk[idx[b], idx[a]] = 1
        np.fill_diagonal(pk, -1)
        return pk

    # ----- checking ---------------------------------------------------------------------
    def violations(self, graph: CausalGraph) -> list[str]:
        """Human-readable list of rules the graph breaks (empty = honoured)."""
        out = []
        for e in graph.edges:
            for a, b in _possible_directions(e):
                if self.is_forbidden(a, b):
                    out.append(f"{e} allows forbidden {a} -> {b}")
        for a, b in self.required:
            e = graph.edge_between(a, b)
            if e is None:
                out.append(f"required edge {a} -> {b} is missing")
            elif not (e.kind == DIRECTED and (e.src, e.dst) == (a, b)):
                out.append(f"required edge {a} -> {b} is present only as {e}")
        return out

    def enforce(self, graph: CausalGraph) -> CausalGraph:
        """Make the graph honour the knowledge; every change is written to ``notes``.

        CPDAG/DAG edges: an edge whose only allowed direction is the reverse is reversed, an
        edge forbidden both ways is removed, a missing required edge is added. PAG edges
        (FCI): "a may not cause b" puts an arrowhead at a, the PAG way to say "a is not an
        ancestor of b".
        """
        if self.is_empty:
            return graph
        edges: dict[frozenset[str], CausalEdge] = {e.pair: e for e in graph.edges}
        notes = list(graph.notes)
        pag = graph.method == "fci"
        for key, e in list(edges.items()):
            new = _fix_edge(e, self, pag)
            if new != e:
                notes.append(f"background knowledge changed {e} to {new if new else 'no edge'}")
                if new is None:
                    del edges[key]
                else:
                    edges[key] = new
        for a, b in self.required:
            key = frozenset((a, b))
            e = edges.get(key)
            if e is None:
                notes.append(f"required edge {a} -> {b} was not found in the data; added from background knowledge")
            elif e.kind != DIRECTED or (e.src, e.dst) != (a, b):
                notes.append(f"required edge {a} -> {b} replaced {e}")
            else:
                continue
            edges[key] = CausalEdge(a, b, DIRECTED)
        if len(notes) == len(graph.notes):
            return graph
        return graph.with_meta(edges=tuple(edges.values()), notes=tuple(notes))


def _possible_directions(e: CausalEdge) -> list[tuple[str, str]]:
    """Directed causal relations an edge leaves possible (src may cause dst, ...)."""
    a, b = e.src, e.dst
    if e.kind == DIRECTED:
        return [(a, b)]
    if e.kind in (UNDIRECTED, NONDIRECTED, PARTIALLY_UNDIRECTED):
        return [(a, b), (b, a)]
    if e.kind == PARTIALLY_DIRECTED:
        return [(a, b)]
    return []  # bidirected: neither causes the other




def _fix_edge(e: CausalEdge, bk: Background, pag: bool) -> CausalEdge | None:
    a, b = e.src, e.dst
    fab, fba = bk.is_forbidden(a, b), bk.is_forbidden(b, a)
    if not (fab or fba) or e.kind == BIDIRECTED:
        return e
    if not pag:
        if fab and fba:
            return None
        if fab:  # only b -> a allowed
            return CausalEdge(b, a, DIRECTED) if e.kind in (DIRECTED, UNDIRECTED) else e
        return CausalEdge(a, b, DIRECTED) if e.kind == UNDIRECTED else e
    # PAG: forbidding x -> y means an arrowhead at x.
    marks = {a: _mark_at(e, a), b: _mark_at(e, b)}
    if fab:
        marks[a] = "arrow"
    if fba:
        marks[b] = "arrow"
    return _edge_from_marks(a, b, marks[a], marks[b])


def _mark_at(e: CausalEdge, v: str) -> str:
    at_src = {
        DIRECTED: "tail", UNDIRECTED: "tail", BIDIRECTED: "arrow",
        PARTIALLY_DIRECTED: "circle", NONDIRECTED: "circle", PARTIALLY_UNDIRECTED: "circle",
    }
    at_dst = {
        DIRECTED: "arrow", UNDIRECTED: "tail", BIDIRECTED: "arrow",
        PARTIALLY_DIRECTED: "arrow", NONDIRECTED: "circle", PARTIALLY_UNDIRECTED: "tail",
    }
    return at_src[e.kind] if v == e.src else at_dst[e.kind]


def _edge_from_marks(a: str, b: str, ma: str, mb: str) -> CausalEdge:
    table = {
        ("tail", "arrow"): DIRECTED, ("tail", "tail"): UNDIRECTED, ("arrow", "arrow"): BIDIRECTED,
        ("circle", "arrow"): PARTIALLY_DIRECTED, ("circle", "circle"): NONDIRECTED,
        ("circle", "tail"): PARTIALLY_UNDIRECTED,
    }
    if (ma, mb) in table:
        return CausalEdge(a, b, table[(ma, mb)])
    return CausalEdge(b, a, table[(mb, ma)])
