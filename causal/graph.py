"""Our own causal-graph types: causal-learn's endpoint matrices stop at this boundary.

Why: causal-learn encodes graphs as ``G.graph[i, j]`` = the endpoint mark *at i* of the edge
between i and j (-1 tail, 1 arrow, 2 circle). Every consumer (effects, rendering, the agent,
the UI, JSON caches) should instead see frozen, named edges with one of six kinds, so they can
be compared, serialised and drawn without knowing which algorithm produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from causal.errors import CausalInputError

DIRECTED = "directed"  # src --> dst
UNDIRECTED = "undirected"  # src --- dst (CPDAG: orientation not identified)
BIDIRECTED = "bidirected"  # src <-> dst (latent confounder)
PARTIALLY_DIRECTED = "partially_directed"  # src o-> dst (PAG)
NONDIRECTED = "nondirected"  # src o-o dst (PAG)
PARTIALLY_UNDIRECTED = "partially_undirected"  # src o-- dst (PAG, rare)

EDGE_KINDS = (DIRECTED, UNDIRECTED, BIDIRECTED, PARTIALLY_DIRECTED, NONDIRECTED, PARTIALLY_UNDIRECTED)
EDGE_SYMBOLS = {
    DIRECTED: "-->",
    UNDIRECTED: "---",
    BIDIRECTED: "<->",
    PARTIALLY_DIRECTED: "o->",
    NONDIRECTED: "o-o",
    PARTIALLY_UNDIRECTED: "o--",
}
_SYMMETRIC = {UNDIRECTED, BIDIRECTED, NONDIRECTED}

# causal-learn endpoint codes
_TAIL, _ARROW, _CIRCLE = -1, 1, 2
_MARKS_TO_KIND = {
    (_TAIL, _ARROW): DIRECTED,
    (_TAIL, _TAIL): UNDIRECTED,
    (_ARROW, _ARROW): BIDIRECTED,
    (_CIRCLE, _ARROW): PARTIALLY_DIRECTED,
    (_CIRCLE, _CIRCLE): NONDIRECTED,
    (_CIRCLE, _TAIL): PARTIALLY_UNDIRECTED,
}


@dataclass(frozen=True, slots=True)
class CausalEdge:
    """One edge; for symmetric kinds the (src, dst) order carries no meaning.

    ``frequency`` (None unless bootstrapped): the share of bootstrap resamples in which the
    same two variables were adjacent -- how much the edge depends on the particular rows.
    ``orientation`` (None unless bootstrapped): the share in which the edge also had this
    exact kind and direction.
    """

    src: str
    dst: str
    kind: str = DIRECTED
    frequency: float | None = None
    orientation: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in EDGE_KINDS:
            raise CausalInputError(f"unknown edge kind {self.kind!r}; use one of {', '.join(EDGE_KINDS)}")
        if self.src == self.dst:
            raise CausalInputError(f"self-loop on {self.src!r} is not allowed in a causal graph")
        for label, share in (("frequency", self.frequency), ("orientation", self.orientation)):
            if share is not None and not 0.0 <= share <= 1.0:
                raise CausalInputError(f"edge {self.src}-{self.dst}: {label} must be a share in [0, 1], got {share}")

    @property
    def symbol(self) -> str:
        return EDGE_SYMBOLS[self.kind]

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.src, self.dst))

    def __str__(self) -> str:
        return f"{self.src} {self.symbol} {self.dst}"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"src": self.src, "dst": self.dst, "kind": self.kind}
        if self.frequency is not None:
            d["frequency"] = float(self.frequency)
        if self.orientation is not None:
            d["orientation"] = float(self.orientation)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CausalEdge:
        freq, orient = d.get("frequency"), d.get("orientation")
        return cls(d["src"], d["dst"], d.get("kind", DIRECTED), None if freq is None else float(freq),
                   None if orient is None else float(orient))

    def with_stability(self, frequency: float | None, orientation: float | None = None) -> CausalEdge:
        return CausalEdge(self.src, self.dst, self.kind, frequency, orientation)

    def label(self) -> str:
        """``A --> B`` plus the bootstrap shares when known (what ``describe`` prints)."""
        if self.frequency is None:
            return str(self)
        extra = f"; same direction {self.orientation:.2f}" if self.orientation is not None else ""
        return f"{self} (in {self.frequency:.2f} of resamples{extra})"


@dataclass(frozen=True)
class CausalGraph:
    """A discovered (or true) causal graph over named variables.

    ``method`` names the algorithm (``"pc"``, ``"fci"``, ``"ges"``, ``"lingam"``, ``"truth"``),
    ``params`` what it ran with, ``notes`` human-readable caveats (e.g. background knowledge
    that could only be checked after the fact).
    """

    variables: tuple[str, ...]
    edges: tuple[CausalEdge, ...]
    method: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    runtime_s: float = 0.0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "edges", tuple(self.edges))
        object.__setattr__(self, "notes", tuple(self.notes))
        known = set(self.variables)
        if len(known) != len(self.variables):
            raise CausalInputError("variable names must be unique")
        seen: set[frozenset[str]] = set()
        for e in self.edges:
            if e.src not in known or e.dst not in known:
                raise CausalInputError(f"edge {e} uses a variable that is not in {sorted(known)}")
            if e.pair in seen:
                raise CausalInputError(f"two edges between {sorted(e.pair)}; a causal graph has at most one")
            seen.add(e.pair)

    # ----- construction ---------------------------------------------------------------
    @classmethod
    def from_endpoint_matrix(cls, g: np.ndarray, variables: list[str] | tuple[str, ...], **meta: Any) -> CausalGraph:
        """Wrap causal-learn's ``G.graph`` (mark at i of edge i–j in ``g[i, j]``)."""
        g = np.asarray(g)
        edges = []
        for i in range(g.shape[0]):
            for j in range(i + 1, g.shape[0]):
                mi, mj = int(g[i, j]), int(g[j, i])
                if mi == 0 and mj == 0:
                    continue
                if (mi, mj) in _MARKS_TO_KIND:
                    edges.append(CausalEdge(variables[i], variables[j], _MARKS_TO_KIND[(mi, mj)]))
                elif (mj, mi) in _MARKS_TO_KIND:
                    edges.append(CausalEdge(variables[j], variables[i], _MARKS_TO_KIND[(mj, mi)]))
                else:
                    raise CausalInputError(f"unrecognised endpoint marks ({mi}, {mj}) between {variables[i]} and {variables[j]}")
        return cls(tuple(variables), tuple(edges), **meta)

    @classmethod
    def from_dag_matrix(cls, adj: np.ndarray, variables: list[str] | tuple[str, ...], **meta: Any) -> CausalGraph:
        """``adj[i, j] != 0`` means ``variables[i] --> variables[j]``."""
        adj = np.asarray(adj)
        edges = [CausalEdge(variables[i], variables[j]) for i, j in zip(*np.nonzero(adj), strict=True)]
        return cls(tuple(variables), tuple(edges), **meta)

    # ----- views ------------------------------------------------------------------------
    def edge_between(self, a: str, b: str) -> CausalEdge | None:
        key = frozenset((a, b))
        for e in self.edges:
            if e.pair == key:
                return e
        return None

    def skeleton(self) -> set[frozenset[str]]:
        """Unordered adjacent pairs, whatever the edge kinds."""
        return {e.pair for e in self.edges}

    def adjacency_matrix(self) -> np.ndarray:
        """Symmetric 0/1 matrix in ``variables`` order."""
        idx = {v: i for i, v in enumerate(self.variables)}
        m = np.zeros((len(self.variables),) * 2, dtype=int)
        for e in self.edges:
            m[idx[e.src], idx[e.dst]] = m[idx[e.dst], idx[e.src]] = 1
        return m

    def neighbors(self, v: str) -> set[str]:
        return {(e.dst if e.src == v else e.src) for e in self.edges if v in (e.src, e.dst)}

    def parents(self, v: str) -> set[str]:
        return {e.src for e in self.edges if e.kind == DIRECTED and e.dst == v}

    def children(self, v: str) -> set[str]:
        return {e.dst for e in self.edges if e.kind == DIRECTED and e.src == v}

    def undirected_neighbors(self, v: str) -> set[str]:
        return {(e.dst if e.src == v else e.src) for e in self.edges if e.kind == UNDIRECTED and v in (e.src, e.dst)}

    def arrowheads(self) -> set[tuple[str, str]]:
        """(a, b) for every arrowhead pointing at b on an edge between a and b."""
        out = set()
        for e in self.edges:
            if e.kind in (DIRECTED, PARTIALLY_DIRECTED):
                out.add((e.src, e.dst))
            elif e.kind == BIDIRECTED:
                out |= {(e.src, e.dst), (e.dst, e.src)}
        return out

    @property
    def is_dag(self) -> bool:
        return all(e.kind == DIRECTED for e in self.edges) and _acyclic(self)

    @property
    def is_fully_oriented(self) -> bool:
        return all(e.kind == DIRECTED for e in self.edges)

    def kind_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(EDGE_KINDS, 0)
        for e in self.edges:
            counts[e.kind] += 1
        return {k: v for k, v in counts.items() if v}

    def to_networkx(self):
        """A ``networkx.DiGraph``: directed edges once; symmetric/partial kinds both ways.

        Every edge carries ``kind`` and ``symbol`` attributes; ``reverse=True`` marks the
        mirrored copy of a non-directed edge so ``DiGraph`` algorithms can skip it.
        """
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(self.variables)
        for e in self.edges:
            g.add_edge(e.src, e.dst, kind=e.kind, symbol=e.symbol, reverse=False)
            if e.kind != DIRECTED:
                g.add_edge(e.dst, e.src, kind=e.kind, symbol=e.symbol, reverse=True)
        return g

    def with_meta(self, **changes: Any) -> CausalGraph:
        data = {
            "variables": self.variables,
            "edges": self.edges,
            "method": self.method,
            "params": self.params,
            "runtime_s": self.runtime_s,
            "notes": self.notes,
        }
        data.update(changes)
        return CausalGraph(**data)

    # ----- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "variables": list(self.variables),
            "edges": [e.to_dict() for e in self.edges],
            "method": self.method,
            "params": _jsonable(self.params),
            "runtime_s": float(self.runtime_s),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CausalGraph:
        try:
            return cls(
                variables=tuple(d["variables"]),
                edges=tuple(CausalEdge.from_dict(e) for e in d["edges"]),
                method=d.get("method", ""),
                params=dict(d.get("params", {})),
                runtime_s=float(d.get("runtime_s", 0.0)),
                notes=tuple(d.get("notes", ())),
            )
        except CausalInputError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise CausalInputError(f"not a CausalGraph dict ({exc}); expected keys variables, edges") from exc

    def describe(self) -> str:
        """Multi-line text: one edge per line (what the CLI prints)."""
        head = f"{self.method or 'graph'}: {len(self.variables)} variables, {len(self.edges)} edges"
        lines = [head] + [f"  {e.label()}" for e in sorted(self.edges, key=lambda e: (e.src, e.dst))]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _acyclic(g: CausalGraph) -> bool:
    children = {v: g.children(v) for v in g.variables}
    state: dict[str, int] = {}

    def visit(v: str) -> bool:
        state[v] = 1
        for c in children[v]:
            if state.get(c) == 1 or (c not in state and not visit(c)):
                return False
        state[v] = 2
        return True

    return all(v in state or visit(v) for v in g.variables)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple | set | frozenset):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float | int | str | bool) or x is None:
        return x
    return str(x)
