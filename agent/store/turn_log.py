"""A turn's closing writes: the saved state, the tool calls and the reply, in one transaction.

Why apart from agent/store/db.py: that module is the store's machinery and its one-row writes;
this is the one write a finished turn makes (composed into ``Store`` as a mixin, like
agent/store/records.py), so the turn's end is atomic: a crash cannot leave a reply without its
trace, or a saved state without its reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from agent.store.schema import dumps, messages, now, sessions, tool_calls
from tools.errors import NotFoundError

#: built once with bind parameters, so every turn's end reuses its compiled form
_SAVE_STATE = sessions.update().where(sessions.c.session_id == sa.bindparam("sid")).values(
    state=sa.bindparam("new_state"), updated_at=sa.bindparam("at"), turn_count=sa.bindparam("count"))
_INSERT_CALL = tool_calls.insert()
_INSERT_MESSAGE = messages.insert()


class TurnLog:
    """``end_turn``; mixed into :class:`agent.store.db.Store`."""

    # provided by Store
    _write: Callable[[Callable[[Connection], Any]], Any]

    def end_turn(self, session_id: str, turn_index: int, state: dict[str, Any], turn_count: int,
                 calls: list[dict[str, Any]], reply: str, metadata: dict[str, Any] | None = None) -> None:
        """A turn's closing writes in one transaction: the saved state, its tool calls and the reply.

        Why together: a crash can no longer leave a reply without its trace or a state without its
        reply, and one write instead of three to five saves hand-offs to the writer thread.
        ``calls``: ``add_tool_call``'s keyword arguments (less session and turn)."""
        stamp = now()
        state_values = {"sid": session_id, "new_state": dumps(state), "at": stamp, "count": turn_count}
        call_rows = [{"session_id": session_id, "turn_index": turn_index, "tool": c["tool"],
                      "arguments": dumps(c["arguments"]), "duration_ms": float(c["duration_ms"]), "ok": bool(c["ok"]),
                      "result_summary": c["result_summary"][:4000], "error": c.get("error"), "created_at": stamp}
                     for c in calls]
        message = {"session_id": session_id, "turn_index": turn_index, "role": "assistant", "content": reply,
                   "meta": dumps(metadata or {}), "created_at": stamp}

        def op(conn: Connection) -> None:
            res = conn.execute(_SAVE_STATE, state_values)
            if res.rowcount == 0:
                raise NotFoundError(f"unknown session {session_id!r}; start a new session")
            if call_rows:
                conn.execute(_INSERT_CALL, call_rows)
            conn.execute(_INSERT_MESSAGE, message)

        self._write(op)
