"""The LLM gate: admission control for model calls and the shared circuit breaker.

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
  through with nothing else in flight, so the estimate recovers when the server does. A probe that
  itself ran past its budget doubles the wait before the next one (up to ``MAX_PROBE_BACKOFF`` times
  the interval); one that fits resets it. Why: on a server that is simply slower than a turn (SmolLM2
  in bfloat16 on an AVX2-only CPU: ~1.2 s to plan against ~1.05 s left), a chat turn comes more than
  5 s after the last, so every turn was a probe, cut off at its budget: ~1.1 s added to each answer
  for no plan (bench_explain: answer p50 1252 ms against 44 ms template-only).

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

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BREAKER_KEY = "llm_down_until"
#: how long a process trusts its copy of the shared breaker before reading it again
BREAKER_CACHE_S = 0.25
#: weight of the newest call in the latency estimate
EWMA_ALPHA = 0.3
#: the longest wait between probes, in multiples of the probe interval (5 s -> at most 320 s)
MAX_PROBE_BACKOFF = 64


#: how a refusal's reason starts (``LLMGate.try_admit``)
REFUSED_BUSY, REFUSED_SLOW = "busy", "slow"


@dataclass
class Slot:
    """One admitted LLM call; ``release`` (idempotent) frees it and records how long it took."""

    gate: LLMGate
    started: float = field(default_factory=time.perf_counter)
    probe: bool = False
    #: the seconds the call had when it was admitted (None: no budget)
    budget_s: float | None = None
    observe: bool = True
    released: bool = False

    def release(self, *, observed: bool = True) -> None:
        if not self.released:
            self.released = True
            took = time.perf_counter() - self.started
            if self.probe:
                self.gate._probe_done(fitted=self.budget_s is None or took < self.budget_s)
            self.gate._release(took if observed and self.observe else None)


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
        #: probes in a row that ran past their budget (each doubles the wait before the next)
        self.failed_probes = 0
        self._breaker = (0.0, float("-inf"))  # (down-until wall time, when read, monotonic)
        self._recover: Callable[[], bool] | None = None
        self._recover_hold_s = 0.0
        self._recover_cooldown_s = 0.0
        self._recovering = False
        self.recoveries = {"started": 0, "succeeded": 0, "failed": 0}

    # -- admission --------------------------------------------------------------------------------
    def try_admit(self, budget_s: float | None) -> tuple[Slot | None, str]:
        """A slot for one LLM call that must finish within ``budget_s`` (None: no budget), or a reason.

        A refusal's reason starts with ``REFUSED_BUSY`` (other calls hold the model or slow it down)
        or ``REFUSED_SLOW`` (nothing else in flight: the model alone is slower than the budget), so a
        reply can say which: "busy with another request" is wrong when nobody else is using it."""
        now = time.monotonic()
        with self._lock:
            if self.inflight >= self.max_inflight:
                self.counts["refused_queue"] += 1
                return None, f"{REFUSED_BUSY}: {self.inflight} LLM calls already in flight"
            predicted = (self.latency_s or 0.0) * (1 + self.inflight)
            probe = False
            if budget_s is not None and predicted > budget_s:
                if self.inflight or now - self._last_probe < self.probe_wait_s():
                    self.counts["refused_latency"] += 1
                    code = REFUSED_BUSY if self.inflight else REFUSED_SLOW
                    return None, f"{code}: predicted {predicted:.2f} s > {budget_s:.2f} s left in the turn"
                probe = True
                self._last_probe = now
                self.counts["probes"] += 1
            self.inflight += 1
            self.counts["admitted"] += 1
        return Slot(self, probe=probe, budget_s=budget_s), "admitted"

    def probe_wait_s(self) -> float:
        """Seconds between probes now: the interval, doubled for each probe in a row that ran past its budget."""
        return self.probe_interval_s * min(MAX_PROBE_BACKOFF, 2 ** self.failed_probes)

    def _probe_done(self, *, fitted: bool) -> None:
        with self._lock:
            self.failed_probes = 0 if fitted else min(self.failed_probes + 1, MAX_PROBE_BACKOFF.bit_length())

    def saturated(self) -> bool:
        """Every call slot of this process is taken: optional model work would queue behind them."""
        with self._lock:
            return self.inflight >= self.max_inflight

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
                    "failed_probes": self.failed_probes, "recoveries": dict(self.recoveries)}

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
