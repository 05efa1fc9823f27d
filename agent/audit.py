"""Support audit: reconstruct any recommendation after the fact, from the store alone.

Why: support staff must be able to answer "why did WhyRec show me this?" days later, in
another process, without re-running models whose versions may have changed. Everything
needed is appended to the store at recommendation time (agent/store.py): the conversation,
the tool calls of that turn (arguments, durations, result summaries), the evidence bundle,
scores, rank, versions, every explanation with its faithfulness check, and feedback.

``why``/``audit`` are SUPPORT-ONLY: they read any user's data. Entry points guard them
(the CLI is an operator tool; the UI asks for the support login). The one writer here,
``record_recommendation``, is what the agent loop calls so that every recommendation is
stored in the shape these queries read back (bundle JSON, explanation + full check).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tools.claims import contribution_table
from tools.errors import InputError, NotFoundError
from tools.evidence import EvidenceBundle
from tools.explain_templates import evidence_lines

#: how many messages before the recommendation the account shows
CONVERSATION_EXCERPT = 20


def record_recommendation(store: Any, *, session_id: str, turn_index: int, rank: int, bundle: EvidenceBundle,
                          explanation: Any = None, scores: dict[str, float] | None = None,
                          rec_id: str | None = None) -> str:
    """Append one recommendation (and its checked explanation, if ready) to the audit trail.

    ``explanation`` is a ``tools.explain.Explanation``; it may also be added later with
    ``record_explanation`` (explanations can arrive after the card is shown).
    """
    rec = store.add_recommendation(
        session_id=session_id, turn_index=turn_index, item_id=bundle.item_id, rank=rank,
        scores=dict(scores if scores is not None else bundle.scores), evidence=bundle.to_dict(),
        versions=dict(bundle.versions), title=bundle.title, rec_id=rec_id,
    )
    if explanation is not None:
        record_explanation(store, rec, explanation)
    return rec


def record_explanation(store: Any, rec_id: str, explanation: Any) -> int:
    """Store a checked explanation with its path, check result, prompt id and rejected attempts."""
    check = explanation.check.to_dict()
    check.update({
        "prompt_id": explanation.prompt_id, "llm_attempts": explanation.llm_attempts,
        "rejected": list(explanation.rejected), "error": explanation.error, "degraded": explanation.degraded,
        "sentences": [s.to_dict() for s in explanation.sentences], "latency_ms": round(explanation.latency_ms, 1),
        "attempt_checks": [c.to_dict() for c in explanation.attempt_checks],
    })
    return store.add_explanation(rec_id, explanation.text, explanation.path, check)


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
    from tools.claim_llm import check_claim_sentences
    from tools.faithfulness import Sentence
    from tools.faithfulness_titles import TitleIndex

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


def _check_line(check: dict[str, Any] | None) -> str:
    if not check:
        return "not checked"
    status = "PASSED" if check.get("passed") else "FAILED"
    line = f"{status} ({check.get('claims_supported', 0)}/{check.get('claims_total', 0)} claims supported)"
    if check.get("violations"):
        line += "; violations: " + "; ".join(check["violations"])
    if check.get("prompt_id"):
        line += f"; prompt {check['prompt_id']}, {check.get('llm_attempts', 0)} LLM attempt(s)"
    for i, r in enumerate(check.get("rejected") or [], 1):
        line += f"\n      rejected attempt {i}: {r}"
    if check.get("error"):
        line += f"\n      LLM error: {check['error']}"
    return line


def render_why_text(account: dict[str, Any]) -> str:
    """A human-readable account for the CLI and the support view."""
    s, it = account["session"], account["item"]
    out = [
        f"Recommendation {account['rec_id']}: {it['title']} (item {it['item_id']}), rank {it['rank']}",
        f"  recommended {account['timestamps']['recommended']} in session {s['session_id']} "
        f"(user {s['user_id'] or 'anonymous'}), turn {account['turn_index']}",
        "",
        "Conversation up to that turn" + (f" ({account['conversation_earlier_messages']} earlier messages omitted)"
                                          if account["conversation_earlier_messages"] else "") + ":",
    ]
    for m in account["conversation"]:
        mark = " (after)" if m["after_recommendation"] else ""
        out.append(f"  [{m['turn_index']}] {m['role']}{mark}: {m['content']}")
    out += ["", f"Tools run that turn ({len(account['tool_calls'])}, {account['tool_time_ms']} ms):"]
    for c in account["tool_calls"]:
        status = "ok" if c["ok"] else f"FAILED ({c['error']})"
        out.append(f"  {c['tool']}({_args(c['arguments'])}) {float(c['duration_ms'] or 0):.0f} ms {status}: "
                   f"{c['result_summary']}")
    out += ["", "Scores: " + ", ".join(f"{k}={_fmt(v)}" for k, v in (account["scores"] or {}).items())]
    if account["same_turn"]:
        out.append("Shown that turn: " + ", ".join(f"#{r['rank']} {r['title']}" for r in account["same_turn"]))
    out += ["", "Evidence:"] + [f"  - {line}" for line in account["evidence_lines"] or ["(raw) " + str(account["evidence"])]]
    if account.get("contributions"):
        out += ["", "Ranker's account (LightGBM SHAP contribution of each feature to this card's score):"]
        out += [f"  {r['contribution']:+.3f}  {r['feature']:<22} value={_fmt(r['value'])}  -> {r['claim']}"
                for r in account["contributions"]]
    if account.get("claims"):
        out += ["", "Claims (what an explanation may say; polarity = the user's attitude to the object):"]
        for c in account["claims"]:
            kind = "constraint" if c["constraint"] else ("MAIN reason" if c["top"] else "reason")
            if c["relation"] == "causal_effect":
                kind = "causal context"
            out.append(f"  {c['key']}: {c['relation']} {', '.join(c['objects'])} [{c['polarity']}] {kind}, "
                       f"contribution {c['contribution']:+.3f} ({c['share']:.0%} of the push)"
                       + (f", value {_fmt(c['value'])}" if c["value"] is not None else ""))
            out.append("      " + (f"stated; check {c['check']}" if c["stated"] else "not stated in the shown text"))
    out += ["", "Explanation:"]
    exps = account["explanations"]
    if not exps:
        out.append("  (none recorded)")
    for i, e in enumerate(exps, 1):
        tag = "shown" if i == len(exps) else "superseded"
        out.append(f"  [{tag}] via {e['path']} at {e['created_at']}: {e['text']}")
        out.append(f"    check: {_check_line(e['check'])}")
    fb = account["feedback"]
    out += ["", "Feedback: " + (", ".join(f"{f['kind']} at {f['created_at']}" for f in fb) if fb else "none")]
    out.append("Versions: " + ", ".join(f"{k}={v}" for k, v in sorted((account["versions"] or {}).items())))
    if "catalog_now" in account:
        c = account["catalog_now"]
        out.append(f"Catalog now: {c['version']} (" + ("CHANGED since" if c["catalog_changed"] else "unchanged")
                   + ("" if c["item_present"] else "; item no longer in catalog") + ")")
    return "\n".join(out)


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _args(arguments: Any, limit: int = 160) -> str:
    if isinstance(arguments, dict):
        text = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
    else:
        text = str(arguments)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_audit_text(rows: list[dict[str, Any]]) -> str:
    """One line per recommendation (newest first)."""
    if not rows:
        return "no recommendations match"
    lines = []
    for r in rows:
        check = {None: "-", True: "checked", False: "CHECK FAILED"}[r["check_passed"]]
        fb = ",".join(r["feedback"]) or "-"
        lines.append(f"{r['rec_id']}  {r['created_at']}  session={r['session_id']} user={r['user_id'] or '-'} "
                     f"turn={r['turn_index']} #{r['rank']} {r['title']} [{r['explanation_path'] or 'no explanation'}, "
                     f"{check}] feedback={fb}")
    return "\n".join(lines)
