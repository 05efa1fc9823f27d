"""``EvidenceBundle``: every fact an explanation may rest on, for one recommended item.

Why a bundle: published LLM explainers score well on text similarity yet state things
no data supports. Here the bundle is the ONLY input to the explanation generator, and
``facts()`` gives each fact a stable KEY ("item.year", "collab.liked_contributors", ...)
that generated sentences must cite; the faithfulness checker (tools/explain/faithfulness.py)
verifies the text against exactly these values. The same bundle is stored with the
recommendation, so support staff can later see what the explanation was allowed to say.

Everything here is plain data: frozen dataclasses that round-trip through JSON.
Causal evidence arrives as plain dicts from the caller (tools/ does not import causal/).
Collecting a bundle from the pipeline's outputs is ``build_evidence`` in
tools/explain/evidence_builder.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.errors import InputError

#: bump when the meaning or shape of ``facts()`` changes (recorded in the audit trail)
EVIDENCE_SCHEMA = "evidence-v1"
#: a bundle read off the learned ranker: its reasons are its typed ``claims`` (possibly none)
CLAIMS_SCHEMA = "evidence-v2-claims"


@dataclass(frozen=True)
class RetrievalEvidence:
    """How the item matched the user's request."""

    query: str
    matched_terms: tuple[str, ...] = ()
    similarity: float | None = None


@dataclass(frozen=True)
class Contribution:
    """One liked item and the share of the recommendation score it contributed."""

    item_id: str
    title: str
    share: float


@dataclass(frozen=True)
class CollabEvidence:
    """Collaborative evidence from one scorer: which session likes pushed this item up."""

    scorer: str
    score: float
    contributors: tuple[Contribution, ...] = ()


@dataclass(frozen=True)
class CausalEvidence:
    """An effect estimate relevant to this item and the causal-graph edges it rests on."""

    treatment: str
    outcome: str
    estimate: float
    interval: tuple[float, float] | None = None
    level: float = 0.95
    edges: tuple[tuple[str, str], ...] = ()
    method: str = ""


@dataclass(frozen=True)
class PolicyEvidence:
    """What the RL policy thought of the item."""

    scorer: str
    q_value: float
    explored: bool = False


@dataclass(frozen=True)
class EvidenceBundle:
    """All facts about one recommended item (JSON round-trip via ``to_dict``/``from_dict``)."""

    item_id: str
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    popularity: float | None = None
    retrieval: RetrievalEvidence | None = None
    collab: CollabEvidence | None = None
    causal: tuple[CausalEvidence, ...] = ()
    policy: PolicyEvidence | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, float] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    schema: str = EVIDENCE_SCHEMA
    #: typed claims read off the ranker's account (tools/explain/claims.py); when present they are the
    #: reasons an explanation may give, and the checker verifies polarity and relation against them
    claims: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        # keep filters in their JSON form so a bundle equals its own round-trip
        filters = {str(k): (sorted(v) if isinstance(v, set | frozenset) else list(v) if isinstance(v, tuple) else v)
                   for k, v in self.filters.items()}
        object.__setattr__(self, "filters", filters)

    def facts(self) -> dict[str, Any]:
        """Flat ``{key: value}`` of every citable fact; values are JSON scalars, lists or dicts.

        Keys only appear when there is something behind them, so "cites an existing key"
        also means "cites a fact we actually have".
        """
        f: dict[str, Any] = {"item.title": self.title}
        for c in self.claims:
            f[c.key] = c.fact()
        if self.year is not None:
            f["item.year"] = self.year
        if self.genres:
            f["item.genres"] = list(self.genres)
        if self.tags:
            f["item.tags"] = list(self.tags)
        if self.retrieval is not None:
            if self.retrieval.query:
                f["retrieval.query"] = self.retrieval.query
            if self.retrieval.matched_terms:
                f["retrieval.matched_terms"] = list(self.retrieval.matched_terms)
            if self.retrieval.similarity is not None:
                f["retrieval.similarity"] = round(self.retrieval.similarity, 4)
        if self.collab is not None and self.collab.contributors:
            f["collab.liked_contributors"] = [
                {"title": c.title, "share": round(c.share, 4)} for c in self.collab.contributors
            ]
        for i, c in enumerate(self.causal):
            d: dict[str, Any] = {"treatment": c.treatment, "outcome": c.outcome, "estimate": round(c.estimate, 4)}
            if c.interval is not None:
                d["interval"] = [round(c.interval[0], 4), round(c.interval[1], 4)]
                d["level"] = c.level
            if c.edges:
                d["edges"] = [f"{a} -> {b}" for a, b in c.edges]
            f["causal.effect" if i == 0 else f"causal.effect.{i + 1}"] = d
        if self.policy is not None:
            f["policy.q_value"] = round(self.policy.q_value, 4)
            f["policy.explored"] = bool(self.policy.explored)
        if self.popularity is not None and self.popularity > 0:
            pop = self.popularity
            if float(pop).is_integer():
                f["popularity.mentions"] = int(pop)
            else:
                f["popularity.score"] = round(pop, 4)
        for k, v in sorted(self.filters.items()):
            if v not in (None, "", [], ()):
                f[f"filters.{k}"] = list(v) if isinstance(v, tuple | set | frozenset) else v
        return f

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "item_id": self.item_id,
            "title": self.title,
            "year": self.year,
            "genres": list(self.genres),
            "tags": list(self.tags),
            "popularity": self.popularity,
            "retrieval": None if self.retrieval is None else {
                "query": self.retrieval.query,
                "matched_terms": list(self.retrieval.matched_terms),
                "similarity": self.retrieval.similarity,
            },
            "collab": None if self.collab is None else {
                "scorer": self.collab.scorer,
                "score": self.collab.score,
                "contributors": [
                    {"item_id": c.item_id, "title": c.title, "share": c.share} for c in self.collab.contributors
                ],
            },
            "causal": [
                {
                    "treatment": c.treatment, "outcome": c.outcome, "estimate": c.estimate,
                    "interval": None if c.interval is None else list(c.interval), "level": c.level,
                    "edges": [list(e) for e in c.edges], "method": c.method,
                }
                for c in self.causal
            ],
            "policy": None if self.policy is None else {
                "scorer": self.policy.scorer, "q_value": self.policy.q_value, "explored": self.policy.explored,
            },
            "filters": {k: (list(v) if isinstance(v, tuple | set | frozenset) else v) for k, v in self.filters.items()},
            "scores": dict(self.scores),
            "versions": dict(self.versions),
            **({"claims": [c.to_dict() for c in self.claims]} if self.claims else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EvidenceBundle:
        try:
            r = d.get("retrieval")
            c = d.get("collab")
            p = d.get("policy")
            return cls(
                item_id=str(d["item_id"]),
                title=str(d["title"]),
                year=None if d.get("year") is None else int(d["year"]),
                genres=tuple(d.get("genres") or ()),
                tags=tuple(d.get("tags") or ()),
                popularity=None if d.get("popularity") is None else float(d["popularity"]),
                retrieval=None if r is None else RetrievalEvidence(
                    query=str(r.get("query") or ""),
                    matched_terms=tuple(r.get("matched_terms") or ()),
                    similarity=None if r.get("similarity") is None else float(r["similarity"]),
                ),
                collab=None if c is None else CollabEvidence(
                    scorer=str(c.get("scorer") or ""),
                    score=float(c.get("score") or 0.0),
                    contributors=tuple(
                        Contribution(str(x["item_id"]), str(x["title"]), float(x["share"]))
                        for x in c.get("contributors") or ()
                    ),
                ),
                causal=tuple(causal_from_dict(x) for x in d.get("causal") or ()),
                policy=None if p is None else PolicyEvidence(
                    scorer=str(p.get("scorer") or ""), q_value=float(p["q_value"]), explored=bool(p.get("explored")),
                ),
                filters=dict(d.get("filters") or {}),
                scores={str(k): float(v) for k, v in (d.get("scores") or {}).items()},
                versions={str(k): str(v) for k, v in (d.get("versions") or {}).items()},
                schema=str(d.get("schema") or EVIDENCE_SCHEMA),
                claims=_claims_from(d.get("claims") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not an evidence bundle dict ({exc}); pass what EvidenceBundle.to_dict() produced") from exc


def _claims_from(rows: Any) -> tuple[Any, ...]:
    from tools.explain.claims import Claim  # claims build on this module; imported late to keep one direction

    return tuple(Claim.from_dict(r) for r in rows)


def causal_from_dict(d: Mapping[str, Any]) -> CausalEvidence:
    """Accept the causal layer's effect as a plain dict.

    Recognised keys: treatment, outcome, estimate (or ``effect``/``ate``), interval
    (or ``ci``/``ci_low``+``ci_high``), level, edges (list of [a, b] or "a -> b"), method.
    """
    est = next((d[k] for k in ("estimate", "effect", "ate") if d.get(k) is not None), None)
    if est is None or not math.isfinite(float(est)):
        raise InputError(f"causal evidence needs a finite 'estimate' (got keys {sorted(d)})")
    interval = d.get("interval", d.get("ci"))
    if interval is None and d.get("ci_low") is not None and d.get("ci_high") is not None:
        interval = (d["ci_low"], d["ci_high"])
    edges: list[tuple[str, str]] = []
    for e in d.get("edges") or ():
        if isinstance(e, str):
            a, _, b = e.partition("->")
            edges.append((a.strip(), b.strip()))
        else:
            a, b = list(e)[:2]
            edges.append((str(a), str(b)))
    return CausalEvidence(
        treatment=str(d.get("treatment", "")),
        outcome=str(d.get("outcome", "")),
        estimate=float(est),
        interval=None if interval is None else (float(interval[0]), float(interval[1])),
        level=float(d.get("level", 0.95)),
        edges=tuple(edges),
        method=str(d.get("method", "")),
    )
