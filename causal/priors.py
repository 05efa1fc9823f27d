"""Optional LLM-proposed priors: suggestions shown, applied only when the caller opts in.

Why a callable: ``causal/`` never talks to an LLM. The agent layer passes
``propose(variables, descriptions) -> list[ProposedEdge]``; we validate what comes back,
always return it so people can see it, and only when ``apply=True`` turn the proposals at or
above ``min_confidence`` into forbidden/required edges, run discovery again, and report the
edges that changed against the run without priors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from causal.background import Background
from causal.discovery import discover
from causal.errors import CausalInputError
from causal.graph import CausalGraph

RELATIONS = ("forbidden", "required")


@dataclass(frozen=True)
class ProposedEdge:
    src: str
    dst: str
    relation: str
    confidence: float
    reason: str = ""

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise CausalInputError(f"relation must be forbidden or required, got {self.relation!r}")
        if not 0.0 <= float(self.confidence) <= 1.0:
            raise CausalInputError(f"confidence must be in [0, 1], got {self.confidence}")


Proposer = Callable[[list[str], dict[str, str]], Sequence[ProposedEdge]]


@dataclass(frozen=True)
class PriorsResult:
    graph: CausalGraph  # the graph to use (with priors if applied, else the baseline)
    baseline: CausalGraph
    suggestions: tuple[ProposedEdge, ...]
    rejected: tuple[dict[str, Any], ...]  # proposals dropped, with why
    applied: tuple[ProposedEdge, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "graph": self.graph.to_dict(),
            "suggestions": [asdict(s) for s in self.suggestions],
            "rejected": list(self.rejected),
            "applied": [asdict(s) for s in self.applied],
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
            "notes": list(self.notes),
        }


def collect_proposals(
    propose: Proposer, variables: Sequence[str], descriptions: dict[str, str] | None = None
) -> tuple[list[ProposedEdge], list[dict[str, Any]]]:
    """Call the proposer; keep well-formed proposals about known, distinct variables."""
    raw = propose(list(variables), dict(descriptions or {}))
    known = set(variables)
    good: list[ProposedEdge] = []
    rejected: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for p in raw or ():
        if not isinstance(p, ProposedEdge):
            rejected.append({"proposal": repr(p), "why": "not a ProposedEdge"})
            continue
        if p.src not in known or p.dst not in known:
            rejected.append({"proposal": asdict(p), "why": f"unknown variable; valid: {', '.join(variables)}"})
        elif p.src == p.dst:
            rejected.append({"proposal": asdict(p), "why": "self-loop"})
        elif (p.src, p.dst, p.relation) in seen:
            continue
        else:
            seen.add((p.src, p.dst, p.relation))
            good.append(p)
    return good, rejected


def discover_with_priors(
    table: Any,
    propose: Proposer,
    *,
    descriptions: dict[str, str] | None = None,
    apply: bool = False,
    min_confidence: float = 0.7,
    background: Background | None = None,
    **discover_kwargs: Any,
) -> PriorsResult:
    """Discovery plus LLM suggestions. Without ``apply`` the suggestions are only reported."""
    baseline = discover(table, background=background, **discover_kwargs)
    suggestions, rejected = collect_proposals(propose, baseline.variables, descriptions)
    if not apply:
        return PriorsResult(baseline, baseline, tuple(suggestions), tuple(rejected),
                            notes=("suggestions not applied (pass apply=True to use them)",))
    base_bk = background or Background()
    applied: list[ProposedEdge] = []
    forbidden, required = [], []
    for s in sorted(suggestions, key=lambda s: -s.confidence):
        if s.confidence < min_confidence:
            rejected.append({"proposal": asdict(s), "why": f"confidence below {min_confidence}"})
            continue
        trial = base_bk.merged(forbidden + ([(s.src, s.dst)] if s.relation == "forbidden" else []),
                               required + ([(s.src, s.dst)] if s.relation == "required" else []))
        try:
            trial.validate(baseline.variables)
        except CausalInputError as exc:
            rejected.append({"proposal": asdict(s), "why": f"conflicts with other knowledge: {exc}"})
            continue
        (forbidden if s.relation == "forbidden" else required).append((s.src, s.dst))
        applied.append(s)
    bk = base_bk.merged(forbidden, required)
    graph = discover(table, background=bk, **discover_kwargs) if applied else baseline
    added, removed, changed = diff_graphs(baseline, graph)
    return PriorsResult(graph, baseline, tuple(suggestions), tuple(rejected), tuple(applied),
                        tuple(added), tuple(removed), tuple(changed))


def diff_graphs(before: CausalGraph, after: CausalGraph) -> tuple[list[str], list[str], list[str]]:
    """Edges added, removed, and re-marked (same pair, different kind/direction)."""
    b = {e.pair: e for e in before.edges}
    a = {e.pair: e for e in after.edges}
    added = [str(a[k]) for k in a.keys() - b.keys()]
    removed = [str(b[k]) for k in b.keys() - a.keys()]
    changed = [f"{b[k]} => {a[k]}" for k in a.keys() & b.keys() if str(a[k]) != str(b[k])]
    return sorted(added), sorted(removed), sorted(changed)
