"""The store's card records: recommendations, their explanations, and the feedback on them.

Why apart from agent/store/db.py: that module is the store's machinery (engine, transactions,
group commit) and the dialogue log (sessions, messages, tool calls); this is the audit trail of
what was recommended and why, which ``whyrec audit`` and the online learner read. The Store
composes it as a mixin, so callers keep one object (``store.add_recommendation(...)``) and the
writes still go through the store's one ``_write`` (one transaction, grouped commits on SQLite).
Rows here are append-only: a late explanation is a new ``explanations`` row, never an update.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from agent.store.schema import dumps, explanations, feedback, iso, loads, now, recommendations, sessions
from agent.store.shared import DuplicateFeedbackError, lock_key
from agent.types import FEEDBACK_KINDS
from tools.errors import AccessDeniedError, InputError, NotFoundError

#: hot statements built once (their compiled form is cached; values come as parameters)
_SESSION_USER = sa.select(sessions.c.user_id).where(sessions.c.session_id == sa.bindparam("sid"))
_INSERT_RECOMMENDATION = recommendations.insert()
_KNOWN_RECS = sa.select(recommendations.c.rec_id).where(
    recommendations.c.rec_id.in_(sa.bindparam("ids", expanding=True)))
# one multi-row INSERT ... RETURNING for a turn's explanations (SQLAlchemy's "insertmanyvalues"; SQLite >=
# 3.35 and PostgreSQL). Not ``sort_by_parameter_order``: on SQLite that falls back to one statement per
# row, and every statement the writer thread runs waits for the GIL under load (agent/store/shared.py);
# the ids of one statement's rows are assigned in row order, so the sorted ids are the rows' ids.
_INSERT_EXPLANATIONS = explanations.insert().returning(explanations.c.id)
_CARD_OWNER = sa.select(recommendations.c.session_id, recommendations.c.item_id).where(
    recommendations.c.rec_id == sa.bindparam("rid"))
_SAME_FEEDBACK = sa.select(feedback.c.id).where(feedback.c.rec_id == sa.bindparam("rid"),
                                                feedback.c.kind == sa.bindparam("fkind"))
_INSERT_FEEDBACK = feedback.insert()
_CARD_FOR_FEEDBACK = sa.select(
    recommendations.c.item_id, recommendations.c.scores,
    sa.select(sa.func.count()).select_from(feedback).where(feedback.c.rec_id == sa.bindparam("rid"))
    .scalar_subquery().label("n_feedback")).where(recommendations.c.rec_id == sa.bindparam("rid"))


class CardRecords:
    """Recommendations, explanations and feedback; mixed into :class:`agent.store.db.Store`."""

    # provided by Store
    _write: Callable[[Callable[[Connection], Any]], Any]
    _read: Callable[..., list[dict[str, Any]]]

    def add_recommendation(
        self,
        *,
        session_id: str,
        turn_index: int,
        item_id: str,
        rank: int,
        scores: dict[str, Any],
        evidence: dict[str, Any],
        versions: dict[str, Any],
        title: str = "",
        rec_id: str | None = None,
        user_id: str | None = None,
    ) -> str:
        return self.add_recommendations(
            session_id, turn_index,
            [{"item_id": item_id, "rank": rank, "scores": scores, "evidence": evidence, "versions": versions,
              "title": title, "rec_id": rec_id}], user_id=user_id)[0]

    def add_recommendations(self, session_id: str, turn_index: int, cards: list[dict[str, Any]], *,
                            user_id: str | None = None) -> list[str]:
        """Store a turn's cards (each: item_id, rank, scores, evidence, versions, title[, rec_id]) in one
        write; returns their rec_ids in order.

        Why one write: a slate is stored together (the audit never holds half a slate), and one
        transaction instead of five saves four hand-offs to the writer thread per turn.
        """
        if not cards:
            return []
        stamp = now()
        rows = [{"rec_id": c.get("rec_id") or "rec_" + secrets.token_hex(8), "session_id": session_id,
                 "turn_index": turn_index, "item_id": str(c["item_id"]), "title": c.get("title", ""),
                 "rank": c["rank"], "scores": dumps(c["scores"]), "evidence": dumps(c["evidence"]),
                 "versions": dumps(c["versions"]), "created_at": stamp} for c in cards]

        def op(conn: Connection) -> None:
            uid = user_id
            if uid is None:
                found = conn.execute(_SESSION_USER, {"sid": session_id}).first()
                if found is None:
                    raise NotFoundError(f"unknown session {session_id!r}; start a new session")
                uid = found[0]
            # a pre-built statement with the values as parameters: SQLAlchemy reuses its compiled form
            # (``insert().values(**row)`` rebuilt and re-keyed the statement for every row)
            conn.execute(_INSERT_RECOMMENDATION, [{**r, "user_id": uid} for r in rows])

        self._write(op)
        return [r["rec_id"] for r in rows]

    def add_explanation(self, rec_id: str, text: str, path: str, check: dict[str, Any]) -> int:
        return self.add_explanations([(rec_id, text, path, check)])[0]

    def add_explanations(self, rows: list[tuple[str, str, str, dict[str, Any]]]) -> list[int]:
        """``add_explanation`` for each (rec_id, text, path, check) in one transaction: a turn's cards are
        explained together, and one write instead of five saves four hand-offs to the writer thread."""
        if not rows:
            return []
        stamp = now()
        values = [{"rec_id": r, "text": t, "path": p, "check_result": dumps(c), "created_at": stamp}
                  for r, t, p, c in rows]
        wanted = {v["rec_id"] for v in values}

        def op(conn: Connection) -> list[int]:
            found = {x[0] for x in conn.execute(_KNOWN_RECS, {"ids": sorted(wanted)})}
            if missing := sorted(wanted - found):
                raise NotFoundError(f"unknown rec_id {missing[0]!r}")
            return sorted(int(x[0]) for x in conn.execute(_INSERT_EXPLANATIONS, values))

        return self._write(op)

    @staticmethod
    def _decode_rec(row: dict[str, Any]) -> dict[str, Any]:
        for key in ("scores", "evidence", "versions"):
            row[key] = loads(row[key])
        row["created_at"] = iso(row["created_at"])
        return row

    def recommendation(self, rec_id: str) -> dict[str, Any]:
        rows = self._read(sa.select(recommendations).where(recommendations.c.rec_id == rec_id))
        if not rows:
            raise NotFoundError(f"unknown rec_id {rec_id!r}; list recent ones with `whyrec audit --session ID`")
        rec = self._decode_rec(rows[0])
        exps = self._read(sa.select(explanations).where(explanations.c.rec_id == rec_id).order_by(explanations.c.id))
        for e in exps:
            e["check"] = loads(e.pop("check_result"))
            e["created_at"] = iso(e["created_at"])
        rec["explanations"] = exps
        rec["explanation"] = exps[-1] if exps else None
        fb = self._read(sa.select(feedback).where(feedback.c.rec_id == rec_id).order_by(feedback.c.id))
        for f in fb:
            f["created_at"] = iso(f["created_at"])
        rec["feedback"] = fb
        return rec

    def card_for_feedback(self, rec_id: str) -> dict[str, Any]:
        """What feedback on a card needs: its item, its ranking features and how many feedback rows it has.

        Why not ``recommendation()``: that decodes the whole evidence bundle and every explanation,
        which a click does not read."""
        rows = self._read(_CARD_FOR_FEEDBACK, {"rid": rec_id})
        if not rows:
            raise NotFoundError(f"unknown rec_id {rec_id!r}; list recent ones with `whyrec audit --session ID`")
        scores = loads(rows[0]["scores"]) or {}
        return {"item_id": rows[0]["item_id"], "features": scores.get("features", {}),
                "n_feedback": int(rows[0]["n_feedback"])}

    def list_recommendations(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        item_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        if limit < 1:
            raise InputError("limit must be at least 1")
        stmt = sa.select(recommendations)
        if session_id is not None:
            stmt = stmt.where(recommendations.c.session_id == session_id)
        if user_id is not None:
            stmt = stmt.where(recommendations.c.user_id == user_id)
        if item_id is not None:
            stmt = stmt.where(recommendations.c.item_id == str(item_id))
        if since is not None:
            stmt = stmt.where(recommendations.c.created_at >= since)
        stmt = stmt.order_by(recommendations.c.created_at.desc(), recommendations.c.rank).limit(limit)
        return [self._decode_rec(r) for r in self._read(stmt)]

    def add_feedback(self, rec_id: str, kind: str, session_id: str | None = None, *, unique: bool = False) -> int:
        """Append one feedback row; with ``unique`` the same kind on the same card is refused.

        Why optional: the audit trail may legitimately hold repeats (imports, tests); the chat path
        passes ``unique=True`` so a client replaying a click cannot count twice
        (:class:`DuplicateFeedbackError`). The check and the insert are one transaction.
        """
        if kind not in FEEDBACK_KINDS:
            raise InputError(f"feedback kind must be one of {', '.join(FEEDBACK_KINDS)}, got {kind!r}")
        created = now()

        def op(conn: Connection) -> int:
            lock_key(conn, "feedback:" + rec_id)
            row = conn.execute(_CARD_OWNER, {"rid": rec_id}).first()
            if row is None:
                raise NotFoundError(f"unknown rec_id {rec_id!r}")
            if session_id is not None and row[0] != session_id:
                raise AccessDeniedError("this recommendation belongs to another session")
            if unique and conn.execute(_SAME_FEEDBACK, {"rid": rec_id, "fkind": kind}).first():
                raise DuplicateFeedbackError(f"'{kind}' on this card is already recorded; it counts once")
            res = conn.execute(_INSERT_FEEDBACK, {"rec_id": rec_id, "session_id": row[0], "item_id": row[1],
                                                   "kind": kind, "created_at": created})
            return int(res.inserted_primary_key[0])

        return self._write(op)

    def feedback(self, since_id: int = 0, session_id: str | None = None) -> list[dict[str, Any]]:
        stmt = sa.select(feedback).where(feedback.c.id > since_id)
        if session_id is not None:
            stmt = stmt.where(feedback.c.session_id == session_id)
        rows = self._read(stmt.order_by(feedback.c.id))
        for r in rows:
            r["created_at"] = iso(r["created_at"])
        return rows
