"""The support audit as text: one recommendation's account ("why?") and a list of turns.

Why a module of its own: the queries (agent/store/audit.py) decide what an account holds; this is
only how the CLI (``whyrec audit``/``whyrec why``) and the support view print it.
"""

from __future__ import annotations

from typing import Any


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
