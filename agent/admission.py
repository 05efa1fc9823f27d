"""Admission control for the LLM and the shared circuit breaker.

Why: a turn has a time budget (``turn_budget_s``); a CPU-served model under 20 concurrent
sessions answers in seconds, and a planner call that queues behind others only makes the user
wait for a plan that arrives too late (measured before this gate: p50 145 s, 38 of 100 turns
never ran). So before a turn plans, the gate predicts whether the model can answer within what
the turn has left — from the calls in flight (the queue) and the measured latency of recent
calls — and when it cannot, the turn is served at once by the deterministic recommender and says
so (limited mode). Nothing waits in a queue: a refused turn costs no time at all.

- ``llm_max_inflight``: calls in flight from this process before every further turn is refused.
- predicted latency = EWMA of recent call times x (1 + calls in flight): on a CPU server the
  concurrent calls share the cores. Refused when that exceeds the turn's remaining plan budget.
- probing: when everything is refused on latency, one call every ``llm_probe_interval_s`` is let
  through with nothing else in flight, so the estimate recovers when the server does.

The circuit breaker ("the LLM is down until T") lives in the store (``store.shared`` flag
``llm_down_until``, wall-clock seconds), so when one app process finds the server dead every
process degrades until the cool-down ends. Then it is half-open: with recovery enabled
(:meth:`LLMGate.enable_recovery`, the agent's warm-up) the first process to notice holds the
breaker open and warms the model in the background; every process goes back to the model when
that succeeds (flag cleared), or after another cool-down when it fails. Why not let the next
user turn try: a restarted server compiles the planner's tool grammar on its first planning
request (10-20 s measured on 2 cores, against a 1.4 s turn), so that turn timed out, re-opened
the breaker, and the model was never used again (bench_scaleout).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

BREAKER_KEY = "llm_down_until"
#: seconds of a turn's budget the runner keeps after planning (agent/turn/runner.py PLAN_RESERVE_S)
_RESERVE_DEFAULT_S = 0.35
#: how long a process trusts its copy of the shared breaker before reading it again
BREAKER_CACHE_S = 0.25
#: weight of the newest call in the latency estimate
EWMA_ALPHA = 0.3


@dataclass
class Slot:
    """One admitted LLM call; ``release`` (idempotent) frees it and records how long it took."""

    gate: LLMGate
    started: float = field(default_factory=time.perf_counter)
    probe: bool = False
    observe: bool = True
    released: bool = False

    def release(self, *, observed: bool = True) -> None:
        if not self.released:
            self.released = True
            self.gate._release(time.perf_counter() - self.started if observed and self.observe else None)


class LLMGate:
    """Per-process admission (queue depth + measured latency) over a store-shared breaker."""

    def __init__(self, store: Any, *, max_inflight: int = 2, probe_interval_s: float = 5.0,
                 initial_latency_s: float | None = None) -> None:
        self.store = store
        self.max_inflight = max(1, int(max_inflight))
        self.probe_interval_s = probe_interval_s
        self.latency_s = initial_latency_s
        self.inflight = 0
        self.counts = {"admitted": 0, "probes": 0, "refused_queue": 0, "refused_latency": 0}
        self._lock = threading.Lock()
        self._last_probe = float("-inf")
        self._breaker = (0.0, float("-inf"))  # (down-until wall time, when read, monotonic)
        self._recover: Callable[[], bool] | None = None
        self._recover_hold_s = 0.0
        self._recover_cooldown_s = 0.0
        self._recovering = False
        self.recoveries = {"started": 0, "succeeded": 0, "failed": 0}

    # -- admission --------------------------------------------------------------------------------
    def try_admit(self, budget_s: float | None) -> tuple[Slot | None, str]:
        """A slot for one LLM call that must finish within ``budget_s`` (None: no budget), or a reason."""
        now = time.monotonic()
        with self._lock:
            if self.inflight >= self.max_inflight:
                self.counts["refused_queue"] += 1
                return None, f"{self.inflight} LLM calls already in flight"
            predicted = (self.latency_s or 0.0) * (1 + self.inflight)
            probe = False
            if budget_s is not None and predicted > budget_s:
                if self.inflight or now - self._last_probe < self.probe_interval_s:
                    self.counts["refused_latency"] += 1
                    return None, f"predicted {predicted:.2f} s > {budget_s:.2f} s left in the turn"
                probe = True
                self._last_probe = now
                self.counts["probes"] += 1
            self.inflight += 1
            self.counts["admitted"] += 1
        return Slot(self, probe=probe), "admitted"

    def track(self) -> Slot:
        """A slot for a call outside admission (warm-up, benchmarks): counted in flight, not timed.

        Why not timed: the warm-up is the server's cold call (grammar compile, prompt prefill,
        measured 2-4 s against ~0.6 s warm); it would make the gate refuse the first turns.
        """
        with self._lock:
            self.inflight += 1
        return Slot(self, observe=False)

    def _release(self, seconds: float | None) -> None:
        with self._lock:
            self.inflight = max(0, self.inflight - 1)
            if seconds is not None:
                self.latency_s = seconds if self.latency_s is None else (
                    EWMA_ALPHA * seconds + (1 - EWMA_ALPHA) * self.latency_s)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"inflight": self.inflight, "max_inflight": self.max_inflight,
                    "latency_s": None if self.latency_s is None else round(self.latency_s, 3), **self.counts,
                    "recoveries": dict(self.recoveries)}

    # -- the shared circuit breaker -------------------------------------------------------------------
    def down_until(self) -> float:
        """The breaker as a ``time.monotonic()`` deadline of this process (read from the store)."""
        wall, read_at = self._breaker
        now = time.monotonic()
        if now - read_at > BREAKER_CACHE_S:
            try:
                wall = self.store.shared.get_flag(BREAKER_KEY, 0.0)
            except Exception:  # noqa: BLE001 - an unreadable store must not break the turn: keep the last copy
                pass
            self._breaker = (wall, now)
        if 0.0 < wall <= time.time() and self._recover is not None:
            wall = self._start_recovery()
        return now + (wall - time.time()) if wall > time.time() else 0.0

    # -- half-open: warm the model before turns use it again --------------------------------------------
    def enable_recovery(self, warm: Callable[[], bool], *, hold_s: float, cooldown_s: float) -> None:
        """After a cool-down, ``warm()`` (True: the model answered) runs in the background while the
        breaker is held open for up to ``hold_s``; success closes it, failure re-opens it for ``cooldown_s``."""
        self._recover, self._recover_hold_s, self._recover_cooldown_s = warm, hold_s, cooldown_s

    def _start_recovery(self) -> float:
        """Hold the breaker open (for every process) and start the warm-up; the new down-until (wall)."""
        with self._lock:
            if self._recovering:
                return self._breaker[0]
            self._recovering = True
            self.recoveries["started"] += 1
        hold = time.time() + self._recover_hold_s
        self._set_breaker(hold)
        threading.Thread(target=self._recover_in_background, name="llm-recovery", daemon=True).start()
        return hold

    def _recover_in_background(self) -> None:
        ok = False
        try:
            ok = bool(self._recover and self._recover())
        except Exception:  # noqa: BLE001 - a failed warm-up only means the model stays off for a cool-down
            ok = False
        finally:
            # closed (0) or open for another cool-down; written before the flag is released
            self._set_breaker(0.0 if ok else time.time() + self._recover_cooldown_s)
            with self._lock:
                self.recoveries["succeeded" if ok else "failed"] += 1
                self._recovering = False

    def _set_breaker(self, wall: float) -> None:
        self._breaker = (wall, time.monotonic())
        try:
            self.store.shared.set_flag(BREAKER_KEY, wall)
        except Exception:  # noqa: BLE001 - the local copy still protects this process
            pass

    def trip_until(self, monotonic_deadline: float) -> None:
        """Open the breaker for every process until this process's ``monotonic_deadline``."""
        self._set_breaker(time.time() + (monotonic_deadline - time.monotonic()))


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
                ctx.emit("status", {"degraded": True, "reason": "llm_busy",
                                    "message": f"the language model is busy ({why}): answering at once with "
                                               "the built-in recommender"})
        return math.inf if ctx.outcome == "busy" else until

    def refused(self) -> bool:
        """The turn on this thread asked for the model and admission refused it (the server is busy,
        not down: the reply must not say the model is unavailable)."""
        ctx: _TurnCtx | None = getattr(self._tls, "ctx", None)
        return ctx is not None and ctx.outcome == "busy"

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
