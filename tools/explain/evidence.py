"""``EvidenceBundle``: every fact an explanation may rest on, for one recommended item.

Why a bundle: published LLM explainers score well on text similarity yet state things
no data supports. Here the bundle is the ONLY input to the explanation generator, and
``facts()`` gives each fact a stable KEY ("item.year", "collab.liked_contributors", ...)
that generated sentences must cite; the faithfulness checker (tools/explain/faithfulness.py)
verifies the text against exactly these values. The same bundle is stored with the
recommendation, so support staff can later see what the explanation was allowed to say.

Everything here is plain data: frozen dataclasses that round-trip through JSON.
Causal evidence arrives as plain dicts from the caller (tools/ does not import causal/).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.catalog.catalog import Catalog, Item
from tools.errors import InputError
from tools.scoring import ScorerEvidence

#: bump when the meaning or shape of ``facts()`` changes (recorded in the audit trail)
EVIDENCE_SCHEMA = "evidence-v1"
#: a bundle read off the learned ranker: its reasons are its typed ``claims`` (possibly none)
CLAIMS_SCHEMA = "evidence-v2-claims"

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: query words too common to count as a "match" with an item
_QUERY_STOP = frozenset(
    "a an and any are as at be but by can do for from get give good have i im in into is it like looking "
    "me movie movies my of on one or please recommend recommendation show similar so some something "
    "suggest that the this to want watch what with would you film films".split()
)


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


# ---------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def matched_terms(query: str, item: Item) -> tuple[str, ...]:
    """Item tags/genres/title words the query mentions (tags and genres kept as whole phrases)."""
    qwords = {w for w in _words(query) if w not in _QUERY_STOP}
    if not qwords:
        return ()
    out: list[str] = []
    for phrase in (*item.tags, *item.genres):
        pw = [w for w in _words(phrase) if w not in _QUERY_STOP]
        if pw and any(w in qwords or w.rstrip("s") in qwords or w + "s" in qwords for w in pw):
            out.append(phrase)
    for w in _words(item.title):
        if w in qwords and len(w) > 2 and not any(w in _words(p) for p in out):
            out.append(w)
    return tuple(dict.fromkeys(out))


def _hit_similarity(hit: Any) -> float | None:
    if hit is None:
        return None
    # cosine similarity only: a fused rank score is not comparable across queries
    for name in ("similarity", "vector_score"):
        v = hit.get(name) if isinstance(hit, Mapping) else getattr(hit, name, None)
        if v is not None:
            return float(v)
    dist = hit.get("distance") if isinstance(hit, Mapping) else getattr(hit, "distance", None)
    return None if dist is None else 1.0 - float(dist)


def _as_scorer_evidence(e: ScorerEvidence | Mapping[str, Any]) -> ScorerEvidence:
    if isinstance(e, ScorerEvidence):
        return e
    return ScorerEvidence(
        scorer=str(e.get("scorer", "")), item_id=str(e.get("item_id", "")), score=float(e.get("score", 0.0)),
        contributions=dict(e.get("contributions") or {}), neighbours=tuple(e.get("neighbours") or ()),
        details=dict(e.get("details") or {}),
    )


def _is_policy(e: ScorerEvidence) -> bool:
    return "q_value" in e.details or e.scorer.lower() in {"rl", "policy", "rl_policy", "dqn"}


def build_evidence(
    item: Item,
    *,
    query: str,
    hit: Any = None,
    scorer_evidence: Iterable[ScorerEvidence | Mapping[str, Any]] = (),
    causal: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
    filters: Mapping[str, Any] | None = None,
    versions: Mapping[str, str],
    title_of: Callable[[str], str] | Catalog | None = None,
    max_contributors: int = 3,
    min_share: float = 0.01,
) -> EvidenceBundle:
    """Collect the evidence for one recommended ``item``.

    ``hit``: the retrieval hit (``tools.retrieval.retriever.ItemHit``: its cosine ``vector_score``, or
    anything with ``similarity``/``distance``);
    ``scorer_evidence``: ``Scorer.evidence(...)`` results (contributions -> collaborative
    evidence, ``details["q_value"]`` or an RL scorer -> policy evidence); ``causal``: effect
    dicts from the causal layer; ``title_of``: resolves liked item ids to titles (a Catalog
    or a callable) -- an id it cannot resolve is dropped rather than shown as a number.
    """
    if not isinstance(item, Item):
        raise InputError(f"build_evidence needs a tools.catalog.catalog.Item, got {type(item).__name__}")
    if isinstance(title_of, Catalog):
        cat = title_of

        def resolve(i: str) -> str | None:
            it = cat.by_id.get(str(i))
            return it.title if it else None
    elif title_of is None:
        def resolve(i: str) -> str | None:
            return None
    else:
        fn = title_of

        def resolve(i: str) -> str | None:
            try:
                return fn(str(i)) or None
            except LookupError:
                return None

    evs = [_as_scorer_evidence(e) for e in scorer_evidence]
    scores = {e.scorer: float(e.score) for e in evs}
    collab: CollabEvidence | None = None
    policy: PolicyEvidence | None = None
    for e in evs:
        if _is_policy(e) and policy is None:
            policy = PolicyEvidence(
                scorer=e.scorer, q_value=float(e.details.get("q_value", e.score)),
                explored=bool(e.details.get("explored", False)),
            )
        if e.contributions and collab is None:
            ranked = sorted(e.contributions.items(), key=lambda kv: (-kv[1], kv[0]))
            contribs = []
            for liked_id, share in ranked:
                title = resolve(liked_id)
                if title and share >= min_share and str(liked_id) != item.item_id:
                    contribs.append(Contribution(str(liked_id), title, float(share)))
                if len(contribs) >= max_contributors:
                    break
            if contribs:
                collab = CollabEvidence(scorer=e.scorer, score=float(e.score), contributors=tuple(contribs))
    if isinstance(causal, Mapping):
        causal = [causal]
    retrieval = None
    if query or hit is not None:
        retrieval = RetrievalEvidence(
            query=query.strip(), matched_terms=matched_terms(query, item), similarity=_hit_similarity(hit),
        )
    return EvidenceBundle(
        item_id=item.item_id,
        title=item.title,
        year=item.year,
        genres=tuple(item.genres),
        tags=tuple(item.tags),
        popularity=item.popularity if item.popularity else None,
        retrieval=retrieval,
        collab=collab,
        causal=tuple(causal_from_dict(c) for c in causal or ()),
        policy=policy,
        filters={k: v for k, v in (filters or {}).items() if v not in (None, "", [], ())},
        scores=scores,
        versions=dict(versions),
    )
