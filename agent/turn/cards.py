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
from tools.explain.claims import ClaimContext, Polarity
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


def liked_films_cited(cards: Sequence[RecCard], liked: Sequence[str], said_now: Sequence[str] = ()) -> list[str]:
    """The liked films (in ``liked`` order) this message names as liked (``said_now``: the request is
    built on them) or that some card's evidence draws on: a film it came up with, is close to, or
    shares a person with. Why: the reply's "Since you liked Amélie" is a claim about the whole slate,
    so a film liked turns ago may be named only if the cards stand on it ("80s horror please" after
    Amélie gives horror films that owe Amélie nothing)."""
    cited = {c.object_id for card in cards for c in card.evidence["bundle"].claims
             if c.polarity is Polarity.LIKED and c.object_id} | set(said_now)
    return [i for i in liked if i in cited]


def unmet_wishes(shown: Sequence[Any], req: Any) -> tuple[int, list[str]]:
    """How many of the shown ranked films miss part of the request, and which wishes, in the user's
    terms. A film misses what its relaxed request dropped (``RankedItem.relaxed``) and, since an asked
    genre is a preference the slate orders by rather than a filter, an asked genre it has none of:
    "a documentary about food" may end with Ratatouille, and the reply must say it is not one."""
    def misses(r: Any) -> set[str]:
        out = set(r.relaxed)
        if req.genres_include and r.features.get("genre_request_match", 1.0) == 0:
            out.add("genres_include")
        return out

    per_film = [misses(r) for r in shown]
    unmet = set().union(*per_film) if per_film else set()
    labels = []
    if "genres_include" in unmet:
        labels.append("“" + ", ".join(req.genres_include) + "”")
    if "kinds" in unmet and req.kinds:
        labels.append("“" + ", ".join(req.kinds) + "”")
    if "people_include" in unmet and req.people_include:
        labels.append("“with " + ", ".join(p.title() for p in req.people_include) + "”")
    if unmet & {"year_min", "year_max"}:
        labels.append("the years")
    return (sum(1 for m in per_film if m), labels) if labels else (0, [])
