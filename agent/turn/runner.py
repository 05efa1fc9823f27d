"""One turn on the recommender pipeline, top-down; each stage is a module with a typed input and output:

1. understand: ``parse`` (agent/turn/understand.py) -> ``StateUpdate``;
2. acts answered without search (refusals, chit-chat, "why …?", a question about an unknown or
   ambiguous title): agent/turn/acts.py -> a reply;
3. state update and request: agent/turn/dialogue.py -> ``DialogueState``, ``RecRequest``;
4. planner (LLM on): agent/turn/plan_stage.py -> ``PlanOutcome`` + nominations in the bus;
5. recommender (sources, hard constraints, learned ranker): tools/recsys -> ranked results;
6. slate: agent/turn/slate.py -> ids;
7. cards with the ranker's claims, stored: agent/turn/cards.py -> ``RecCard``s;
8. checked template explanations: agent/turn/explain_stage.py;
9. persist and answer (here), then, outside the session lock, LLM explanations stream in as
   they pass (the follow-up job this function returns).

Why a module of its own: ``agent/loop.py`` keeps the session plumbing (admission, rate limits,
locks, streaming); this module is the turn's logic and reads in order. No stage calls back
into an earlier one or into the loop (import-linter: ``turn-stands-alone``, ``understanding-first``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from agent import replies
from agent.llm_gate import REFUSED_SLOW
from agent.state import DialogueState
from agent.turn.acts import no_such_card, question_for, why_answer, why_target
from agent.turn.cards import make_cards
from agent.turn.clarify import PendingClarification, answer_to, declines, pending_for, pick_by_context, settle
from agent.turn.dialogue import (
    ANSWER_ONLY_ACTS,
    apply_update,
    era_reference,
    liked_the_slate_fits,
    note_wish,
    request_for,
    without_titles,
)
from agent.turn.events import chunks
from agent.turn.explain_stage import explain_now, follow_up_job
from agent.turn.franchise import film_kin, in_watch_order, of_note
from agent.turn.genre_fit import defining_tones, fit_to_each, origin_films, shared_origin, slate_fit
from agent.turn.lexicon import GORE_FACET, GORE_KIND
from agent.turn.off_tone import either, genres_unknown, hated_genres, parodies_unwished
from agent.turn.plan_stage import (
    PLAN_RESERVE_S as PLAN_RESERVE_S,  # re-export: agent/admission.py reads it here
)
from agent.turn.plan_stage import run_planner
from agent.turn.results import finish_simple
from agent.turn.sequels import named_as_series, with_sequels_disliked, with_series_ruled_out
from agent.turn.series_wish import slate_subject, with_series_wish
from agent.turn.slate import balanced_by_liked, build_slate
from agent.turn.understand import parse
from agent.turn.years import slate_years
from agent.types import ToolCallRecord, TurnResult
from tools.toolbox.agent_tools import ToolOutcome
from tools.toolbox.candidate_bus import CandidateBus

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]
#: the fixed answers to acts that ask for no search ("chit_chat" reads the message: replies.small_talk)
SIMPLE_REPLIES = {"prompt_leak": replies.REFUSE_PROMPT, "other_data": replies.REFUSE_OTHER_DATA,
                  "off_topic": replies.OFF_TOPIC}
#: how deep the ranked list goes before the slate rules cut it to the cards shown
RANK_DEPTH = 40
#: how many films from where the liked films are from join the ranked list (``slate.origin_films``)
ORIGIN_DEPTH = 10


def run_turn(agent: Any, session_id: str, text: str, emit: Emit, t0: float, state: DialogueState,
             turn_index: int, history: list[tuple[str, str]]) -> Callable[[], Any] | None:
    """Run one turn; returns the LLM explanation follow-up to run once the session lock is released."""
    services = agent.services
    cat = services.catalog
    store = agent.store
    last_titles = [cat.get(i).display_title for i in state.last_slate if i in cat]
    # "yes" / "the second one" answers our last question: read the message that raised it, title settled
    pending_answer = PendingClarification.from_dict(state.pending_clarification)
    if settled := answer_to(text, pending_answer, credits=lambda i: cat.get(i).people if i in cat else ()):
        text = settled
        if pending_answer and state.wish_text[-1:] == [pending_answer.text]:
            state.wish_text.pop()  # the message that raised the question, now read with the title settled
    asked_before = state.pending_question
    open_question = asked_before if pending_answer and not settled else ""
    state.pending_clarification, state.pending_question = {}, ""
    u = with_series_wish(parse(text, services.resolver, people=services.people, last_slate=last_titles), text,
                         services.series)  # "a good James Bond movie": a film of the series, no title
    if settled and asked_before:
        # the answered message is read again: the other titles our question already said we don't know
        # ("Which Heat …? I don't know a film called “Zorbulax Returns 3”") are not asked about twice
        u = u.with_(unresolved=tuple(x for x in u.unresolved if f"“{x.surface}”" not in asked_before))
    assumed = ""
    if not settled and (picked := pick_by_context(
            u.unresolved, u.audience or state.constraints.audience, u.genres_liked or state.constraints.tags_include,
            lambda i: cat.get(i).genres if i in cat else None)):
        # "she loved Frozen" after "something for my 6 year old": only one Frozen is for a child
        surface, title = picked
        text = settle(text, surface, title)
        u = parse(text, services.resolver, people=services.people, last_slate=last_titles)
        assumed = replies.assumed_title(surface, title)
    # the films the user says they disliked ("I hated La La Land"), not a series ruled out ("not Mission Impossible")
    hated = [r.item_id for r in u.disliked if not named_as_series(r.surface, text)]
    u = with_sequels_disliked(u, state.liked, cat)  # "… but hated the sequels": which films those are
    u = with_series_ruled_out(u, text, cat)  # "… but not Mission Impossible": the whole series
    if u.kinds_disliked and u.act == "chit_chat" and not u.has_preferences and (
            state.liked or state.constraints.describe()):
        # "too violent" after a thriller slate refines that wish (no slasher films, lead says so); alone,
        # with nothing wished yet, it still gets "tell me a genre …"
        u = u.with_(act="refine")

    def finish(reply: str, intent: str) -> None:
        state.turn_count = turn_index + 1  # the store bumped it when the turn began
        store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
        finish_simple(store, session_id, turn_index, reply, emit, t0, intent=intent)

    if open_question and pending_answer and not u.has_preferences:
        # our question is still open: "no" declines its options (it is not "none of those" about the
        # slate), and a message that neither answers it nor says a wish ("hmm") gets it again
        if declines(text) and len(text.split()) <= 3:
            return finish(replies.NONE_OF_THE_OPTIONS, "clarify")
        if u.act == "chit_chat":
            state.pending_clarification, state.pending_question = pending_answer.to_dict(), open_question
            return finish(replies.ask_again(open_question), "clarify")
    if u.unsupported and not u.has_preferences and not u.unresolved and (
            u.act == "chit_chat" or not (state.liked or state.constraints.describe())):
        # "not french", "something that isn't too bloody" with nothing else to go on: say what we can't do
        return finish(replies.cannot_filter(u.unsupported), u.act)
    if u.act in ANSWER_ONLY_ACTS and not u.has_preferences:  # as agent.turn.dialogue.updates_wish
        return finish(replies.small_talk(text) if u.act == "chit_chat" else SIMPLE_REPLIES[u.act], u.act)
    if u.act == "reject_slate" and not last_titles and not u.has_preferences:
        # "no thanks" before anything was shown turns nothing down ("No problem -- here are different
        # ones" over a first slate read as if the user had been shown one)
        return finish(no_such_card(u, 0), u.act)
    if u.act == "ask_why":
        target = why_target(u, state.last_slate)
        if target is None:
            return finish(no_such_card(u, len(state.last_slate)), "ask_why")
        rank, item_id = target
        rec = _stored_card(store, session_id, item_id)
        reply = why_answer(rank, rec) if rec else no_such_card(u, len(state.last_slate))
        return finish(reply, "ask_why")

    fresh = apply_update(state, u, slate_years(cat, era_reference(state, u)), question=text.rstrip().endswith("?"))
    note_wish(state, text, fresh, u)
    question = question_for(u.unresolved) if u.unresolved else ""
    if question:
        pending = pending_for(text, u.unresolved)
        state.pending_question, state.pending_clarification = question, pending.to_dict() if pending else {}
    resolved_anything = bool(u.liked or u.disliked or u.seen or u.more_like or u.mentioned)
    if question and not resolved_anything and not (u.genres_liked or u.people_liked or u.year_min or u.year_max):
        return finish(question, "clarify")

    bus = CandidateBus(cat)  # the planner's nominations: one more candidate source for the recommender
    trace: list[ToolCallRecord] = []
    stage: dict[str, float] = {}

    def on_outcome(o: ToolOutcome) -> None:
        rec = ToolCallRecord(o.name, o.arguments, round(o.duration_ms, 2), o.ok, o.content[:300], o.error)
        trace.append(rec)
        emit("tool_end", rec.to_dict())

    # the films turned down are no words to search by ("hated La La Land" found musicals)
    req = request_for(state, without_titles(state.wish_text, [*(r.surface for r in u.disliked),
                                                               *(cat.get(i).title for i in state.disliked if i in cat)]))
    plan = run_planner(agent, text, state, history, bus, req.query_text, emit, on_outcome, t0)
    stage.update(plan.stage)
    degraded, model_down, plan_note = plan.degraded, plan.model_down, plan.note

    t2 = time.perf_counter()
    emit("tool_start", {"tool": "recommend", "arguments": {"request": _brief(req)}})
    # with the best films of an asked genre beyond the top ones: the slate orders by fit (build_slate)
    ranked = services.recommender.recommend(req, k=RANK_DEPTH, extra=bus.ids(), genre_depth=RANK_DEPTH)
    subject = slate_subject(services.recommender, cat, req, state.wish_text, services.series)
    if about := subject.films:  # "about dogs", "a James Bond movie": those films, ranked alike, lead the list
        ranked = [*services.recommender.recommend(req, k=len(about), only=about),
                  *(r for r in ranked if r.item_id not in about)]
    # the films the slate is like (the anchor, else the films loved now or by the slate refined); two such
    # films take turns ("I loved Toy Story and The Godfather")
    focus_liked = [i for i in liked_the_slate_fits(state, u, fresh) if i in cat]
    state.slate_liked = focus_liked
    ranked = ranked if about else balanced_by_liked(services.recommender, req, ranked, focus_liked)
    if not about and (origin := origin_films(services.recommender, shared_origin(cat, focus_liked))):
        # "I loved Oldboy": the best films from where it is from join the list (same scores), and the slate's
        # fit puts them first among their look-alikes (``genre_fit.genre_fit``'s ``origin``)
        listed = {r.item_id for r in ranked}
        ranked = [*ranked, *(r for r in services.recommender.recommend(req, k=ORIGIN_DEPTH, only=origin)
                             if r.item_id not in listed)]
    rec_ms = (time.perf_counter() - t2) * 1000
    rec_record = ToolCallRecord("recommend", {"request": _brief(req), "planner_nominations": len(bus)},
                                round(rec_ms, 2), True, f"{len(ranked)} ranked", None)
    trace.append(rec_record)
    emit("tool_end", rec_record.to_dict())
    stage["recommend_ms"] = rec_ms
    stage["tools_ms"] = sum(t.duration_ms for t in trace)
    by_id = {r.item_id: r for r in ranked}
    # a film named ambiguously ("a horror movie like It") is none of the cards, whichever one was meant
    ambiguous = [c.item_id for x in u.unresolved if x.reason == "ambiguous" for c in x.candidates]
    taken = [cat.get(i).title for i in (*state.excluded_ids(), *ambiguous) if i in cat]
    def kin(item_id: str) -> frozenset[str]:  # a film's franchise, with the series the catalog names for it
        return film_kin(cat.get(item_id))

    ordered = in_watch_order([r.item_id for r in ranked], lambda i: cat.get(i).title, lambda i: cat.get(i).year,
                             [(i, cat.get(i).year) for i in state.liked if i in cat], of_note=of_note(cat), kin_of=kin)
    # "none of those" after Aliens and Alien 3: not Alien: Resurrection next (unless the Alien films were asked for)
    turned_down = () if subject.series else [i for i in state.rejected if i in cat]
    slate = build_slate(ordered, lambda i: cat.get(i).title,
                        size=agent.settings.recs_per_turn, taken_titles=taken,
                        per_franchise=subject.per_franchise(agent.settings.recs_per_turn),
                        wanted=slate_fit(fit_to_each(req, state.constraints.moods, cat, focus_liked,
                                                     defining_tones(services.recommender, cat, focus_liked)),
                                         (lambda i: int(i in about)) if about else None),
                        relaxed=lambda i: bool(by_id[i].relaxed), kin_of=kin, turned_down=turned_down,
                        off_tone=either(parodies_unwished(req, state.constraints.moods, cat),
                                        hated_genres(cat, hated, req.liked, req.genres_include),
                                        genres_unknown(cat, req.genres_exclude)))
    # the ranker's account (SHAP contributions, supporters) only for the films shown
    by_id.update((r.item_id, r) for r in services.recommender.explain(req, [by_id[i] for i in slate]))

    cards = make_cards(agent, session_id, turn_index, slate, by_id, req, state, emit)
    stage["first_card_ms"] = (time.perf_counter() - t0) * 1000
    state.record_shown([c.item_id for c in cards])

    # the slate is like the film this wish is anchored on ("something like X", then "older"), else it
    # follows the films the request is built on; a title typed on its own ("The Matrix"), or the one film
    # a question asks about ("Is The Matrix any good?"), is what the request was built on when nothing is liked
    focus = [cat.get(i).title for i in state.focus if i in state.liked and i in cat]
    bare = text.strip(" .!?\"'“”").casefold()
    asked = len(u.mentioned) == 1 and text.rstrip().endswith("?") and not req.liked
    typed_alone = [r for r in u.mentioned if r.item_id in req.recent and (r.surface.casefold() == bare or asked)]
    anchor = u.more_like[0].title if u.more_like else (focus[0] if focus else (
        typed_alone[0].title if typed_alone and not req.liked else None))
    cited = replies.liked_films_cited(cards, req.liked, [r.item_id for r in u.liked])
    named_liked = [cat.get(i).display_title for i in cited if i in cat]
    lead = replies.NOTHING_FOUND if not cards else (replies.film_facts(cat.get(typed_alone[0].item_id)) + " "
                                                      if asked and typed_alone else "") + replies.slate_lead(
        len(cards), named_liked, anchor,
        "; ".join(x for x in (state.constraints.describe(getattr(services.people, "canonical", None)),
                              subject.label) if x)) + subject.note([c.item_id for c in cards])
    n_unmet, left_out = replies.unmet_wishes([by_id[c.item_id] for c in cards], req)
    if left_out:
        lead += " " + replies.relaxed_note(len(cards) - n_unmet, n_unmet, left_out)
    facets = u.unsupported
    if GORE_FACET in facets and GORE_KIND in (*u.kinds, *u.kinds_disliked) and cards:
        # read as its nearest fact (lexicon.GORE_RE): say which, instead of "not chosen by that"
        facets = tuple(f for f in facets if f != GORE_FACET)
        lead += " " + replies.gore_note(wanted=GORE_KIND in u.kinds)
    if facets and cards:
        lead += " " + replies.unsupported_note(facets)
    if u.act == "reject_slate" and cards and last_titles:
        lead = "No problem — here are different ones. " + lead
    if assumed and cards:
        lead = f"{assumed} {lead}"
    if question:
        lead = f"{question}\n\n{lead}"
    if model_down or plan.model_busy:
        note = (replies.LIMITED_MODE_NOTE if model_down else
                replies.SLOW_NOTE if plan.refusal == REFUSED_SLOW else replies.BUSY_NOTE)
        lead = f"{note}\n\n{lead}"
    for chunk in chunks(lead):
        emit("text_delta", {"text": chunk})

    t3 = time.perf_counter()
    bundles = [c.evidence["bundle"] for c in cards]
    cards = explain_now(agent, cards, emit)
    stage["explain_ms"] = (time.perf_counter() - t3) * 1000

    state.turn_count = turn_index + 1  # the store bumped it when the turn began
    state.last_query = req.query_text
    store.end_turn(session_id, turn_index, state.to_dict(), state.turn_count, [t.to_dict() for t in trace], lead,
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


def _stored_card(store: Any, session_id: str, item_id: str) -> dict[str, Any] | None:
    """The latest stored recommendation of ``item_id`` in this session (with its explanation)."""
    for m in reversed(store.messages(session_id)):
        for rec_id in (m.get("metadata") or {}).get("rec_ids", []) if m["role"] == "assistant" else []:
            rec = store.recommendation(rec_id)
            if rec["item_id"] == item_id:
                return rec
    return None
