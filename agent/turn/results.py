"""How a turn ends: the final event of a short answer, and the TurnResult a stream is read back into.

Why a module of its own: every stage that can end a turn early (empty or too-long message,
rate limit, refusal, chit-chat, a question back) ends it the same way, and the pipeline
(agent/turn/runner.py) and the session plumbing (agent/loop.py) both need that one way without
importing each other. A final event is
read back with ``TurnResult.from_dict`` (agent/types.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agent.turn.events import chunks
from agent.types import TurnResult

Emit = Callable[[str, dict[str, Any]], None]


def finish_simple(store: Any, session_id: str, turn_index: int | None, reply: str, emit: Emit, t0: float, *,
                  intent: str = "") -> None:
    """Store the reply (when the turn has an index), stream it, and emit the final event (no cards)."""
    if turn_index is not None:
        store.add_message(session_id, turn_index, "assistant", reply, {"intent": intent})
    for chunk in chunks(reply):
        emit("text_delta", {"text": chunk})
    final = TurnResult(session_id, turn_index if turn_index is not None else -1, reply, (), (), False,
                       round((time.perf_counter() - t0) * 1000, 1)).to_dict()
    emit("final", {**final, "intent": intent} if intent else final)  # "rate_limited" -> HTTP 429 in ui/api.py


def error_result(session_id: str, message: str) -> dict[str, Any]:
    """The final event of a turn that failed: the friendly message, nothing else."""
    return TurnResult(session_id, -1, message, (), (), False, 0.0).to_dict()

