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
    """Store and stream one card per slate item, in slate order (rank 1 first)."""
    services = agent.services
    cat = services.catalog
    rec = services.recommender
    filters = {k: v for k, v in asdict(state.constraints).items() if v not in (None, "", [], ())}
    claim_ctx = ClaimContext(rec.space, rec.stats, cat, segment_effect=getattr(services, "segment_effect", None))
    cards = []
    for rank, item_id in enumerate(slate, 1):
        item = cat.get(item_id)
        r = by_id[item_id]
        bundle = evidence_for(r, req, cat, versions=agent.versions, filters=filters, claims=claim_ctx)
        rec_id = agent.store.add_recommendation(
            session_id=session_id, turn_index=turn_index, item_id=item_id, rank=rank, title=item.display_title,
            scores={"final": r.score, "features": r.features, "contributions": r.contributions,
                    "sources": r.sources, "supported_by": r.supported_by},
            evidence=bundle.to_dict(), versions=agent.versions)
        card = RecCard(rec_id, item_id, item.title, item.year, plain_tags(item.tags)[:6], rank,
                       round(r.score, 4), "", "pending", False, (), {"bundle": bundle})
        cards.append(card)
        emit("recommendation", card_dict(card))
    return cards
