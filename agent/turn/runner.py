"""One turn on the recommender pipeline, top-down:

understand → acts answered without search (refusals, chit-chat, "why …?", questions about
unknown or ambiguous titles) → fold the update into the state → (LLM planner's nominations,
when the model is on) → request → recommender (sources, hard constraints, learned ranker) →
slate → cards with the ranker's claims → checked template explanations → persist → answer;
then, outside the session lock, LLM explanations stream in as they pass (agent/turn/explain_stage.py).

Why a module of its own: ``agent/loop.py`` keeps the session plumbing (rate limits, locks,
streaming, persistence helpers); this module is the turn's logic and reads in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from agent import replies
from agent.prompts import planning_messages
from agent.state import DialogueState
from agent.turn.acts import no_such_card, question_for, why_answer, why_target
from agent.turn.dialogue import apply_update, request_for
from agent.turn.events import ObservedToolbox, card_dict, chunks
from agent.turn.evidence import evidence_for
from agent.turn.explain_stage import explain_now, follow_up_job
from agent.turn.slate import build_slate
from agent.turn.understand import parse
from agent.types import RecCard, ToolCallRecord, TurnResult
from tools.agent_tools import Toolbox, ToolOutcome
from tools.candidates import CandidateBus
from tools.claims import ClaimContext
from tools.errors import LLMUnavailableError

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]
SIMPLE_REPLIES = {"prompt_leak": replies.REFUSE_PROMPT, "other_data": replies.REFUSE_OTHER_DATA,
                  "chit_chat": replies.GREETING, "off_topic": replies.OFF_TOPIC}
#: how deep the ranked list goes before the slate rules cut it to the cards shown
RANK_DEPTH = 40
#: seconds of the turn budget kept for ranking, the slate, template explanations and persisting
PLAN_RESERVE_S = 0.35


def run_turn(agent: Any, session_id: str, text: str, emit: Emit, t0: float, state: DialogueState,
             turn_index: int, history: list[tuple[str, str]]) -> Callable[[], Any] | None:
    """Run one turn; returns the LLM explanation follow-up to run once the session lock is released."""
    services = agent.services
    cat = services.catalog
    store = agent.store
    last_titles = [cat.get(i).display_title for i in state.last_slate if i in cat]
    u = parse(text, services.resolver, people=services.people, last_slate=last_titles)

    def finish(reply: str, intent: str) -> None:
        state.turn_count += 1
        store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
        agent._finish_simple(session_id, turn_index, reply, emit, t0, store_user=False, intent=intent)

    if u.act in SIMPLE_REPLIES and not u.has_preferences:
        return finish(SIMPLE_REPLIES[u.act], u.act)
    if u.act == "ask_why":
        target = why_target(u, state.last_slate)
        if target is None:
            return finish(no_such_card(u, len(state.last_slate)), "ask_why")
        rank, item_id = target
        rec = _stored_card(store, session_id, item_id)
        reply = why_answer(rank, rec) if rec else no_such_card(u, len(state.last_slate))
        return finish(reply, "ask_why")

    apply_update(state, u, [y for i in state.shown[-10:] if i in cat and (y := cat.get(i).year)])
    question = question_for(u.unresolved) if u.unresolved else ""
    resolved_anything = bool(u.liked or u.disliked or u.seen or u.more_like or u.mentioned)
    if question and not resolved_anything and not (u.genres_liked or u.people_liked or u.year_min or u.year_max):
        state.pending_question = question
        return finish(question, "clarify")

    bus = CandidateBus(cat)
    trace: list[ToolCallRecord] = []
    stage: dict[str, float] = {}

    def on_outcome(o: ToolOutcome) -> None:
        rec = ToolCallRecord(o.name, o.arguments, round(o.duration_ms, 2), o.ok, o.content[:300], o.error)
        trace.append(rec)
        emit("tool_end", asdict(rec))

    # "…instead" starts the content query afresh: the earlier words no longer describe the wish
    user_texts = [text] if u.act == "replace" else [t for r, t in history if r == "user"] + [text]
    req = request_for(state, user_texts)
    # degraded: this turn ran without the model's plan; model_down: because the server is unavailable
    degraded, model_down, plan_note = False, False, ""
    if agent.strategy is not None and time.monotonic() >= agent._llm_down_until:
        t1 = time.perf_counter()
        toolbox = Toolbox(services, state, bus, default_query=req.query_text or text, user_text=text)
        # admission control: the planner gets what the turn budget leaves after ranking and templates
        # (PLAN_RESERVE_S); a plan cut off by that limit is skipped, not counted as a server failure
        budget = agent.settings.turn_budget_s
        limit = agent.plan_timeout_s if budget is None else max(0.1, min(agent.plan_timeout_s,
                                                                          budget - PLAN_RESERVE_S - (t1 - t0)))
        try:
            emit("status", {"degraded": False, "message": "thinking"})
            result = agent.strategy.plan(planning_messages(text, agent._state_summary(state), history),
                                         ObservedToolbox(toolbox, on_outcome, emit), limit)
            plan_note = result.message or ""
            stage["llm_plan_requests"] = float(getattr(result, "steps", 0) or 0)
        except LLMUnavailableError as exc:
            if limit < agent.plan_timeout_s and time.perf_counter() - t1 >= 0.9 * limit:
                plan_note = f"planning skipped: the model did not answer within the turn's {limit:.2f} s"
                stage["llm_over_budget"] = 1.0
                emit("status", {"degraded": False, "message": "answering without the planner (over time)"})
            else:
                log.warning("LLM unavailable, degrading: %s", exc)
                degraded = model_down = True
                agent._llm_down_until = time.monotonic() + agent.degrade_cooldown_s
        except Exception as exc:  # noqa: BLE001 - a bad model reply must not crash the turn
            # the server answered, so it is not marked down; but this turn ran without the model's plan
            log.warning("planning failed: %s", exc)
            plan_note = f"planning failed: {type(exc).__name__}"
            degraded = True
            stage["plan_failed"] = 1.0
        stage["llm_plan_ms"] = (time.perf_counter() - t1) * 1000
        stage["model_tool_calls"] = float(len(trace))
    else:
        degraded = model_down = True
    if degraded:
        state.degraded_turns += 1
        emit("status", {"degraded": True, "message": replies.LIMITED_MODE_NOTE if model_down else
                        "the model's plan failed this turn; answering with the built-in recommender"})

    t2 = time.perf_counter()
    emit("tool_start", {"tool": "recommend", "arguments": {"request": _brief(req)}})
    ranked = services.recommender.recommend(req, k=RANK_DEPTH, explain=True, extra=bus.ids())
    rec_ms = (time.perf_counter() - t2) * 1000
    rec_record = ToolCallRecord("recommend", {"request": _brief(req), "planner_nominations": len(bus)},
                                round(rec_ms, 2), True, f"{len(ranked)} ranked", None)
    trace.append(rec_record)
    emit("tool_end", asdict(rec_record))
    stage["recommend_ms"] = rec_ms
    stage["tools_ms"] = sum(t.duration_ms for t in trace)
    by_id = {r.item_id: r for r in ranked}
    taken = [cat.get(i).title for i in state.excluded_ids() if i in cat]
    asked = {g.lower() for g in req.genres_include}
    slate = build_slate([r.item_id for r in ranked], lambda i: cat.get(i).title,
                        size=agent.settings.recs_per_turn, taken_titles=taken,
                        wanted=(lambda i: bool(asked & {g.lower() for g in cat.get(i).genres})) if asked else None)

    filters = {k: v for k, v in asdict(state.constraints).items() if v not in (None, "", [], ())}
    rec = services.recommender
    claim_ctx = ClaimContext(rec.space, rec.stats, cat, segment_effect=getattr(services, "segment_effect", None))
    cards = []
    for rank, item_id in enumerate(slate, 1):
        item = cat.get(item_id)
        r = by_id[item_id]
        bundle = evidence_for(r, req, cat, versions=agent.versions, filters=filters, claims=claim_ctx)
        rec_id = store.add_recommendation(
            session_id=session_id, turn_index=turn_index, item_id=item_id, rank=rank, title=item.display_title,
            scores={"final": r.score, "features": r.features, "contributions": r.contributions,
                    "sources": r.sources, "supported_by": r.supported_by},
            evidence=bundle.to_dict(), versions=agent.versions)
        card = RecCard(rec_id, item_id, item.title, item.year, tuple(_plain_tags(item.tags))[:6], rank,
                       round(r.score, 4), "", "pending", False, (), {"bundle": bundle})
        cards.append(card)
        emit("recommendation", card_dict(card))
    stage["first_card_ms"] = (time.perf_counter() - t0) * 1000
    state.record_shown([c.item_id for c in cards])

    anchor = u.more_like[0].title if u.more_like else None
    lead = replies.NOTHING_FOUND if not cards else replies.slate_lead(
        len(cards), [cat.get(i).display_title for i in state.liked if i in cat], anchor,
        state.constraints.describe())
    if u.act == "reject_slate" and cards:
        lead = "No problem — here are different ones. " + lead
    if question:
        lead = f"{question}\n\n{lead}"
    if model_down:
        lead = f"{replies.LIMITED_MODE_NOTE}\n\n{lead}"
    for chunk in chunks(lead):
        emit("text_delta", {"text": chunk})

    t3 = time.perf_counter()
    bundles = [c.evidence["bundle"] for c in cards]
    cards = explain_now(agent, cards, emit)
    stage["explain_ms"] = (time.perf_counter() - t3) * 1000

    state.turn_count += 1
    state.last_query = req.query_text
    store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
    for t in trace:
        store.add_tool_call(session_id, turn_index, t.tool, t.arguments, t.duration_ms, t.ok, t.result_summary, t.error)
    store.add_message(session_id, turn_index, "assistant", lead,
                      {"rec_ids": [c.rec_id for c in cards], "degraded": degraded, "plan_note": plan_note[:500],
                       "act": u.act})
    total = (time.perf_counter() - t0) * 1000
    result = TurnResult(session_id, turn_index, lead, tuple(cards), tuple(trace), degraded, round(total, 1),
                        {k: round(v, 1) for k, v in stage.items()})
    emit("final", {**result.to_dict(), "intent": u.act})
    # LLM sentences stream in after the answer, outside the session lock (agent/loop.py runs the job)
    return follow_up_job(agent, cards, bundles, emit, degraded=model_down)


def _brief(req: Any) -> dict[str, Any]:
    d = req.to_dict()
    d["exclude"] = len(d["exclude"])
    return {k: v for k, v in d.items() if v not in (None, "", [], 0)}


def _plain_tags(tags: Any) -> list[str]:
    from agent.explaining import plain_tags

    return plain_tags(tags)


def _stored_card(store: Any, session_id: str, item_id: str) -> dict[str, Any] | None:
    """The latest stored recommendation of ``item_id`` in this session (with its explanation)."""
    for m in reversed(store.messages(session_id)):
        for rec_id in (m.get("metadata") or {}).get("rec_ids", []) if m["role"] == "assistant" else []:
            rec = store.recommendation(rec_id)
            if rec["item_id"] == item_id:
                return rec
    return None
