"""The store's tables (SQLAlchemy Core), shared by the SQLite and PostgreSQL backends.

Why a module of its own: ``agent/store/db.py`` is the behaviour (transactions, group commit, the
audit trail's API); this is the one schema, so a reader sees every table in one place. The
last three tables hold the state that several app processes must share (rate limits, session
leases, the LLM circuit breaker): in memory they would be per process, and a client spreading
its requests over two processes would get twice the limit.

The row codec (``now``/``dumps``/``loads``/``iso``) lives here too: the JSON text columns and the
timestamps are part of how a row is stored, and both halves of the store (agent/store/db.py and
agent/store/records.py) must write and read them the same way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

SCHEMA_VERSION = 1
metadata = sa.MetaData()


def now() -> datetime:
    return datetime.now(UTC)


def dumps(obj: Any) -> str:
    """A JSON text column's value: sorted keys, so equal objects are equal rows."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def loads(text: str | None) -> Any:
    return json.loads(text) if text else {}


def iso(value: Any) -> Any:
    """A timestamp as ISO text (SQLite hands back naive datetimes: they were written in UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    return value


sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(128), index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("turn_count", sa.Integer, nullable=False, default=0),
    sa.Column("state", sa.Text, nullable=False, default="{}"),
)
messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.session_id"), index=True, nullable=False),
    sa.Column("turn_index", sa.Integer, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("meta", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
tool_calls = sa.Table(
    "tool_calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.session_id"), index=True, nullable=False),
    sa.Column("turn_index", sa.Integer, nullable=False),
    sa.Column("tool", sa.String(64), nullable=False),
    sa.Column("arguments", sa.Text, nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("result_summary", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
recommendations = sa.Table(
    "recommendations",
    metadata,
    sa.Column("rec_id", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.session_id"), index=True, nullable=False),
    sa.Column("user_id", sa.String(128), index=True),
    sa.Column("turn_index", sa.Integer, nullable=False),
    sa.Column("item_id", sa.String(128), index=True, nullable=False),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("scores", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("versions", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
explanations = sa.Table(
    "explanations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rec_id", sa.String(64), sa.ForeignKey("recommendations.rec_id"), index=True, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("path", sa.String(32), nullable=False),
    sa.Column("check_result", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rec_id", sa.String(64), sa.ForeignKey("recommendations.rec_id"), index=True, nullable=False),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.session_id"), index=True, nullable=False),
    sa.Column("item_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
meta_table = sa.Table(
    "whyrec_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
#: one row per counted event (a turn, a feedback, a session created, an RL update) under a key such as
#: ``turn:<session>``; a limit counts the rows of its key inside its window (agent/store/shared.py)
rate_events = sa.Table(
    "rate_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_rate_events_key_at", "key", "at"),
)
#: who is running a turn of a session right now (any process); a lease expires so a crash frees it
session_leases = sa.Table(
    "session_leases",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
#: small shared numbers with a wall-clock meaning, e.g. ``llm_down_until`` (the circuit breaker)
shared_flags = sa.Table(
    "shared_flags",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
