"""Evidence for a card, read off the ranker's own account of the item.

Why from the contributions: an explanation may only say what actually moved the item's
score. With the recommender's item space at hand (a live turn, the benchmarks) the bundle
carries typed claims (tools/explain/claims.py): each reason with its subject, object, the user's
polarity and the SHAP contribution behind it. Without it (older callers) the collaborative
and query evidence is cited only when those features pushed the score up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.catalog.catalog import Catalog
from tools.explain.claims import ClaimContext, build_claims
from tools.explain.evidence import (
    CLAIMS_SCHEMA,
    CollabEvidence,
    Contribution,
    EvidenceBundle,
    RetrievalEvidence,
)
from tools.explain.evidence_builder import matched_terms, plain_tags
from tools.recsys.request import RankedItem, RecRequest

#: features whose positive contribution means "close to the films of this conversation"
NEIGHBOUR_FEATURES = ("cosuggest", "cosuggest_max", "comention", "content", "content_mean", "graph",
                      "cosuggest_recent", "comention_recent", "content_recent", "graph_max", "graph_recent",
                      "rank_cosuggest", "rank_comention", "rank_graph", "rank_content",
                      "genre_liked_overlap", "people_liked_overlap")


def evidence_for(ranked: RankedItem, req: RecRequest, catalog: Catalog, *, versions: Mapping[str, str],
                 filters: Mapping[str, Any], max_contributors: int = 3,
                 claims: ClaimContext | None = None) -> EvidenceBundle:
    item = catalog.get(ranked.item_id)
    contrib = ranked.contributions
    scores = {"ranker": round(float(ranked.score), 4)}
    for name, value in sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:6]:
        if name != "_bias":
            scores[f"contribution.{name}"] = round(float(value), 4)
    if claims is not None:
        return EvidenceBundle(item_id=item.item_id, title=item.title, year=item.year, genres=tuple(item.genres),
                              tags=plain_tags(item.tags), filters={k: v for k, v in filters.items()
                                                              if v not in (None, "", [], ())},
                              scores=scores, versions=dict(versions), claims=build_claims(ranked, req, claims),
                              schema=CLAIMS_SCHEMA)
    collab = None
    neighbour_push = sum(v for k, v in contrib.items() if k in NEIGHBOUR_FEATURES)
    if ranked.supported_by and neighbour_push > 0:
        total = sum(ranked.supported_by.values()) or 1.0
        people = [Contribution(i, catalog.get(i).title, v / total)
                  for i, v in sorted(ranked.supported_by.items(), key=lambda kv: (-kv[1], kv[0]))
                  if i in catalog and i != item.item_id and i in req.liked + req.mentioned][:max_contributors]
        if people:
            collab = CollabEvidence(scorer="ranker", score=float(ranked.score), contributors=tuple(people))
    retrieval = None
    if req.query_text and contrib.get("query", 0.0) > 0:
        retrieval = RetrievalEvidence(query=req.query_text[:200], matched_terms=matched_terms(req.said, item),
                                      similarity=ranked.features.get("query"))
    return EvidenceBundle(item_id=item.item_id, title=item.title, year=item.year, genres=tuple(item.genres),
                          tags=plain_tags(item.tags), popularity=item.popularity or None, retrieval=retrieval,
                          collab=collab, filters={k: v for k, v in filters.items() if v not in (None, "", [], ())},
                          scores=scores, versions=dict(versions))
