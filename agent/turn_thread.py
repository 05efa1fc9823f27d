"""A turn runs in a worker thread and its events are yielded as they happen.

Why a thread: the UI and the API stream a turn (tool calls, cards, reply text, explanations)
while it runs, and the LLM explanation follow-up keeps emitting after the answer; the caller
only iterates. The worker's last line of defence turns any exception into a friendly final
event, so a stream always ends with ``final`` (or, after a follow-up, ``explanations_done``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from agent.turn.results import error_result
from agent.types import TurnEvent
from tools.errors import WhyRecError

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]


class Workers:
    """Counts the turn threads still running, so whoever owns the store can wait for them.

    Why: a caller stops reading at ``final``, but the worker goes on with the LLM explanation
    follow-up and writes it to the store; closing the store (the load harness's teardown, an app
    shutting down) under it lost those writes and logged errors into a deleted temp directory.
    """

    def __init__(self) -> None:
        self._running = 0
        self._idle = threading.Condition()

    @property
    def running(self) -> int:
        with self._idle:
            return self._running

    def started(self) -> None:
        with self._idle:
            self._running += 1

    def finished(self) -> None:
        with self._idle:
            self._running -= 1
            if self._running == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no worker runs (True) or ``timeout_s`` passed (False)."""
        if timeout_s < 0:
            raise ValueError("timeout_s must be >= 0")
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout_s)


def stream_in_worker(session_id: str, run: Callable[[Emit], Callable[[], Any] | None],
                     follow_up: Callable[[Callable[[], Any]], None],
                     workers: Workers | None = None) -> Iterator[TurnEvent]:
    """Run ``run(emit)`` in a daemon thread; then ``follow_up(job)`` with the job it returned, if any.
    ``workers`` counts the thread from its start to the end of its follow-up."""
    q: queue.Queue[TurnEvent | None] = queue.Queue()

    def emit(kind: str, data: dict[str, Any]) -> None:
        q.put(TurnEvent(kind, data))  # type: ignore[arg-type]

    def work() -> None:
        job = None
        try:
            job = run(emit)
        except Exception as exc:  # noqa: BLE001 - last line of defence: the user gets a friendly reply
            log.exception("turn failed")
            msg = str(exc) if isinstance(exc, WhyRecError) else "Sorry, something went wrong on my side."
            emit("final", error_result(session_id, msg))
        try:
            if callable(job):  # LLM explanations, after the answer and outside the session lock
                follow_up(job)
        except Exception:  # noqa: BLE001 - the answer stands with its checked templates
            log.exception("explanation follow-up failed")
        finally:
            q.put(None)
            if workers is not None:
                workers.finished()

    if workers is not None:
        workers.started()
    threading.Thread(target=work, name=f"turn-{session_id[:6]}", daemon=True).start()
    while (ev := q.get()) is not None:
        yield ev
