"""The dialogue loop: one ``turn(session_id, text)`` from user text to checked recommendations.

This module is the orchestrator a newcomer reads first. It owns the session side of a turn and
hands the turn's logic to one pipeline:

1. admission (agent/admission.py): may this turn use the LLM, and for how long;
2. the message: control characters stripped; empty or too long -> a short answer;
3. limits (agent/session_guard.py): per-session rate limit, then the per-session lock;
4. the state: loaded from the store; the user's message stored under the turn's index, which
   the store hands out in the same transaction (``Store.start_turn``: never reused after a crash);
5. the pipeline: agent/turn/runner.py (understand -> acts -> state update -> request ->
   planner -> recommender -> slate -> cards -> explanations -> persist); an install without a
   trained ranker runs the same pipeline on the starter recommender (tools/recsys/starter.py);
6. after the lock is released, the LLM explanation follow-up (agent/turn/explain_stage.py).

Events stream out of a worker thread as they happen (agent/turn_thread.py), so the first card
is visible before the explanations are written.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from agent import feedback, replies
from agent.admission import GatedStrategy, LLMAdmissionMixin, TurnAdmission
from agent.llm_gate import LLMGate
from agent.prompts import PROMPT_VERSION
from agent.recommender_assets import DialogueReader
from agent.session_guard import SessionGuard
from agent.settings import Settings
from agent.state import DialogueState
from agent.store.db import Store
from agent.strategies import make_strategy
from agent.turn.plan_stage import warm_up
from agent.turn.results import finish_simple
from agent.turn.runner import run_turn
from agent.turn_thread import Workers, stream_in_worker
from agent.types import TurnEvent, TurnResult
from tools.errors import InputError, ModelNotReadyError, RateLimitedError, WhyRecError
from tools.toolbox.agent_tools import ToolServices

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Emit = Callable[[str, dict[str, Any]], None]


class Explainer(Protocol):
    """What a turn asks of its explainer (agent/explaining.CheckedExplainer; used in agent/turn/explain_stage.py).

    ``templates(bundles)`` -> every card's checked template at once, [{"text", "path", "check": {...},
    "lines": [...]}]; ``follow_up(bundles, on_passed, deadline_s, on_refused)`` -> the LLM texts that pass
    the check within ``deadline_s``, each handed to ``on_passed(i, dict)``; counts by outcome.
    """

    @property
    def can_follow_up(self) -> bool: ...

    def templates(self, bundles: list[Any]) -> list[dict[str, Any]]: ...

    def follow_up(self, bundles: list[Any], on_passed: Any, deadline_s: float,
                  on_refused: Any = None) -> dict[str, int]: ...


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
        if services.recommender is None:
            raise ModelNotReadyError("the agent needs a recommender: pass recommender_assets.load(...) (trained, "
                                     "`whyrec train ranker`) or tools.recsys.starter.starter_recommender(catalog, "
                                     "retriever=...) in ToolServices")
        self.explainer = explainer
        self.tool_mode = tool_mode
        # admission control (agent/admission.py) and the shared breaker (agent/llm_gate.py); limits and
        # locks (agent/session_guard.py)
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
        # half-open breaker: the model is warmed before turns use it again (a cool-down of 0 means every
        # turn tries the model itself, as evaluation runs ask: no hold)
        if self.strategy is not None and degrade_cooldown_s > 0:
            self.gate.enable_recovery(lambda: self.warm_up() is not None, cooldown_s=degrade_cooldown_s,
                                      hold_s=settings.llm_warm_up_timeout_s * len(settings.llm_base_urls) + 5.0)
        self.reader = DialogueReader(services.resolver, services.people, services.catalog)
        self.workers = Workers()  # turn threads still running (an explanation follow-up outlives ``final``)

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
        return TurnResult.from_dict(final)

    def stream_turn(self, session_id: str, text: str) -> Iterator[TurnEvent]:
        """Run the turn in a worker thread and yield its events as they happen."""
        return stream_in_worker(session_id, lambda emit: self._run_turn(session_id, text, emit), self._follow_up,
                                self.workers)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Wait until no turn (or its explanation follow-up) is running; False if ``timeout_s`` passed
        first. Call before closing the store."""
        return self.workers.wait_idle(timeout_s)

    def record_feedback(self, session_id: str, rec_id: str, kind: str) -> None:
        """Store and apply one feedback (agent/feedback.py)."""
        feedback.record_feedback(self.store, self.guard, self.online_learner, session_id, rec_id, kind)

    def rank_candidates(self, text: str, *, history: list[tuple[str, str]] = (), k: int = 50,
                        exclude_mentioned: bool = True) -> list[str]:
        """Rank catalog ids for a dialogue context through the same pipeline, persisting nothing.

        For benchmarks (ReDial protocol): ``history`` is [(role, text)], the earlier turns; their
        titles and preferences are tracked exactly as in a live session, and the request is the one
        a live turn builds. No LLM is called: the planner's nominations need a live turn's budget and
        are not part of this ranking.
        """
        if k < 1:
            raise InputError("k must be at least 1")
        req = self.reader.request([*history, ("user", text)], exclude_mentioned=exclude_mentioned)
        return [r.item_id for r in self.services.recommender.recommend(req, k=k)]

    def warm_up(self) -> float | None:
        """One throwaway planning call per LLM server (agent/turn/plan_stage.py), at start-up and when
        the breaker's cool-down ends; the slowest one's seconds, or None when none answered. Each may take
        ``llm_warm_up_timeout_s``: a cold server's first planning call compiles the tool grammar."""
        return warm_up(self.strategy, self.services, self.settings.llm_warm_up_timeout_s,
                       len(self.settings.llm_base_urls))

    # -- the turn ---------------------------------------------------------------------------------
    def _run_turn(self, session_id: str, text: str, emit: Emit) -> Callable[[], Any] | None:
        """One turn under admission control; its final event says how the LLM was used (``llm``)."""
        t0 = time.perf_counter()
        with self.admission.turn(t0, emit) as ctx:

            def emit_with_llm(kind: str, data: dict[str, Any]) -> None:
                if kind == "final":
                    data = {**data, "llm": self._llm_outcome(ctx.outcome, data)}
                emit(kind, data)

            return self._turn_body(session_id, text, emit_with_llm, t0)

    def _turn_body(self, session_id: str, text: str, emit: Emit, t0: float) -> Callable[[], Any] | None:
        """Session checks, then the pipeline under the session lock; returns the follow-up job, if any."""
        self.store.session(session_id)  # unknown session -> NotFoundError (friendly line)
        text = _CONTROL.sub(" ", text or "").strip()
        if not text:
            return finish_simple(self.store, session_id, None, replies.EMPTY_MESSAGE, emit, t0)
        if len(text) > self.settings.max_message_chars:
            return finish_simple(self.store, session_id, None, replies.too_long(self.settings.max_message_chars),
                                 emit, t0)
        try:
            self.guard.check_turn(session_id)
        except RateLimitedError as exc:
            return finish_simple(self.store, session_id, None, str(exc), emit, t0, intent="rate_limited")

        with self.guard.session_lock(session_id):
            state = DialogueState.from_dict(self.store.load_state(session_id))
            history = [(m["role"], m["content"]) for m in self.store.messages(session_id, limit=6)]
            # the index comes with the stored message (one transaction), not from the saved state:
            # a turn cut by a crash after its message was stored has used its index up
            turn_index = self.store.start_turn(session_id, text)
            state.turn_count = turn_index
            return run_turn(self, session_id, text, emit, t0, state, turn_index, history)
