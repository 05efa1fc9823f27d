"""The store: sessions, messages, tool calls; recommendations, explanations and feedback via a mixin.

Why SQLAlchemy Core over one schema: SQLite (WAL) on one machine, PostgreSQL at scale,
same code. Rows are append-only (the audit trail must never be rewritten): an
explanation that arrives after its card is a new row in ``explanations``; dialogue
state is the one mutable column (``sessions.state``), and every turn's messages and
tool calls are kept, so the state can always be explained from the log.

Concurrency: SQLite connections get WAL, ``busy_timeout`` and ``synchronous=FULL``
(an acknowledged write survives ``kill -9`` and power loss); writes are short functions of a
connection that one writer thread commits in groups (agent/store/writer.py: one fsync for all
the writes that queued up meanwhile). PostgreSQL writes run in the caller's thread, in parallel.
State that several app processes share (rate limits, session leases, the LLM breaker) is
``store.shared`` (agent/store/shared.py); the tables are in agent/store/schema.py, and the card
records (recommendations, explanations, feedback) in agent/store/records.py, which ``Store``
mixes in so callers keep one object.

Turn indexes: a turn takes its index in the same transaction that stores the user's message
(:meth:`Store.start_turn`), never from the dialogue state saved at the end of the previous turn,
so an app process killed mid-turn cannot make the next turn reuse the cut turn's index.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from agent.store.records import CardRecords
from agent.store.schema import (  # noqa: F401 - metadata and the tables are part of this module's API
    SCHEMA_VERSION,
    dumps,
    explanations,
    feedback,
    iso,
    loads,
    messages,
    meta_table,
    metadata,
    now,
    recommendations,
    sessions,
    tool_calls,
)
from agent.store.shared import SharedState, lock_key
from agent.store.turn_log import TurnLog
from agent.store.writer import GroupCommitWriter, sqlite_pragmas
from tools.errors import InputError, NotFoundError, StoreError

T = TypeVar("T")

ROLES = ("user", "assistant", "system", "tool")

# A turn's hot statements, built once with bind parameters (their compiled form is reused; see
# agent/store/shared.py for the measured cost of building them per call).
_P = sa.bindparam
#: the session's turn count and the last turn index stored for it, in one read
_TURN_START = sa.select(sessions.c.turn_count, sa.select(sa.func.max(messages.c.turn_index))
                        .where(messages.c.session_id == _P("sid")).scalar_subquery()
                        ).where(sessions.c.session_id == _P("sid"))
_INSERT_MESSAGE = messages.insert()
_BUMP_TURN = sessions.update().where(sessions.c.session_id == _P("sid")).values(
    turn_count=_P("count"), updated_at=_P("at"))


class Store(CardRecords, TurnLog):
    """All persistence. Thread-safe (one engine, short transactions, grouped commits on SQLite)."""

    def __init__(self, url: str, *, create: bool = True, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            db_path = url.split("sqlite:///", 1)[-1]
            if db_path and db_path != ":memory:":
                parent = Path(db_path).parent
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(
                        f"cannot create the store directory {parent}: {exc}; "
                        "fix the permissions or set WHYREC_DATA_DIR / WHYREC_STORE_URL to a writable place"
                    ) from exc
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
        try:
            self.engine: Engine = sa.create_engine(url, **kwargs)
        except (SQLAlchemyError, ModuleNotFoundError) as exc:
            raise StoreError(f"cannot open store {url!r}: {exc}; check WHYREC_STORE_URL") from exc
        if self.is_sqlite:
            event.listen(self.engine, "connect", sqlite_pragmas)
        self._writer = GroupCommitWriter(self.engine) if self.is_sqlite else None
        self.shared = SharedState(self)
        if create:
            self._create()

    # -- lifecycle -----------------------------------------------------------
    def _create(self) -> None:
        try:
            metadata.create_all(self.engine)
        except OperationalError as exc:
            raise StoreError(_explain_operational(self.url, exc)) from exc

        def op(conn: Connection) -> None:
            lock_key(conn, "schema")
            row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
            if row is None:
                conn.execute(meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(f"the store at {self.url} has schema version {row[0]}, newer than this WhyRec "
                                 f"({SCHEMA_VERSION}); upgrade WhyRec")

        self._write(op)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.engine.dispose()

    def _write(self, op: Callable[[Connection], T]) -> T:
        """Run ``op(conn)`` in a write transaction; return its result once committed."""
        try:
            if self._writer is not None:
                return self._writer.run(op)
            with self.engine.begin() as conn:
                return op(conn)
        except IntegrityError as exc:
            raise StoreError(f"store integrity error: {exc.orig}") from exc
        except OperationalError as exc:
            raise StoreError(_explain_operational(self.url, exc)) from exc

    def _read(self, stmt: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts; ``params`` bind a pre-built statement's parameters."""
        try:
            with self.engine.connect() as conn:
                return [dict(r._mapping) for r in conn.execute(stmt, params)]
        except OperationalError as exc:
            raise StoreError(_explain_operational(self.url, exc)) from exc

    # -- sessions --------------------------------------------------------------
    def create_session(self, user_id: str | None = None) -> str:
        """A new session with an unguessable id (128 bits from ``secrets``)."""
        session_id = secrets.token_urlsafe(16)
        at = now()
        self._write(lambda conn: conn.execute(sessions.insert().values(
            session_id=session_id, user_id=user_id, created_at=at, updated_at=at, turn_count=0, state="{}")))
        return session_id

    def session(self, session_id: str) -> dict[str, Any]:
        rows = self._read(sa.select(sessions).where(sessions.c.session_id == session_id))
        if not rows:
            raise NotFoundError(f"unknown session {session_id!r}; start a new session")
        row = rows[0]
        row["state"] = loads(row["state"])
        row["created_at"] = iso(row["created_at"])
        row["updated_at"] = iso(row["updated_at"])
        return row

    def load_state(self, session_id: str) -> dict[str, Any]:
        return self.session(session_id)["state"]

    def save_state(self, session_id: str, state: dict[str, Any], turn_count: int | None = None) -> None:
        values: dict[str, Any] = {"state": dumps(state), "updated_at": now()}
        if turn_count is not None:
            values["turn_count"] = turn_count

        def op(conn: Connection) -> None:
            res = conn.execute(sessions.update().where(sessions.c.session_id == session_id).values(**values))
            if res.rowcount == 0:
                raise NotFoundError(f"unknown session {session_id!r}; start a new session")

        self._write(op)

    # -- messages and tool calls ------------------------------------------------
    def add_message(
        self, session_id: str, turn_index: int, role: str, content: str, metadata: dict[str, Any] | None = None
    ) -> int:
        if role not in ROLES:
            raise InputError(f"message role must be one of {ROLES}, got {role!r}")
        row = {"session_id": session_id, "turn_index": turn_index, "role": role, "content": content,
               "meta": dumps(metadata or {}), "created_at": now()}
        return self._write(lambda conn: int(conn.execute(messages.insert(), row).inserted_primary_key[0]))

    def start_turn(self, session_id: str, content: str, metadata: dict[str, Any] | None = None) -> int:
        """Store the user's message of a new turn under the session's next turn index; return the index.

        Why one transaction: the turn count saved at the end of a turn lags a turn that was cut
        (SIGKILL) after its user message was written; reading the count and writing the message
        apart would let the next turn reuse that index. The next index is one past both the
        session's ``turn_count`` and every index already stored for it, and ``turn_count`` is
        bumped in the same write. SQLite: the writer runs it under ``BEGIN IMMEDIATE``;
        PostgreSQL: an advisory lock on the session serialises it (the session lease already keeps
        one turn per session at a time across processes).
        """
        row = {"session_id": session_id, "role": "user", "content": content, "meta": dumps(metadata or {}),
               "created_at": now()}

        def op(conn: Connection) -> int:
            lock_key(conn, "turn:" + session_id)
            found = conn.execute(_TURN_START, {"sid": session_id}).first()
            if found is None:
                raise NotFoundError(f"unknown session {session_id!r}; start a new session")
            last = found[1]
            index = max(int(found[0] or 0), -1 if last is None else int(last) + 1)
            conn.execute(_INSERT_MESSAGE, {**row, "turn_index": index})
            conn.execute(_BUMP_TURN, {"sid": session_id, "count": index + 1, "at": row["created_at"]})
            return index

        return self._write(op)

    def messages(self, session_id: str, limit: int | None = None, upto_turn: int | None = None) -> list[dict[str, Any]]:
        stmt = sa.select(messages).where(messages.c.session_id == session_id)
        if upto_turn is not None:
            stmt = stmt.where(messages.c.turn_index <= upto_turn)
        if limit is not None:  # the last ``limit`` in the store, not the whole session read and cut here
            if limit < 1:
                return []
            rows = self._read(stmt.order_by(messages.c.id.desc()).limit(limit))[::-1]
        else:
            rows = self._read(stmt.order_by(messages.c.id))
        for r in rows:
            r["metadata"] = loads(r.pop("meta"))
            r["created_at"] = iso(r["created_at"])
        return rows

    def add_tool_call(
        self,
        session_id: str,
        turn_index: int,
        tool: str,
        arguments: dict[str, Any],
        duration_ms: float,
        ok: bool,
        result_summary: str,
        error: str | None = None,
    ) -> int:
        row = {"session_id": session_id, "turn_index": turn_index, "tool": tool, "arguments": dumps(arguments),
               "duration_ms": float(duration_ms), "ok": bool(ok), "result_summary": result_summary[:4000],
               "error": error, "created_at": now()}
        return self._write(lambda conn: int(conn.execute(tool_calls.insert(), row).inserted_primary_key[0]))

    def tool_calls(self, session_id: str, turn_index: int | None = None) -> list[dict[str, Any]]:
        stmt = sa.select(tool_calls).where(tool_calls.c.session_id == session_id)
        if turn_index is not None:
            stmt = stmt.where(tool_calls.c.turn_index == turn_index)
        rows = self._read(stmt.order_by(tool_calls.c.id))
        for r in rows:
            r["arguments"] = loads(r["arguments"])
            r["created_at"] = iso(r["created_at"])
        return rows

    # -- maintenance ----------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._read(sa.select(meta_table.c.value).where(meta_table.c.key == key))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        def op(conn: Connection) -> None:
            lock_key(conn, "meta:" + key)
            if conn.execute(sa.select(meta_table.c.key).where(meta_table.c.key == key)).first():
                conn.execute(meta_table.update().where(meta_table.c.key == key).values(value=value))
            else:
                conn.execute(meta_table.insert().values(key=key, value=value))

        self._write(op)

    def counts(self) -> dict[str, int]:
        out = {}
        for table in (sessions, messages, tool_calls, recommendations, explanations, feedback):
            out[table.name] = int(self._read(sa.select(sa.func.count()).select_from(table))[0]["count_1"])
        return out

    def integrity_check(self) -> str:
        """'ok' when the database file is intact (SQLite ``PRAGMA integrity_check``)."""
        if not self.is_sqlite:
            self._read(sa.select(sa.literal(1)))
            return "ok"
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


def _explain_operational(url: str, exc: OperationalError) -> str:
    msg = str(exc.orig) if exc.orig is not None else str(exc)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        return f"the store {url} is read-only ({msg}); make the data dir writable or point WHYREC_STORE_URL elsewhere"
    if "disk" in low and "full" in low:
        return f"the disk holding {url} is full ({msg}); free space and retry — nothing was written"
    if "unable to open" in low:
        return f"cannot open the store {url} ({msg}); check the path and permissions"
    return f"store error on {url}: {msg}"
