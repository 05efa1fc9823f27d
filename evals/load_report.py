"""The load run's verdict and its block in evals/results/load.md (evals/load.py runs the load).

Why apart: the harness starts servers and drives clients; what counts as a pass and how a run is
written down is read on its own (and tested on hand-made reports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.provenance import header

RESULTS = Path(__file__).resolve().parent / "results" / "load.md"


def verdict(report: dict, *, p95_limit_ms: float | None, min_turns_per_s: float | None) -> tuple[bool, list[str]]:
    """PASS only when every requested turn was answered, fast enough, and the store agrees.

    Why every gate: a run where turns never started (time limit, hung server) or took minutes
    is a failed deployment, whatever the rows that did get written say.
    """
    fails = []
    if report["errors"] or report["http_5xx"]:
        fails.append(f"{report['errors']} client errors, {report['http_5xx']} HTTP 5xx")
    if report["turns_answered"] != report["turns_requested"]:
        fails.append(f"{report['turns_answered']}/{report['turns_requested']} turns answered "
                     f"({report['turns_not_run']} never ran)")
    p95 = report["latency_ms"]["p95"]
    if p95_limit_ms is not None and not (p95 <= p95_limit_ms):
        fails.append(f"latency p95 {p95} ms > {p95_limit_ms:.0f} ms")
    if min_turns_per_s is not None and report["turns_per_s"] < min_turns_per_s:
        fails.append(f"{report['turns_per_s']} turns/s < {min_turns_per_s}")
    audit = report.get("store")
    if audit is not None and (audit.get("mismatches") or audit.get("sessions_inconsistent")
                              or audit.get("integrity") != "ok"):
        fails.append("the store does not match what the clients saw")
    return not fails, fails


def to_markdown(r: dict[str, Any], argv: list[str] | None = None) -> str:
    """One result block; it opens with ``header()`` (date, commit, exact command, machine)."""
    a = r["store"]
    verdict_text = "PASS" if r["ok"] else "FAIL: " + "; ".join(r.get("failures", []))
    lines = header(f"{r['mode']}: {r['sessions']} sessions × {r['turns_per_session']} turns "
                   f"(concurrency {r['concurrency']}) — {verdict_text}", argv)
    lines += ["| metric | value |", "|---|---|",
              f"| turns answered / requested | {r['turns_answered']} / {r['turns_requested']} "
              f"(not run before the time limit: {r['turns_not_run']}) |",
              f"| errors / HTTP 5xx / HTTP 4xx | {r['errors']} / {r['http_5xx']} / {r['http_4xx']} |",
              f"| degraded turns | {r['degraded_turns']}"
              + ("" if r["mode"].startswith("fast") else f" (LLM limit: {r.get('llm_timeout_s') or 'settings default'} s)")
              + " |", f"| feedback sent | {r['feedback_sent']} |",
              f"| wall time | {r['wall_s']} s (startup {r['startup_s']} s) |",
              f"| throughput | {r['turns_per_s']} turns/s |",
              f"| latency p50 / p95 / p99 / max | {r['latency_ms']['p50']} / {r['latency_ms']['p95']} / "
              f"{r['latency_ms']['p99']} / {r['latency_ms']['max']} ms |"]
    if not r["mode"].startswith("fast"):
        use = ", ".join(f"{k} {v}" for k, v in r.get("llm_use", {}).items())
        lines.append(f"| LLM-planned turns | {r.get('llm_planned_share', 0.0):.1%} ({use}) |")
    if a:
        rows = ", ".join(f"{k} {a['stored'][k]}/{v}" for k, v in a["expected"].items())
        lines += [f"| store rows (stored/expected) | {rows} |",
                  f"| lost or duplicated rows | {len(a['mismatches'])} tables, {a['sessions_inconsistent']} sessions |",
                  f"| integrity_check | {a['integrity']} |"]
    if r["error_samples"]:
        lines += ["", "Errors (first 5):", *[f"- `{e}`" for e in r["error_samples"]]]
    if r["notes"]:
        lines += ["", "Notes:", *[f"- {n}" for n in r["notes"][:8]]]
    return "\n".join(lines) + "\n"


def write_results(report: dict[str, Any], path: Path = RESULTS, argv: list[str] | None = None) -> Path:
    """Keep one section per mode (fast / llm) in ``evals/results/load.md``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = ("# Load test (evals/load.py)\n\nN concurrent sessions × M turns through the JSON API (ui/api.py), "
            "then the store is audited against what the clients saw.\n\n")
    text = path.read_text(encoding="utf-8") if path.is_file() else head
    start, end = f"<!-- load:{report['mode']} -->", f"<!-- /load:{report['mode']} -->"
    section = f"{start}\n{to_markdown(report, argv)}{end}\n"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
    return path
