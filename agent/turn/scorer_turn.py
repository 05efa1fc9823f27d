"""The turn without a trained ranker: retrieval tools fill a candidate bus, a scorer ranks it.

Why it still exists: ``whyrec train ranker`` is a setup step, and an install without its
output (``Recommender`` is None in ``ToolServices``) must still answer; the prompt-injection
suite (evals/injection.py) and the agent's reliability tests build such agents on small
planted catalogs that have no ranker. Every turn of a runtime with a ranker goes through
agent/turn/runner.py instead; this path is the one to delete once those callers build a
recommender.

Order, as in the main pipeline: legacy understanding (agent/understanding.py) → state →
LLM plan (strict tool calls into the bus) or none → fixed plan (similar/search, then
``score_candidates``: the default scorer blended with retrieval relevance) → slate (year
window, twins and shown films removed) → cards with scorer evidence → checked explanations
→ persist.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from agent import replies
from agent.explaining import plain_tags
from agent.prompts import planning_messages, state_summary
from agent.state import DialogueState
from agent.turn.events import ObservedToolbox, card_dict, chunks
from agent.turn.results import finish_simple
from agent.types import RecCard, ToolCallRecord, TurnResult
from agent.understanding import apply_understanding, default_query, understand
from tools.errors import LLMUnavailableError
from tools.toolbox.agent_tools import Toolbox, ToolOutcome
from tools.toolbox.candidate_bus import CandidateBus

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]
SIMPLE_INTENTS = {"prompt_leak": replies.REFUSE_PROMPT, "other_data": replies.REFUSE_OTHER_DATA,
                  "greeting": replies.GREETING, "off_topic": replies.OFF_TOPIC}


def run_scorer_turn(agent: Any, session_id: str, text: str, emit: Emit, t0: float, state: DialogueState,
                    turn_index: int, history: list[tuple[str, str]]) -> None:
    """One turn on the scorer path (called by agent/loop.py under the session lock)."""
    services = agent.services
    store = agent.store
    stage: dict[str, float] = {}
    u = understand(text, services.resolver)
    apply_understanding(state, u, services.catalog)
    if u.intent in SIMPLE_INTENTS:
        state.turn_count = turn_index + 1  # the store bumped it when the turn began
        store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
        return finish_simple(store, session_id, turn_index, SIMPLE_INTENTS[u.intent], emit, t0, intent=u.intent)

    bus = CandidateBus(services.catalog)
    query = default_query(text, state, services.catalog)
    toolbox = Toolbox(services, state, bus, default_query=query, user_text=text)
    trace: list[ToolCallRecord] = []

    def on_outcome(o: ToolOutcome) -> None:
        rec = ToolCallRecord(o.name, o.arguments, round(o.duration_ms, 2), o.ok, o.content[:300], o.error)
        trace.append(rec)
        emit("tool_end", asdict(rec))

    degraded = False
    plan_note = ""
    if agent.strategy is not None and time.monotonic() >= agent._llm_down_until:
        t1 = time.perf_counter()
        try:
            msgs = planning_messages(text, state_summary(state, services.catalog), history)
            emit("status", {"degraded": False, "message": "thinking"})
            result = agent.strategy.plan(msgs, ObservedToolbox(toolbox, on_outcome, emit), agent.plan_timeout_s)
            plan_note = result.message or ""
        except LLMUnavailableError as exc:
            log.warning("LLM unavailable, degrading: %s", exc)
            degraded = True
            agent._llm_down_until = time.monotonic() + agent.degrade_cooldown_s
        except Exception as exc:  # noqa: BLE001 - a bad model reply must not crash the turn
            log.warning("planning failed, using the fixed plan: %s", exc)
            plan_note = f"planning failed: {type(exc).__name__}"
        stage["llm_plan_ms"] = (time.perf_counter() - t1) * 1000
        stage["model_tool_calls"] = float(len(trace))  # calls the model made (the fixed plan's follow)
    else:
        degraded = True
    if degraded:
        state.degraded_turns += 1
        emit("status", {"degraded": True, "message": replies.LIMITED_MODE_NOTE})

    # the fixed part of the plan: make sure there are candidates, then score them
    t2 = time.perf_counter()
    obs = ObservedToolbox(toolbox, on_outcome, emit)
    if not len(bus):
        if u.anchor is not None and services.retriever is not None:
            obs.run("similar_items", {"title": u.anchor.title, "k": 30})
        if not len(bus) and services.retriever is not None:
            obs.run("search_items", {"query": query[:500], "k": 30})
    if len(bus):
        obs.run("score_candidates", {"scorer": "default"})
    stage["tools_ms"] = sum(t.duration_ms for t in trace)
    stage["pipeline_ms"] = (time.perf_counter() - t2) * 1000

    slate = choose_slate(bus, toolbox, state, services.catalog, agent.settings.recs_per_turn)
    cards = _persist_cards(agent, session_id, turn_index, slate, bus, toolbox, emit)
    stage["first_card_ms"] = (time.perf_counter() - t0) * 1000
    state.record_shown([c.item_id for c in cards])
    cat = services.catalog
    lead = replies.NOTHING_FOUND if not cards else replies.slate_lead(
        len(cards), [cat.get(i).display_title for i in state.liked],
        cat.get(u.anchor.item_id).display_title if u.anchor else None, state.constraints.describe())
    if degraded:
        lead = f"{replies.LIMITED_MODE_NOTE}\n\n{lead}"
    for chunk in chunks(lead):
        emit("text_delta", {"text": chunk})

    t3 = time.perf_counter()
    budget_left = (None if agent.settings.turn_budget_s is None
                   else max(0.0, agent.settings.turn_budget_s - (time.perf_counter() - t0)))
    cards = _explain(agent, cards, degraded or time.monotonic() < agent._llm_down_until, emit, budget_left)
    stage["explain_ms"] = (time.perf_counter() - t3) * 1000

    state.turn_count = turn_index + 1  # the store bumped it when the turn began
    state.last_query = query
    store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
    for t in trace:
        store.add_tool_call(session_id, turn_index, t.tool, t.arguments, t.duration_ms, t.ok, t.result_summary, t.error)
    store.add_message(session_id, turn_index, "assistant", lead,
                      {"rec_ids": [c.rec_id for c in cards], "degraded": degraded, "plan_note": plan_note[:500]})
    total = (time.perf_counter() - t0) * 1000
    result = TurnResult(session_id, turn_index, lead, tuple(cards), tuple(trace), degraded, round(total, 1),
                        {k: round(v, 1) for k, v in stage.items()})
    emit("final", result.to_dict())
    return None


def rank_with_scorers(agent: Any, text: str, history: list[tuple[str, str]], k: int, use_llm: bool,
                      exclude_mentioned: bool) -> list[str]:
    """``WhyRecAgent.rank_candidates`` on the scorer path (same state replay and plan as a turn)."""
    services = agent.services
    cat = services.catalog
    state = DialogueState()
    for role, past in history:
        if role == "user":
            apply_understanding(state, understand(past, services.resolver), cat)
        else:  # titles the recommender already mentioned count as mentioned
            for m in services.resolver.find(past):
                state.mention(m.item_id)
    u = understand(text, services.resolver)
    apply_understanding(state, u, cat)
    if not exclude_mentioned:
        state.mentioned.clear()
        state.seen.clear()
    bus = CandidateBus(cat)
    query = default_query(text, state, cat)
    toolbox = Toolbox(services, state, bus, default_query=query, user_text=text)
    if use_llm and agent.strategy is not None:
        try:
            agent.strategy.plan(planning_messages(text, state_summary(state, cat), list(history)), toolbox,
                                agent.plan_timeout_s)
        except Exception as exc:  # noqa: BLE001 - benchmarks measure the fallback too
            log.warning("planning failed in rank_candidates: %s", exc)
    depth = min(100, max(k, 50))
    if u.anchor is not None and services.retriever is not None:
        toolbox.run("similar_items", {"title": u.anchor.title, "k": depth})
    if services.retriever is not None:
        toolbox.run("search_items", {"query": query[:500] or text[:500] or "movie", "k": depth})
    if len(bus):
        toolbox.run("score_candidates", {"scorer": "default"})
    excluded = state.excluded_ids() if exclude_mentioned else set(state.disliked)
    named = {title_key(cat.get(i).title) for i in excluded if i in cat} if exclude_mentioned else set()
    return [c.item_id for c in bus.ranked()
            if c.item_id not in excluded and title_key(cat.get(c.item_id).title) not in named][:k]


def title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def choose_slate(bus: CandidateBus, toolbox: Toolbox, state: DialogueState, cat: Any, size: int) -> list[str]:
    """The model's ``respond`` picks first, then the bus by score: in the year window, never shown or named."""
    excluded = state.excluded_ids()
    c = state.constraints

    def ok(i: str) -> bool:
        y = cat.get(i).year
        if c.year_min is not None and (y is None or y < c.year_min):
            return False
        return not (c.year_max is not None and (y is None or y > c.year_max))

    # the catalog lists some films twice (with and without a year): a title the user already
    # named, or one already on this slate, is the same film and never a recommendation
    taken_titles = {title_key(cat.get(i).title) for i in excluded if i in cat}

    def fresh(i: str) -> bool:
        return i not in excluded and ok(i) and title_key(cat.get(i).title) not in taken_titles

    chosen: list[str] = []
    picks = [i for i in toolbox.final.item_ids if i in bus] if toolbox.final is not None else []
    for item_id in [*picks, *(c.item_id for c in bus.ranked())]:  # the model's picks first
        if len(chosen) >= size:
            break
        if item_id not in chosen and fresh(item_id):
            chosen.append(item_id)
            taken_titles.add(title_key(cat.get(item_id).title))
    return chosen


def _persist_cards(agent: Any, session_id: str, turn_index: int, slate: list[str], bus: CandidateBus,
                   toolbox: Toolbox, emit: Emit) -> list[RecCard]:
    cards = []
    ctx = getattr(toolbox, "last_context", None) or toolbox.scoring_context()
    for rank, item_id in enumerate(slate, 1):
        item = agent.services.catalog.get(item_id)
        cand = bus.get(item_id)
        bundle = agent.evidence_builder(item=item, candidate=cand, context=ctx, toolbox=toolbox,
                                        versions=agent.versions, filters=asdict(toolbox.state.constraints))
        features = _policy_features(agent.services, ctx, item_id)
        rec_id = agent.store.add_recommendation(
            session_id=session_id, turn_index=turn_index, item_id=item_id, rank=rank, title=item.display_title,
            scores={**cand.scores, "final": cand.final_score, "retrieval": cand.retrieval_score,
                    "features": features, "sources": cand.sources},
            evidence=bundle.to_dict(), versions=agent.versions)
        card = RecCard(rec_id, item_id, item.title, item.year, plain_tags(item.tags)[:6], rank,
                       round(cand.final_score, 4), "", "pending", False, (), {"bundle": bundle})
        cards.append(card)
        emit("recommendation", card_dict(card))
    return cards


def _policy_features(services: Any, ctx: Any, item_id: str) -> dict[str, float]:
    """The RL policy's input features for this item (what its online update learns from)."""
    rl = services.scorers.get("rl")
    if rl is not None:
        try:
            feats = rl.evidence(ctx, item_id).details.get("features")
            if feats:
                return {k: float(v) for k, v in feats.items()}
        except Exception:  # noqa: BLE001 - fall back to the raw channels
            log.exception("RL evidence failed for %s", item_id)
    return {ch: float(vals[item_id]) for ch, vals in ctx.features.items() if item_id in vals}


def _explain(agent: Any, cards: list[RecCard], degraded: bool, emit: Emit,
             budget_left_s: float | None = None) -> list[RecCard]:
    """Checked explanations; ``budget_left_s`` is what remains of the turn's time budget."""
    if not cards:
        return cards
    bundles = [c.evidence["bundle"] for c in cards]
    explained = agent.explainer(bundles, degraded, deadline_s=budget_left_s)
    out = []
    for card, exp in zip(cards, explained, strict=True):
        agent.store.add_explanation(card.rec_id, exp["text"], exp["path"], exp["check"])
        new = RecCard(card.rec_id, card.item_id, card.title, card.year, card.tags, card.rank, card.score,
                      exp["text"], exp["path"], bool(exp["check"].get("passed")), tuple(exp.get("lines", ())),
                      card.evidence["bundle"].to_dict())
        emit("explanation", {"rec_id": new.rec_id, "explanation": new.explanation,
                             "explanation_path": new.explanation_path, "check_passed": new.check_passed,
                             "evidence_lines": list(new.evidence_lines)})
        out.append(new)
    return out
