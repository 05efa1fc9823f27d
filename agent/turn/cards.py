"""The cards stage: each slate item becomes a stored recommendation with its evidence bundle.

Input: the slate (ids), the ranked results they came from, the request and the state; output:
the ``RecCard`` list, each already in the store (so the audit trail holds it even if the turn
later fails) and streamed as a ``recommendation`` event. Explanations come after, in
agent/turn/explain_stage.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from agent.state import DialogueState
from agent.turn.events import card_dict
from agent.turn.evidence import evidence_for
from agent.types import RecCard
from tools.explain.claims import ClaimContext
from tools.explain.evidence_builder import plain_tags

Emit = Callable[[str, dict[str, Any]], None]


def make_cards(agent: Any, session_id: str, turn_index: int, slate: Sequence[str], by_id: Mapping[str, Any],
               req: Any, state: DialogueState, emit: Emit) -> list[RecCard]:
    """Store the slate's cards (one write), then stream one card per slate item, rank 1 first."""
    services = agent.services
    cat = services.catalog
    rec = services.recommender
    filters = {k: v for k, v in asdict(state.constraints).items() if v not in (None, "", [], ())}
    claim_ctx = ClaimContext(rec.space, rec.stats, cat, segment_effect=getattr(services, "segment_effect", None))
    rows, bundles = [], []
    items = [cat.get(item_id) for item_id in slate]
    for rank, (item_id, item) in enumerate(zip(slate, items, strict=True), 1):
        r = by_id[item_id]
        bundle = evidence_for(r, req, cat, versions=agent.versions, filters=filters, claims=claim_ctx)
        bundles.append(bundle)
        rows.append({"item_id": item_id, "rank": rank, "title": item.display_title, "evidence": bundle.to_dict(),
                     "scores": {"final": r.score, "features": r.features, "contributions": r.contributions,
                                "sources": r.sources, "supported_by": r.supported_by},
                     "versions": agent.versions})
    # the slate is stored in one write (never half a slate in the audit), then streamed card by card
    rec_ids = agent.store.add_recommendations(session_id, turn_index, rows)
    cards = []
    for rank, (item, rec_id, bundle) in enumerate(zip(items, rec_ids, bundles, strict=True), 1):
        card = RecCard(rec_id, item.item_id, item.title, item.year, plain_tags(item.tags)[:6], rank,
                       round(by_id[item.item_id].score, 4), "", "pending", False, (), {"bundle": bundle})
        cards.append(card)
        emit("recommendation", card_dict(card))
    return cards
