"""State several app processes must agree on, kept in the store: rate limits, session leases, flags.

Why the store and not process memory: behind a load balancer a client's requests reach any of N
app processes; an in-memory limit would let it through N times, an in-memory session lock would
let two processes run the same session's turns at once, and an in-memory circuit breaker would
make every process rediscover a dead LLM on its own. The store is already shared by all of them
(one SQLite file on one machine, PostgreSQL across machines), so the state lives there and every
check is one short transaction:

- SQLite: every write runs under ``BEGIN IMMEDIATE`` (agent/store/writer.py), so a check-then-insert
  is atomic across processes.
- PostgreSQL: a transaction-scoped advisory lock on the key serialises the same check-then-insert.

Every table is bounded: old rate events and expired leases are purged as the app runs.
"""

from __future__ import annotations

import time
import zlib
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from agent.store.schema import rate_events, session_leases, shared_flags
from tools.errors import InputError

if TYPE_CHECKING:
    from agent.store.db import Store

#: rate events older than this are deleted; no window may be longer
RATE_TTL_S = 86_400.0
#: purge old rows every this many counted events (per process)
PURGE_EVERY = 256

# Hot statements, built once with their values as bind parameters: SQLAlchemy then reuses their
# compiled form, where building ``select(...).where(col == value)`` per call cost 3-5x the execution
# itself (measured: 107 vs 20 us per select, 126 vs 41 us per update) -- every turn runs these.
# Each check is ONE statement where SQL allows it (count-and-insert, lease upsert): on SQLite all
# writes go through one writer thread, and every statement it runs gives up the GIL and waits to
# get it back from the threads computing turns -- under load the statement count per turn, not
# SQLite, set how many turns per second one process could store.
_P = sa.bindparam
_IN_WINDOW = (rate_events.c.key == _P("key"), rate_events.c.at > _P("since"))
_RATE_COUNT = sa.select(sa.func.count()).select_from(rate_events).where(*_IN_WINDOW)
_RATE_OLDEST = sa.select(sa.func.min(rate_events.c.at)).where(*_IN_WINDOW)
#: insert the event only while the window holds fewer than ``limit``: a returned row = counted, none =
#: refused (RETURNING, because an INSERT ... SELECT's rowcount is -1 through psycopg)
_RATE_INSERT_IF_ROOM = rate_events.insert().from_select(
    ["key", "at"], sa.select(sa.cast(_P("key"), sa.String(200)), sa.cast(_P("at"), sa.Float))
    .where(_RATE_COUNT.scalar_subquery() < _P("limit", type_=sa.Integer))).returning(rate_events.c.id)
_LEASE_RELEASE = session_leases.delete().where(session_leases.c.session_id == _P("sid"),
                                               session_leases.c.owner == _P("by"))


def _lease_upsert(insert: Any) -> Any:
    """Take the lease in one statement: insert it, or take it over when it is ours or expired
    (no row returned = another owner holds an unexpired lease)."""
    ins = insert(session_leases).values(session_id=_P("sid"), owner=_P("new_owner"), expires_at=_P("until"))
    return ins.on_conflict_do_update(
        index_elements=[session_leases.c.session_id],
        set_={"owner": ins.excluded.owner, "expires_at": ins.excluded.expires_at},
        where=(session_leases.c.owner == ins.excluded.owner) | (session_leases.c.expires_at <= _P("now"))
    ).returning(session_leases.c.session_id)


_LEASE_UPSERT = {"sqlite": _lease_upsert(sqlite.insert), "postgresql": _lease_upsert(postgresql.insert)}
_PG_LOCK = sa.select(sa.func.pg_advisory_xact_lock(_P("lock", type_=sa.BigInteger)))


class DuplicateFeedbackError(InputError):
    """The same feedback on the same card was already recorded (HTTP 409): it counts once."""


def lock_key(conn: Connection, key: str) -> None:
    """Serialise transactions on ``key`` (PostgreSQL advisory lock; SQLite already holds the write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_LOCK, {"lock": zlib.crc32(key.encode()) - 2**31})


class SharedState:
    """Rate limits, session leases and flags on one store (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._events = 0

    # -- rate limits --------------------------------------------------------------------------------
    def hit(self, key: str, limit: int, window_s: float, *, now: float | None = None) -> float:
        """Count one event under ``key`` if fewer than ``limit`` happened in the last ``window_s``.

        Returns 0.0 when counted (allowed), else the seconds until the oldest event leaves the
        window (refused, nothing counted). Atomic across threads and processes.
        """
        if limit < 1 or not 0 < window_s <= RATE_TTL_S:
            raise InputError(f"a rate limit needs limit >= 1 and 0 < window <= {RATE_TTL_S:.0f} s")
        at = time.time() if now is None else now
        since = at - window_s

        def op(conn: Connection) -> float:
            lock_key(conn, key)
            window = {"key": key, "since": since}
            if conn.execute(_RATE_INSERT_IF_ROOM, {**window, "at": at, "limit": limit}).first() is not None:
                return 0.0
            oldest = conn.execute(_RATE_OLDEST, window).scalar_one()
            return max(0.05, float(oldest) + window_s - at)

        wait = self._store._write(op)
        self._events += 1
        if self._events % PURGE_EVERY == 0:
            self.purge(now=at)
        return wait

    def count(self, key: str, window_s: float, *, now: float | None = None) -> int:
        since = (time.time() if now is None else now) - window_s
        rows = self._store._read(sa.select(sa.func.count().label("n")).select_from(rate_events)
                                 .where(rate_events.c.key == key, rate_events.c.at > since))
        return int(rows[0]["n"])

    def purge(self, *, now: float | None = None) -> int:
        """Delete rate events past the longest window and expired leases; returns rows deleted."""
        at = time.time() if now is None else now

        def op(conn: Connection) -> int:
            a = conn.execute(rate_events.delete().where(rate_events.c.at < at - RATE_TTL_S)).rowcount
            b = conn.execute(session_leases.delete().where(session_leases.c.expires_at < at)).rowcount
            return int(a or 0) + int(b or 0)

        return self._store._write(op)

    # -- session leases ---------------------------------------------------------------------------
    def acquire_lease(self, session_id: str, owner: str, ttl_s: float) -> bool:
        """Take the session's lease for ``owner`` unless another owner holds an unexpired one."""
        now = time.time()

        def op(conn: Connection) -> bool:
            lock_key(conn, "lease:" + session_id)
            # the store runs on SQLite or PostgreSQL (agent/store/db.py); both have the upsert
            return conn.execute(_LEASE_UPSERT[conn.dialect.name], {"sid": session_id, "new_owner": owner,
                                                                   "until": now + ttl_s, "now": now}).first() is not None

        return bool(self._store._write(op))

    def release_lease(self, session_id: str, owner: str) -> None:
        self._store._write(lambda conn: conn.execute(_LEASE_RELEASE, {"sid": session_id, "by": owner}))

    def lease_owner(self, session_id: str) -> str | None:
        rows = self._store._read(sa.select(session_leases.c.owner, session_leases.c.expires_at)
                                 .where(session_leases.c.session_id == session_id))
        return rows[0]["owner"] if rows and rows[0]["expires_at"] > time.time() else None

    # -- flags ----------------------------------------------------------------------------------------
    def set_flag(self, key: str, value: float) -> None:
        now = time.time()

        def op(conn: Connection) -> Any:
            lock_key(conn, "flag:" + key)
            res = conn.execute(shared_flags.update().where(shared_flags.c.key == key)
                               .values(value=float(value), updated_at=now))
            if not res.rowcount:
                conn.execute(shared_flags.insert().values(key=key, value=float(value), updated_at=now))

        self._store._write(op)

    def get_flag(self, key: str, default: float = 0.0) -> float:
        rows = self._store._read(sa.select(shared_flags.c.value).where(shared_flags.c.key == key))
        return float(rows[0]["value"]) if rows else default
