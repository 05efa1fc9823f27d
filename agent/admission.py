"""A turn's admission to the LLM: the gate's decision made once per turn, where the turn asks.

Why apart from the gate (agent/llm_gate.py): the gate knows calls, latency and the shared breaker;
this module knows turns -- when a turn first asks whether the model is usable, how much of its
budget is left, how the planning strategy's calls hold the slot the turn was admitted with, and
what the turn's answer says about how the model was used ("planned", "busy", "down").
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agent.llm_gate import LLMGate, Slot

#: seconds of a turn's budget the runner keeps after planning (agent/turn/runner.py PLAN_RESERVE_S)
_RESERVE_DEFAULT_S = 0.35


class GatedStrategy:
    """A planning strategy whose calls hold an admission slot and feed the latency estimate.

    The slot comes from the turn (``slot_for_call``: the turn was admitted before it planned);
    a call outside a turn (warm-up, benchmarks) is tracked without admission.
    """

    def __init__(self, inner: Any, gate: LLMGate, slot_for_call: Any) -> None:
        self.inner = inner
        self.gate = gate
        self._slot_for_call = slot_for_call
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def plan(self, messages: Any, toolbox: Any, timeout_s: float) -> Any:
        slot, on_done = self._slot_for_call()
        slot = slot or self.gate.track()
        try:
            result = self.inner.plan(messages, toolbox, timeout_s)
        except Exception as exc:
            on_done(f"error: {type(exc).__name__}")
            raise
        finally:
            slot.release()
        on_done("planned")
        return result


@dataclass
class _TurnCtx:
    t0: float
    emit: Callable[[str, dict[str, Any]], None]
    decided: bool = False
    slot: Slot | None = None
    #: why admission refused the model (``llm_gate.REFUSED_BUSY`` or ``REFUSED_SLOW``), "" when it did not
    refusal: str = ""
    outcome: str = "not asked"


class TurnAdmission:
    """The admission decision of the turn running on this thread, made when it first asks.

    Why lazily, on the first read of ``agent._llm_down_until``: that read is exactly where the
    turn (agent/turn/runner.py) decides between planning with the model and the fixed plan, and
    by then it knows how much of its budget is left. A refusal reads as "the LLM is down for this
    turn" (+inf), so the runner serves the deterministic path, marks the turn degraded and tells
    the user (limited mode); other turns and the shared breaker are unaffected.
    """

    def __init__(self, gate: LLMGate, plan_budget: Callable[[float], float | None]) -> None:
        self.gate = gate
        self._plan_budget = plan_budget
        self._tls = threading.local()
        self._count_lock = threading.Lock()
        self.turns_in_flight = 0

    @contextmanager
    def turn(self, t0: float, emit: Callable[[str, dict[str, Any]], None]) -> Iterator[_TurnCtx]:
        ctx = _TurnCtx(t0, emit)
        self._tls.ctx = ctx
        with self._count_lock:
            self.turns_in_flight += 1
        try:
            yield ctx
        finally:
            with self._count_lock:
                self.turns_in_flight -= 1
            self._tls.ctx = None
            if ctx.slot is not None:
                ctx.slot.release(observed=False)  # admitted but never planned (e.g. a refusal reply)

    def crowded(self) -> bool:
        """Other turns are running in this process besides the caller's: optional LLM work (the
        explanation follow-up) would take the cores their answers need, so it is skipped."""
        with self._count_lock:
            return self.turns_in_flight > 1

    def down_until(self, *, llm_on: bool) -> float:
        until = self.gate.down_until()
        ctx: _TurnCtx | None = getattr(self._tls, "ctx", None)
        if ctx is None or not llm_on:
            return until
        if time.monotonic() < until:
            ctx.outcome = ctx.outcome if ctx.decided else "down"
            return until
        if not ctx.decided:
            ctx.decided = True
            ctx.slot, why = self.gate.try_admit(self._plan_budget(ctx.t0))
            if ctx.slot is None:
                ctx.outcome = "busy"
                ctx.refusal = why.split(":", 1)[0]
                ctx.emit("status", {"degraded": True, "reason": "llm_busy",
                                    "message": f"the language model is busy ({why}): answering at once with "
                                               "the built-in recommender"})
        return math.inf if ctx.outcome == "busy" else until

    def refused(self) -> bool:
        """The turn on this thread asked for the model and admission refused it (the server is busy,
        not down: the reply must not say the model is unavailable)."""
        ctx: _TurnCtx | None = getattr(self._tls, "ctx", None)
        return ctx is not None and ctx.outcome == "busy"

    def refusal(self) -> str:
        """Why the turn on this thread was refused the model: ``REFUSED_BUSY``, ``REFUSED_SLOW`` or ""."""
        ctx: _TurnCtx | None = getattr(self._tls, "ctx", None)
        return ctx.refusal if ctx is not None else ""

    def slot_for_call(self) -> tuple[Slot | None, Callable[[str], None]]:
        """The current turn's slot (handed over to the call) and a callback for its outcome."""
        ctx: _TurnCtx | None = getattr(self._tls, "ctx", None)
        if ctx is None:
            return None, lambda _outcome: None
        slot, ctx.slot = ctx.slot, None

        def done(outcome: str) -> None:
            ctx.outcome = outcome

        return slot, done


class LLMAdmissionMixin:
    """The agent's side of admission: the breaker attribute the turn code reads, budgets, outcomes.

    Mixed into ``WhyRecAgent`` (agent/loop.py), which sets ``gate``, ``admission``, ``strategy``,
    ``settings`` and ``plan_timeout_s``.
    """

    gate: LLMGate
    admission: TurnAdmission
    strategy: Any
    settings: Any
    plan_timeout_s: float

    @property
    def _llm_down_until(self) -> float:
        """``time.monotonic()`` until which the LLM is not to be used by the turn on this thread.

        The shared breaker (store), or +inf for a turn the admission gate refused. The turn code
        reads and sets this one attribute (agent/turn/runner.py).
        """
        return self.admission.down_until(llm_on=self.strategy is not None)

    @property
    def _llm_busy(self) -> bool:
        """The turn on this thread was refused the model because it is busy (``TurnAdmission.refused``)."""
        return self.admission.refused()

    @_llm_down_until.setter
    def _llm_down_until(self, monotonic_deadline: float) -> None:
        self.gate.trip_until(monotonic_deadline)

    def _plan_budget(self, t0: float) -> float | None:
        """Seconds a planning call may take in a turn that started at ``t0`` (as the runner limits it)."""
        from agent.turn import runner

        budget = self.settings.turn_budget_s
        if budget is None:
            return self.plan_timeout_s
        reserve = getattr(runner, "PLAN_RESERVE_S", _RESERVE_DEFAULT_S)
        return min(self.plan_timeout_s, budget - reserve - (time.perf_counter() - t0))

    def _llm_outcome(self, outcome: str, final: dict[str, Any]) -> str:
        """off | down | busy (refused by admission) | planned | over_budget | error: ... | not asked."""
        if self.strategy is None:
            return "off"
        if "llm_over_budget" in (final.get("stage_ms") or {}):
            return "over_budget"
        if final.get("degraded") and outcome in ("not asked", "down"):
            return "down"
        return outcome

    def _follow_up(self, job: Callable[[], Any]) -> None:
        """Background LLM explanations take an admission slot too (not timed: they stream for seconds)."""
        slot, _why = self.gate.try_admit(None)
        if slot is None:
            return  # planners need the model more: the checked templates stand
        try:
            job()
        finally:
            slot.release(observed=False)
