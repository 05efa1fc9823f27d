"""Support audit: reconstruct any recommendation after the fact, from the store alone.

Why: support staff must be able to answer "why did WhyRec show me this?" days later, in
another process, without re-running models whose versions may have changed. Everything
needed is appended to the store at recommendation time (agent/store/db.py): the conversation,
the tool calls of that turn (arguments, durations, result summaries), the evidence bundle,
scores, rank, versions, every explanation with its faithfulness check, and feedback.

``why``/``audit`` are SUPPORT-ONLY: they read any user's data. Entry points guard them
(the CLI is an operator tool; the UI asks for the support login). The turn writes what they
read (agent/turn/cards.py, agent/turn/explain_stage.py); this module only reads. Their text
form for the CLI and the support view is in agent/store/audit_text.py (re-exported here, the
module the UI loads: ui/ports.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from agent.store.audit_text import render_audit_text, render_why_text
from tools.errors import InputError, NotFoundError
from tools.explain.claims import contribution_table
from tools.explain.evidence import EvidenceBundle
from tools.explain.templates import evidence_lines

#: how many messages before the recommendation the account shows
CONVERSATION_EXCERPT = 20


def parse_since(since: str | date | datetime | None) -> datetime | None:
    """ISO date or datetime (naive = UTC) -> aware datetime; None passes through."""
    if since is None or since == "":
        return None
    if isinstance(since, datetime):
        value = since
    elif isinstance(since, date):
        value = datetime(since.year, since.month, since.day)
    else:
        try:
            value = datetime.fromisoformat(str(since).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"--since must be an ISO date like 2026-01-31 or 2026-01-31T12:00, got {since!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _bundle_views(evidence: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(facts, plain-words lines) of a stored bundle; ({}, []) when it is not a bundle dict."""
    if not isinstance(evidence, dict) or "item_id" not in evidence or "title" not in evidence:
        return {}, []
    try:
        bundle = EvidenceBundle.from_dict(evidence)
    except InputError:
        return {}, []
    return bundle.facts(), evidence_lines(bundle)


def why(store: Any, rec_id: str, *, catalog: Any = None) -> dict[str, Any]:
    """The full account of one recommendation (a JSON-ready dict).

    Raises ``NotFoundError`` for an unknown ``rec_id``. With ``catalog`` (the one in use
    now) the account also says whether the item or the catalog changed since.
    """
    if not rec_id or not str(rec_id).strip():
        raise InputError("give a rec_id (shown on every recommendation card and by `whyrec audit`)")
    rec = store.recommendation(str(rec_id).strip())
    session_id, turn = rec["session_id"], int(rec["turn_index"])
    session = store.session(session_id)
    msgs = store.messages(session_id, upto_turn=turn)
    earlier = max(0, len(msgs) - CONVERSATION_EXCERPT)
    conversation = [
        {
            "turn_index": m["turn_index"], "role": m["role"], "content": m["content"], "created_at": m["created_at"],
            "after_recommendation": bool(m["created_at"] and rec["created_at"] and m["created_at"] > rec["created_at"]),
        }
        for m in msgs[earlier:]
    ]
    user_turn = [m["content"] for m in msgs if m["role"] == "user" and m["turn_index"] == turn]
    calls = [
        {k: c.get(k) for k in ("tool", "arguments", "duration_ms", "ok", "result_summary", "error", "created_at")}
        for c in store.tool_calls(session_id, turn_index=turn)
    ]
    same_turn = [
        {"rec_id": r["rec_id"], "item_id": r["item_id"], "title": r["title"], "rank": r["rank"]}
        for r in store.list_recommendations(session_id=session_id, limit=1000)
        if int(r["turn_index"]) == turn
    ]
    same_turn.sort(key=lambda r: r["rank"])
    facts, lines = _bundle_views(rec["evidence"])
    latest = rec.get("explanation")
    account: dict[str, Any] = {
        "rec_id": rec["rec_id"],
        "session": {
            "session_id": session_id, "user_id": session.get("user_id"), "created_at": session.get("created_at"),
            "turn_count": session.get("turn_count"),
        },
        "turn_index": turn,
        "item": {"item_id": rec["item_id"], "title": rec["title"], "rank": rec["rank"]},
        "scores": rec["scores"],
        "user_said": user_turn[-1] if user_turn else None,
        "conversation": conversation,
        "conversation_earlier_messages": earlier,
        "tool_calls": calls,
        "tool_time_ms": round(sum(float(c["duration_ms"] or 0) for c in calls), 1),
        "same_turn": same_turn,
        "evidence": rec["evidence"],
        "facts": facts,
        "evidence_lines": lines,
        "explanation": None if latest is None else {
            "text": latest["text"], "path": latest["path"], "check": latest["check"], "created_at": latest["created_at"],
        },
        "explanations": [
            {"text": e["text"], "path": e["path"], "check": e["check"], "created_at": e["created_at"]}
            for e in rec.get("explanations") or []
        ],
        "feedback": [{"kind": f["kind"], "created_at": f["created_at"]} for f in rec.get("feedback") or []],
        "versions": rec["versions"],
        "timestamps": {
            "session_created": session.get("created_at"),
            "recommended": rec["created_at"],
            "explained": latest["created_at"] if latest else None,
            "last_feedback": (rec.get("feedback") or [{}])[-1].get("created_at"),
        },
    }
    scores = rec["scores"] or {}
    account["contributions"] = contribution_table(scores.get("features") or {}, scores.get("contributions") or {})
    account["claims"] = claim_checks(rec["evidence"], latest, catalog)
    if catalog is not None:
        account["catalog_now"] = _catalog_drift(rec, catalog)
    return account


def claim_checks(evidence: Any, latest: dict[str, Any] | None, catalog: Any = None) -> list[dict[str, Any]]:
    """Every claim of the card, whether the shown explanation states it, and that sentence's check now.

    Why re-check here: support staff should see, claim by claim, that what the user read is backed
    -- not only the stored overall verdict -- and which claims the text left out.
    """
    if not isinstance(evidence, dict) or not evidence.get("claims"):
        return []
    try:
        bundle = EvidenceBundle.from_dict(evidence)
    except (InputError, ValueError):
        return []
    from tools.explain.claim_llm import check_claim_sentences
    from tools.explain.faithfulness import Sentence
    from tools.explain.faithfulness_titles import TitleIndex

    index = TitleIndex.coerce(catalog) if catalog is not None else None
    sentences = [Sentence(x["text"], tuple(x.get("evidence_keys") or ()))
                 for x in ((latest or {}).get("check") or {}).get("sentences") or []]
    out = []
    for c in bundle.claims:
        stated = [x for x in sentences if c.key in x.evidence_keys]
        checks = [check_claim_sentences([x], bundle, index) for x in stated]
        out.append({**c.to_dict(), "stated": bool(stated), "sentences": [x.text for x in stated],
                    "check": None if not checks else ("passed" if all(k.passed for k in checks) else "FAILED: " + "; ".join(
                        v for k in checks for v in k.violations))})
    return out


def _catalog_drift(rec: dict[str, Any], catalog: Any) -> dict[str, Any]:
    recorded = (rec.get("versions") or {}).get("catalog")
    item = catalog.by_id.get(str(rec["item_id"]))
    return {
        "version": catalog.version,
        "recorded_version": recorded,
        "catalog_changed": recorded is not None and recorded != catalog.version,
        "item_present": item is not None,
        "title_now": item.title if item else None,
    }


def audit(store: Any, *, session_id: str | None = None, user_id: str | None = None, item_id: str | None = None,
          since: str | date | datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Recommendations matching the filters, newest first, one summary row each."""
    if limit < 1 or limit > 10_000:
        raise InputError(f"limit must be between 1 and 10000, got {limit}")
    rows = store.list_recommendations(session_id=session_id, user_id=user_id, item_id=item_id,
                                      since=parse_since(since), limit=limit)
    out = []
    for r in rows:
        try:
            full = store.recommendation(r["rec_id"])
        except NotFoundError:  # pragma: no cover - rows are append-only
            continue
        exp = full.get("explanation")
        out.append({
            "rec_id": r["rec_id"], "created_at": r["created_at"], "session_id": r["session_id"],
            "user_id": r.get("user_id"), "turn_index": r["turn_index"], "item_id": r["item_id"],
            "title": r["title"], "rank": r["rank"], "scores": r["scores"],
            "explanation_path": exp["path"] if exp else None,
            "check_passed": bool(exp["check"].get("passed")) if exp else None,
            "feedback": [f["kind"] for f in full.get("feedback") or []],
            "versions": r["versions"],
        })
    return out

__all__ = ["CONVERSATION_EXCERPT", "audit", "claim_checks", "parse_since", "render_audit_text", "render_why_text", "why"]
