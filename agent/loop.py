"""The dialogue loop: one ``turn(session_id, text)`` from user text to checked recommendations.

Data flow (see ../shared/design.md): load state -> deterministic understanding ->
LLM plan (strict tool calls) or, when the LLM is unreachable, a deterministic plan ->
candidate bus -> scorer -> slate -> evidence -> explanations (checked) -> persist.
Events stream out as they happen (tool calls, cards, explanations, reply text), so the
first card is visible before the explanations are written.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

from agent import replies
from agent.admission import GatedStrategy, LLMAdmissionMixin, LLMGate, TurnAdmission
from agent.explaining import plain_tags
from agent.prompts import PROMPT_VERSION, planning_messages
from agent.recommender_assets import DialogueReader
from agent.session_guard import SessionGuard
from agent.settings import Settings
from agent.state import DialogueState
from agent.store import Store
from agent.strategies import make_strategy
from agent.turn.events import ObservedToolbox, card_dict, chunks
from agent.turn.runner import run_turn
from agent.types import FEEDBACK_KINDS, RecCard, ToolCallRecord, TurnEvent, TurnResult
from agent.understanding import Understanding, understand
from tools.agent_tools import Toolbox, ToolOutcome, ToolServices
from tools.candidates import CandidateBus
from tools.errors import InputError, LLMUnavailableError, RateLimitedError, WhyRecError

log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: explainer(bundles, degraded, deadline_s=None|seconds) -> [{"text", "path", "check": {...}, "lines": [...]}]
Explainer = Callable[[list[Any], bool], list[dict[str, Any]]]
#: evidence_builder(item, candidate, context, scorers, toolbox) -> EvidenceBundle
EvidenceBuilder = Callable[..., Any]


class WhyRecAgent(LLMAdmissionMixin):
    """Implements ``agent.types.ChatAgent``. All dependencies are injected."""

    def __init__(
        self,
        *,
        chat_model: Any | None,
        services: ToolServices,
        store: Store,
        settings: Settings,
        explainer: Explainer,
        evidence_builder: EvidenceBuilder,
        versions: dict[str, Any] | None = None,
        tool_mode: str = "required",
        online_learner: Callable[[list[dict[str, Any]]], Any] | None = None,
        plan_timeout_s: float = 6.0,
        degrade_cooldown_s: float = 10.0,
    ) -> None:
        self.chat_model = chat_model
        self.services = services
        self.store = store
        self.settings = settings
        self.explainer = explainer
        self.evidence_builder = evidence_builder
        self.tool_mode = tool_mode
        # admission control and the shared breaker (agent/admission.py); limits and locks (agent/session_guard.py)
        self.gate = LLMGate(store, max_inflight=settings.llm_max_inflight,
                            probe_interval_s=settings.llm_probe_interval_s)
        self.admission = TurnAdmission(self.gate, self._plan_budget)
        self.guard = SessionGuard(store, settings)
        self.strategy = (GatedStrategy(make_strategy(tool_mode, chat_model, settings.max_tool_calls_per_turn,
                                                     settings.llm_plan_retries), self.gate,
                                       self.admission.slot_for_call) if chat_model else None)
        self.versions = {**(versions or {}), "prompt": PROMPT_VERSION,
                         "strategy": self.strategy.name if self.strategy else "deterministic"}
        self.online_learner = online_learner
        self.plan_timeout_s = plan_timeout_s
        self.degrade_cooldown_s = degrade_cooldown_s
        self.reader = (DialogueReader(services.resolver, services.people, services.catalog)
                       if services.recommender is not None else None)

    # -- ChatAgent ------------------------------------------------------------------------------
    def new_session(self, user_id: str | None = None, *, client: str | None = None) -> str:
        """A new session; ``client`` (the peer address, from the API) is throttled per minute."""
        if client is not None:
            self.guard.check_new_session(client)
        return self.store.create_session(user_id=user_id)

    def history(self, session_id: str) -> list[dict[str, Any]]:
        return [{"role": m["role"], "content": m["content"], "turn_index": m["turn_index"]}
                for m in self.store.messages(session_id) if m["role"] in ("user", "assistant")]

    def turn(self, session_id: str, text: str) -> TurnResult:
        final: dict[str, Any] | None = None
        for ev in self.stream_turn(session_id, text):
            if ev.kind == "final":
                final = ev.data
                break  # LLM explanations that stream in later are stored; this call answers now
        if final is None:  # pragma: no cover - stream_turn always ends with final
            raise WhyRecError("the turn ended without a result")
        return _result_from_dict(final)

    def stream_turn(self, session_id: str, text: str) -> Iterator[TurnEvent]:
        """Run the turn in a worker thread and yield its events as they happen."""
        q: queue.Queue[TurnEvent | None] = queue.Queue()

        def emit(kind: str, data: dict[str, Any]) -> None:
            q.put(TurnEvent(kind, data))  # type: ignore[arg-type]

        def work() -> None:
            follow_up = None
            try:
                follow_up = self._run_turn(session_id, text, emit)
            except Exception as exc:  # noqa: BLE001 - last line of defence: the user gets a friendly reply
                log.exception("turn failed")
                msg = str(exc) if isinstance(exc, WhyRecError) else "Sorry, something went wrong on my side."
                emit("final", _error_result(session_id, msg))
            try:
                if callable(follow_up):  # LLM explanations, after the answer and outside the session lock
                    self._follow_up(follow_up)
            except Exception:  # noqa: BLE001 - the answer stands with its checked templates
                log.exception("explanation follow-up failed")
            finally:
                q.put(None)

        threading.Thread(target=work, name=f"turn-{session_id[:6]}", daemon=True).start()
        while (ev := q.get()) is not None:
            yield ev

    def record_feedback(self, session_id: str, rec_id: str, kind: str) -> None:
        """Store and apply one feedback: rate-limited, counted once per card and kind, RL-bounded.

        Only a card's first feedback reaches the online RL update, within the session's budget
        (agent/session_guard.py): replayed or toggled clicks cannot steer the shared policy.
        """
        if kind not in FEEDBACK_KINDS:
            raise InputError(f"feedback must be one of {', '.join(FEEDBACK_KINDS)}")
        self.guard.check_feedback(session_id)
        self.store.add_feedback(rec_id, kind, session_id=session_id, unique=True)
        rec = self.store.recommendation(rec_id)
        with self.guard.session_lock(session_id):
            state = DialogueState.from_dict(self.store.load_state(session_id))
            {"like": state.like, "accept": state.like, "watched": state.mark_seen,
             "dislike": state.reject}[kind](rec["item_id"])
            self.store.save_state(session_id, state.to_dict())
        first_on_card = len(rec.get("feedback") or ()) <= 1
        if self.online_learner is not None and first_on_card and self.guard.allow_rl_update(session_id):
            try:
                self.online_learner([{"item_id": rec["item_id"], "kind": kind,
                                      "features": rec["scores"].get("features", {}), "rec_id": rec_id}])
            except Exception:  # noqa: BLE001 - learning must never break feedback
                log.exception("online RL update failed")

    def rank_candidates(self, text: str, *, history: list[tuple[str, str]] = (), k: int = 50,
                        use_llm: bool = False, exclude_mentioned: bool = True) -> list[str]:
        """Rank catalog ids for a dialogue context through the same pipeline, persisting nothing.

        For benchmarks (ReDial protocol): ``history`` is [(role, text)], the earlier turns; their
        titles and preferences are tracked exactly as in a live session. With ``use_llm`` the
        model plans the retrieval; otherwise the deterministic plan runs (the limited-mode path).
        """
        if k < 1:
            raise InputError("k must be at least 1")
        if self.reader is not None:  # the recommender pipeline: the same request a live turn builds
            req = self.reader.request([*history, ("user", text)], exclude_mentioned=exclude_mentioned)
            return [r.item_id for r in self.services.recommender.recommend(req, k=k)]
        state = DialogueState()
        for role, past in history:
            if role == "user":
                self._apply_understanding(state, understand(past, self.services.resolver))
            else:  # titles the recommender already mentioned count as mentioned
                for m in self.services.resolver.find(past):
                    state.mention(m.item_id)
        u = understand(text, self.services.resolver)
        self._apply_understanding(state, u)
        if not exclude_mentioned:
            state.mentioned.clear()
            state.seen.clear()
        bus = CandidateBus(self.services.catalog)
        query = self._default_query(text, state, u)
        toolbox = Toolbox(self.services, state, bus, default_query=query, user_text=text)
        if use_llm and self.strategy is not None:
            try:
                self.strategy.plan(planning_messages(text, self._state_summary(state), list(history)), toolbox,
                                   self.plan_timeout_s)
            except Exception as exc:  # noqa: BLE001 - benchmarks measure the fallback too
                log.warning("planning failed in rank_candidates: %s", exc)
        depth = min(100, max(k, 50))
        if u.anchor is not None and self.services.retriever is not None:
            toolbox.run("similar_items", {"title": u.anchor.title, "k": depth})
        if self.services.retriever is not None:
            toolbox.run("search_items", {"query": query[:500] or text[:500] or "movie", "k": depth})
        if len(bus):
            toolbox.run("score_candidates", {"scorer": "default"})
        excluded = state.excluded_ids() if exclude_mentioned else set(state.disliked)
        cat = self.services.catalog
        named = {_title_key(cat.get(i).title) for i in excluded if i in cat} if exclude_mentioned else set()
        return [c.item_id for c in bus.ranked()
                if c.item_id not in excluded and _title_key(cat.get(c.item_id).title) not in named][:k]

    # -- the turn ---------------------------------------------------------------------------------
    def warm_up(self) -> float | None:
        """One throwaway planning call (no session, nothing stored); returns its seconds or None.

        Why: the server compiles the tool grammar and prefills the system prompt and few-shot
        examples on the first planning request it sees (measured ~2 s instead of ~0.6 s); a
        long-running entry point pays that at start-up instead of on its first user's first turn.
        """
        if self.strategy is None:
            return None
        t0 = time.perf_counter()
        state = DialogueState()
        toolbox = Toolbox(self.services, state, CandidateBus(self.services.catalog), default_query="a good movie",
                          user_text="a good movie")
        try:
            self.strategy.plan(planning_messages("a good movie", "", []), toolbox, self.plan_timeout_s)
        except Exception as exc:  # noqa: BLE001 - a cold or absent server only means no warm-up
            log.info("planner warm-up skipped: %s", exc)
            return None
        return time.perf_counter() - t0

    def _run_turn(self, session_id: str, text: str,
                  emit: Callable[[str, dict[str, Any]], None]) -> Callable[[], Any] | None:
        """One turn under admission control; its final event says how the LLM was used (``llm``)."""
        t0 = time.perf_counter()
        with self.admission.turn(t0, emit) as ctx:

            def emit_with_llm(kind: str, data: dict[str, Any]) -> None:
                if kind == "final":
                    data = {**data, "llm": self._llm_outcome(ctx.outcome, data)}
                emit(kind, data)

            return self._turn_body(session_id, text, emit_with_llm, t0)

    def _turn_body(self, session_id: str, text: str, emit: Callable[[str, dict[str, Any]], None],
                   t0: float) -> Callable[[], Any] | None:
        stage: dict[str, float] = {}
        self.store.session(session_id)  # unknown session -> NotFoundError (friendly line)
        text = _CONTROL.sub(" ", text or "").strip()
        if not text:
            return self._finish_simple(session_id, None, replies.EMPTY_MESSAGE, emit, t0, store_user=False)
        if len(text) > self.settings.max_message_chars:
            return self._finish_simple(session_id, None, replies.too_long(self.settings.max_message_chars), emit, t0,
                                       store_user=False)
        try:
            self.guard.check_turn(session_id)
        except RateLimitedError as exc:
            return self._finish_simple(session_id, None, str(exc), emit, t0, store_user=False, intent="rate_limited")

        with self.guard.session_lock(session_id):
            state = DialogueState.from_dict(self.store.load_state(session_id))
            turn_index = state.turn_count
            history = [(m["role"], m["content"]) for m in self.store.messages(session_id, limit=6)]
            self.store.add_message(session_id, turn_index, "user", text)
            if self.services.recommender is not None:
                return run_turn(self, session_id, text, emit, t0, state, turn_index, history)
            u = understand(text, self.services.resolver)
            self._apply_understanding(state, u)
            if u.intent in ("prompt_leak", "other_data", "greeting", "off_topic"):
                reply = {"prompt_leak": replies.REFUSE_PROMPT, "other_data": replies.REFUSE_OTHER_DATA,
                         "greeting": replies.GREETING, "off_topic": replies.OFF_TOPIC}[u.intent]
                state.turn_count += 1
                self.store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
                return self._finish_simple(session_id, turn_index, reply, emit, t0, store_user=False,
                                           intent=u.intent)

            bus = CandidateBus(self.services.catalog)
            query = self._default_query(text, state, u)
            toolbox = Toolbox(self.services, state, bus, default_query=query, user_text=text)
            trace: list[ToolCallRecord] = []

            def on_outcome(o: ToolOutcome) -> None:
                rec = ToolCallRecord(o.name, o.arguments, round(o.duration_ms, 2), o.ok, o.content[:300], o.error)
                trace.append(rec)
                emit("tool_end", asdict(rec))

            degraded = False
            plan_note = ""
            if self.strategy is not None and time.monotonic() >= self._llm_down_until:
                t1 = time.perf_counter()
                try:
                    msgs = planning_messages(text, self._state_summary(state), history)
                    emit("status", {"degraded": False, "message": "thinking"})
                    result = self.strategy.plan(msgs, ObservedToolbox(toolbox, on_outcome, emit), self.plan_timeout_s)
                    plan_note = result.message or ""
                except LLMUnavailableError as exc:
                    log.warning("LLM unavailable, degrading: %s", exc)
                    degraded = True
                    self._llm_down_until = time.monotonic() + self.degrade_cooldown_s
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
                if u.anchor is not None and self.services.retriever is not None:
                    obs.run("similar_items", {"title": u.anchor.title, "k": 30})
                if not len(bus) and self.services.retriever is not None:
                    obs.run("search_items", {"query": query[:500], "k": 30})
            if len(bus):
                obs.run("score_candidates", {"scorer": "default"})
            stage["tools_ms"] = sum(t.duration_ms for t in trace)
            stage["pipeline_ms"] = (time.perf_counter() - t2) * 1000

            slate = self._slate(bus, toolbox, state)
            cards = self._persist_cards(session_id, turn_index, slate, bus, toolbox, emit)
            stage["first_card_ms"] = (time.perf_counter() - t0) * 1000
            state.record_shown([c.item_id for c in cards])
            lead = replies.NOTHING_FOUND if not cards else replies.slate_lead(
                len(cards), [self.services.catalog.get(i).display_title for i in state.liked],
                self.services.catalog.get(u.anchor.item_id).display_title if u.anchor else None,
                state.constraints.describe())
            if degraded:
                lead = f"{replies.LIMITED_MODE_NOTE}\n\n{lead}"
            for chunk in chunks(lead):
                emit("text_delta", {"text": chunk})

            t3 = time.perf_counter()
            budget_left = (None if self.settings.turn_budget_s is None
                           else max(0.0, self.settings.turn_budget_s - (time.perf_counter() - t0)))
            cards = self._explain(cards, degraded or time.monotonic() < self._llm_down_until, emit, budget_left)
            stage["explain_ms"] = (time.perf_counter() - t3) * 1000

            state.turn_count += 1
            state.last_query = query
            self.store.save_state(session_id, state.to_dict(), turn_count=state.turn_count)
            for t in trace:
                self.store.add_tool_call(session_id, turn_index, t.tool, t.arguments, t.duration_ms, t.ok,
                                         t.result_summary, t.error)
            self.store.add_message(session_id, turn_index, "assistant", lead,
                                   {"rec_ids": [c.rec_id for c in cards], "degraded": degraded,
                                    "plan_note": plan_note[:500]})
            total = (time.perf_counter() - t0) * 1000
            result = TurnResult(session_id, turn_index, lead, tuple(cards), tuple(trace), degraded, round(total, 1),
                                {k: round(v, 1) for k, v in stage.items()})
            emit("final", result.to_dict())
        return None

    # -- helpers ----------------------------------------------------------------------------------
    def _apply_understanding(self, state: DialogueState, u: Understanding) -> None:
        for m in u.liked:
            state.like(m.item_id)
        for m in u.disliked:
            state.dislike(m.item_id)
        for m in u.seen:
            state.mark_seen(m.item_id)
        for m in u.mentioned:
            state.mention(m.item_id)
        c = state.constraints
        if u.year_min is not None or u.year_max is not None:
            c.year_min, c.year_max = u.year_min, u.year_max
        shown_years = sorted(y for y in (self.services.catalog.get(i).year for i in state.shown[-10:]) if y)
        if u.older and not u.year_max:
            c.year_max = (shown_years[len(shown_years) // 2] - 1) if shown_years else 1995
            c.year_min = None if c.year_min and c.year_min > c.year_max else c.year_min
        if u.newer and not u.year_min:
            c.year_min = (shown_years[len(shown_years) // 2] + 1) if shown_years else 2010
            c.year_max = None if c.year_max and c.year_max < c.year_min else c.year_max
        for t in u.tags_exclude:
            if t in c.tags_include:
                c.tags_include.remove(t)
            if t not in c.tags_exclude:
                c.tags_exclude.append(t)
        for t in u.tags_include:
            if t in c.tags_exclude:
                c.tags_exclude.remove(t)
            if t not in c.tags_include:
                c.tags_include.append(t)
        c.tags_include[:] = c.tags_include[-3:]
        try:
            c.validate()
        except InputError:
            c.year_min, c.year_max = c.year_max, c.year_min

    def _default_query(self, text: str, state: DialogueState, u: Understanding) -> str:
        liked = [self.services.catalog.get(i) for i in state.liked[-3:]]
        extra: list[str] = []
        for it in liked:
            extra.extend((*it.genres[:2], *it.tags[:3]))
        extra.extend(state.constraints.tags_include)
        seen = set(text.lower().split())
        words = [w for w in dict.fromkeys(extra) if w and w.lower() not in seen]
        return " ".join([text, *words]).strip()[:500]

    def _state_summary(self, state: DialogueState) -> str:
        cat = self.services.catalog
        parts = []
        if state.liked:
            parts.append("liked " + ", ".join(cat.get(i).display_title for i in state.liked[-5:]))
        if state.disliked:
            parts.append("disliked " + ", ".join(cat.get(i).display_title for i in state.disliked[-5:]))
        if d := state.constraints.describe():
            parts.append("constraints " + d)
        return "; ".join(parts)

    def _slate(self, bus: CandidateBus, toolbox: Toolbox, state: DialogueState) -> list[str]:
        excluded = state.excluded_ids()
        c = state.constraints
        cat = self.services.catalog

        def ok(i: str) -> bool:
            y = cat.get(i).year
            if c.year_min is not None and (y is None or y < c.year_min):
                return False
            return not (c.year_max is not None and (y is None or y > c.year_max))

        # the catalog lists some films twice (with and without a year): a title the user already
        # named, or one already on this slate, is the same film and never a recommendation
        taken_titles = {_title_key(cat.get(i).title) for i in excluded if i in cat}

        def fresh(i: str) -> bool:
            return i not in excluded and ok(i) and _title_key(cat.get(i).title) not in taken_titles

        chosen: list[str] = []
        picks = [i for i in toolbox.final.item_ids if i in bus] if toolbox.final is not None else []
        for item_id in [*picks, *(c.item_id for c in bus.ranked())]:  # the model's picks first
            if len(chosen) >= self.settings.recs_per_turn:
                break
            if item_id not in chosen and fresh(item_id):
                chosen.append(item_id)
                taken_titles.add(_title_key(cat.get(item_id).title))
        return chosen

    def _persist_cards(self, session_id: str, turn_index: int, slate: list[str], bus: CandidateBus,
                       toolbox: Toolbox, emit: Callable[[str, dict[str, Any]], None]) -> list[RecCard]:
        cards = []
        ctx = getattr(toolbox, "last_context", None) or toolbox.scoring_context()
        for rank, item_id in enumerate(slate, 1):
            item = self.services.catalog.get(item_id)
            cand = bus.get(item_id)
            bundle = self.evidence_builder(item=item, candidate=cand, context=ctx, toolbox=toolbox,
                                           versions=self.versions, filters=asdict(toolbox.state.constraints))
            features = self._policy_features(ctx, item_id)
            rec_id = self.store.add_recommendation(
                session_id=session_id, turn_index=turn_index, item_id=item_id, rank=rank, title=item.display_title,
                scores={**cand.scores, "final": cand.final_score, "retrieval": cand.retrieval_score,
                        "features": features, "sources": cand.sources},
                evidence=bundle.to_dict(), versions=self.versions)
            card = RecCard(rec_id, item_id, item.title, item.year, plain_tags(item.tags)[:6], rank,
                           round(cand.final_score, 4), "", "pending", False, (), {"bundle": bundle})
            cards.append(card)
            emit("recommendation", card_dict(card))
        return cards

    def _policy_features(self, ctx: Any, item_id: str) -> dict[str, float]:
        """The RL policy's input features for this item (what its online update learns from)."""
        rl = self.services.scorers.get("rl")
        if rl is not None:
            try:
                feats = rl.evidence(ctx, item_id).details.get("features")
                if feats:
                    return {k: float(v) for k, v in feats.items()}
            except Exception:  # noqa: BLE001 - fall back to the raw channels
                log.exception("RL evidence failed for %s", item_id)
        return {ch: float(vals[item_id]) for ch, vals in ctx.features.items() if item_id in vals}

    def _explain(self, cards: list[RecCard], degraded: bool, emit: Callable[[str, dict[str, Any]], None],
                 budget_left_s: float | None = None) -> list[RecCard]:
        """Checked explanations; ``budget_left_s`` is what remains of the turn's time budget."""
        if not cards:
            return cards
        bundles = [c.evidence["bundle"] for c in cards]
        explained = self.explainer(bundles, degraded, deadline_s=budget_left_s)
        out = []
        for card, exp in zip(cards, explained, strict=True):
            self.store.add_explanation(card.rec_id, exp["text"], exp["path"], exp["check"])
            new = RecCard(card.rec_id, card.item_id, card.title, card.year, card.tags, card.rank, card.score,
                          exp["text"], exp["path"], bool(exp["check"].get("passed")), tuple(exp.get("lines", ())),
                          card.evidence["bundle"].to_dict())
            emit("explanation", {"rec_id": new.rec_id, "explanation": new.explanation,
                                 "explanation_path": new.explanation_path, "check_passed": new.check_passed,
                                 "evidence_lines": list(new.evidence_lines)})
            out.append(new)
        return out

    def _finish_simple(self, session_id: str, turn_index: int | None, reply: str,
                       emit: Callable[[str, dict[str, Any]], None], t0: float, *, store_user: bool,
                       intent: str = "") -> None:
        if turn_index is not None:
            self.store.add_message(session_id, turn_index, "assistant", reply, {"intent": intent})
        for chunk in chunks(reply):
            emit("text_delta", {"text": chunk})
        final = TurnResult(session_id, turn_index if turn_index is not None else -1, reply, (), (), False,
                           round((time.perf_counter() - t0) * 1000, 1)).to_dict()
        emit("final", {**final, "intent": intent} if intent else final)  # "rate_limited" -> HTTP 429 in ui/api.py


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def _error_result(session_id: str, message: str) -> dict[str, Any]:
    return TurnResult(session_id, -1, message, (), (), False, 0.0).to_dict()


def _result_from_dict(d: dict[str, Any]) -> TurnResult:
    cards = tuple(RecCard(**{**c, "tags": tuple(c["tags"]), "evidence_lines": tuple(c["evidence_lines"])})
                  for c in d["recommendations"])
    trace = tuple(ToolCallRecord(**t) for t in d["tool_trace"])
    return TurnResult(d["session_id"], d["turn_index"], d["reply"], cards, trace, d["degraded"], d["latency_ms"],
                      d.get("stage_ms", {}))
