"""Scale-out benchmark: two app processes on one PostgreSQL, one Chroma server, two LLM servers.

    python -m evals.bench_scaleout                       # 20 sessions x 4 turns, LLM on, writes the result
    python -m evals.bench_scaleout --sessions 6 --turns 2 --no-llm --no-write --json   # quick, no LLM

What it starts (all on loopback, all thrown away at the end):

- a PostgreSQL cluster (``initdb``/``pg_ctl`` in a temp dir; ``scripts/setup_postgres.sh`` installs it);
- one Chroma server (``chroma run``) over a COPY of the data dir's index (``<data_dir>/chroma``);
- two LLM servers from the ``whyrec llm serve`` machinery (agent/llm/server.py: vLLM's CPU build
  from ``.venv-llm`` serving the converted SmolLM2) on two free ports (``--no-llm``: none);
- two app processes (``uvicorn --factory ui.api:app_from_env``), each with the PostgreSQL URL, the
  Chroma server and BOTH LLM URLs (round robin with failover, agent/llm/failover.py).

What it does (evals/scaleout_run.py): every client alternates processes (its session is created
on one, its turns go to either); after 40% of the turns, LLM server 0 is killed with ``kill -9``;
then one client address races session creations over both processes past the per-client limit
and one session sends turns past its per-minute limit; then every LLM server is killed (the next
turn on each process must answer in limited mode within 2 s), one is restarted (the LLM must be
used again, no app restart); then app process 1 is killed with SIGKILL during a burst of turns
(the store must open intact with every acknowledged turn, and its sessions go on on process 0).

The audit (evals/scaleout_audit.py) looks up every acknowledged turn, card and feedback in the
store: 0 lost, 0 duplicated. Reported: turns answered, errors, limited-mode share and p50/p95
latency overall and after the LLM kill, LLM use, the limit probes. Exit code 1 when any check
fails, 2 when a server could not be started. Writes ``evals/results/scaleout.md`` (``--no-write``:
print only). The turn budget and LLM timeout are raised for the run (``--turn-budget`` 20 s,
``--llm-timeout`` 15 s) and 4 sessions run at once (``--concurrency``) so the planner actually
gets answers from two CPU-served models on a 2-core machine; with the product's 1.4 s budget
admission control refuses nearly every LLM call here, a slow answer trips the breaker, and the
LLM kill would test nothing (measured: 20 at once, 6 s: 0 planned turns, 2 requests served).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals.provenance import ROOT, header

#: the code this benchmark's numbers describe (tests/test_results_provenance.py checks they are not stale)
MEASURES = ("evals/bench_scaleout.py", "evals/scaleout_run.py", "evals/scaleout_audit.py",
            "evals/scaleout_services.py", "evals/load_procs.py", "ui/api.py", "agent",
            "tools/retrieval/retriever.py", "tools/retrieval/vector_index.py")
RESULTS = ROOT / "evals" / "results" / "scaleout.md"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals.bench_scaleout", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=20, help="concurrent client sessions (default 20)")
    p.add_argument("--turns", type=int, default=4, help="turns per session (default 4)")
    p.add_argument("--concurrency", type=int, default=4, help="client sessions in flight at once (default 4: "
                   "two CPU-served models cannot plan for 20 at once, and every turn would be refused the LLM)")
    p.add_argument("--data-dir", default=None, help="data dir with the catalog, models and index (default: "
                   "settings, ./var)")
    p.add_argument("--no-llm", action="store_true", help="no LLM servers: the deterministic plan only")
    p.add_argument("--turn-budget", type=float, default=20.0, help="WHYREC_TURN_BUDGET_S for the app processes")
    p.add_argument("--llm-timeout", type=float, default=15.0, help="planning / LLM request limit in s")
    p.add_argument("--session-limit", type=int, default=4, help="sessions per client address per minute")
    p.add_argument("--kill-llm-after", type=float, default=0.4, help="share of the turns answered before LLM "
                   "server 0 is killed")
    p.add_argument("--no-llm-recovery", action="store_true", help="skip the all-LLMs-down phase")
    p.add_argument("--no-app-kill", action="store_true", help="skip the SIGKILL-an-app-process phase")
    p.add_argument("--time-limit", type=float, default=900.0, help="stop starting load turns after S seconds")
    p.add_argument("--keep", metavar="DIR", default=None, help="run in DIR and keep it: the LLM servers', Chroma's, "
                   "PostgreSQL's and both app processes' logs, to read why a check failed (default: a temp dir, "
                   "deleted at the end)")
    p.add_argument("--no-write", action="store_true", help=f"do not update {RESULTS.relative_to(ROOT)}")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


@contextlib.contextmanager
def _workdir(keep: str | None) -> Iterator[Path]:
    """``keep`` (created, must be empty) or a temp dir deleted at the end."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="whyrec-scaleout-") as tmp:
            yield Path(tmp)
        return
    work = Path(keep).resolve()
    work.mkdir(parents=True, exist_ok=True)
    yield work


def run(args: argparse.Namespace) -> dict[str, Any]:
    from agent.runtime import load_active_catalog
    from agent.settings import load_settings
    from evals.scaleout_run import RunConfig, run_scaleout
    from evals.scaleout_services import ChromaServer, LLMReplicas, PostgresCluster

    settings = load_settings(data_dir=Path(args.data_dir) if args.data_dir else None)
    catalog = load_active_catalog(settings)
    # display titles ("It (2017)"): a bare shared title would get "which one do you mean?" instead of a turn
    titles = [i.display_title for i in sorted(catalog.items, key=lambda i: -i.popularity)[:50]]
    with _workdir(args.keep) as work:
        pg = PostgresCluster()
        chroma = ChromaServer(work / "chroma", copy_from=settings.chroma_path)
        llm = None if args.no_llm else LLMReplicas(settings, work / "llm", 2)
        t0 = time.perf_counter()
        try:
            pg.start()
            chroma.start()
            if llm is not None:
                llm.start()
            services_s = round(time.perf_counter() - t0, 1)
            cfg = RunConfig(sessions=args.sessions, turns=args.turns, concurrency=args.concurrency, session_limit=args.session_limit,
                            kill_llm_after=args.kill_llm_after, llm_recovery=not args.no_llm_recovery,
                            kill_app=not args.no_app_kill, time_limit_s=args.time_limit,
                            env={"WHYREC_DATA_DIR": str(settings.data_dir),
                                 "WHYREC_TURN_BUDGET_S": str(args.turn_budget),
                                 "WHYREC_LLM_PLAN_TIMEOUT_S": str(args.llm_timeout),
                                 "WHYREC_LLM_TIMEOUT_S": str(args.llm_timeout),
                                 "WHYREC_LLM_CONNECT_TIMEOUT_S": "0.5"})
            report = run_scaleout(store_url=pg.url, chroma_env=chroma.env(settings.chroma_collection), llm=llm,
                                  cfg=cfg, titles=titles, workdir=work)
            report["services_startup_s"] = services_s
            report["llm_model"] = llm.model if llm else None
        finally:
            if llm is not None:
                llm.stop()
            chroma.stop()
            pg.stop()
    return report


def _lat(s: dict[str, Any]) -> str:
    m = s["latency_ms"]
    return f"{m['p50']} / {m['p95']} ms"


def _survivor(k: dict[str, Any]) -> str:
    before, after = k.get("served_before") or [], k.get("served_after") or []
    if len(before) < 2 or len(after) < 2 or before[1] is None or after[1] is None:
        return "unknown"
    return f"{after[1] - before[1]:.0f}"


def to_markdown(r: dict[str, Any], argv: list[str] | None = None) -> str:
    c, load = r["config"], r["load"]
    verdict = "PASS" if r["ok"] else "FAIL: " + "; ".join(k for k, v in r["checks"].items() if not v["ok"])
    lines = header(f"{c['processes']} app processes, PostgreSQL, Chroma server, {len(r['llm_urls'])} LLM servers: "
                   f"{c['sessions']} sessions × {c['turns']} turns — {verdict}", argv)
    a = load["all"]
    lines += ["| metric | value |", "|---|---|",
              f"| turns answered / requested | {a['answered']} / {load['requested']} "
              f"(per process {a['per_process']}) |",
              f"| errors | {a['errors']} turn errors, {len(r['errors'])} client errors in all phases |",
              f"| limited-mode share | {a['limited_share']:.0%} |",
              f"| latency p50 / p95 | {_lat(a)} (max {a['latency_ms']['max']} ms) |",
              f"| throughput | {load['turns_per_s']} turns/s over {load['wall_s']} s |",
              f"| LLM use (all load turns) | {', '.join(f'{k} {v}' for k, v in a['llm'].items()) or 'off'} |"]
    k = load.get("llm_kill")
    if k:
        lines += [f"| LLM server 0 killed | after {k['after_turns_answered']} answered turns; requests served "
                  f"per server before {k['served_before']}, at the end {k['served_after']} |",
                  f"| before the kill | {k['before']['answered']} answered, limited {k['before']['limited_share']:.0%}, "
                  f"p50/p95 {_lat(k['before'])}, LLM {k['before']['llm']} |",
                  f"| surviving LLM server | {_survivor(k)} requests served after the kill |",
                  f"| after the kill | {k['after']['answered']} answered, {k['after']['errors']} errors, limited "
                  f"{k['after']['limited_share']:.0%}, p50/p95 {_lat(k['after'])}, LLM {k['after']['llm']} |"]
    au = r["audit"]
    lines += [f"| audit | {au['turns_acknowledged']} acknowledged turns, {au['cards_acknowledged']} cards, "
              f"{au['feedback_acknowledged']} feedback: lost {len(au['lost_turns'])} turns / {len(au['lost_cards'])} "
              f"cards / {len(au['lost_feedback'])} feedback, duplicated {len(au['duplicated_turns'])} / "
              f"{len(au['duplicated_cards'])} / {len(au['duplicated_feedback'])}; "
              f"{len(au['unacknowledged_turns'])} stored turns never acknowledged; integrity {au['integrity']} |",
              f"| startup | services {r.get('services_startup_s')} s, app processes {r.get('startup_s')} s |", "",
              "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {name} | {'PASS' if v['ok'] else 'FAIL'} | {v['detail']} |" for name, v in r["checks"].items()]
    lines += ["", f"Store {r['store']}; LLM {r.get('llm_model') or 'off'} at {', '.join(r['llm_urls']) or '-'}; "
              f"turn budget {r.get('turn_budget_s') or 'settings default'} s."]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    from evals.scaleout_services import ServiceError

    if args.keep and Path(args.keep).is_dir() and any(Path(args.keep).iterdir()):
        print(f"error: --keep {args.keep}: the folder is not empty; give a new or empty folder so no earlier "
              "run's logs are mixed in", file=sys.stderr)
        return 2
    try:
        report = run(args)
    except ServiceError as exc:
        print(f"error: a server of the run could not be started: {exc}", file=sys.stderr)
        return 2

    report["turn_budget_s"] = None if args.no_llm else args.turn_budget
    text = to_markdown(report, ["python -m evals.bench_scaleout", *argv])
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("# Scale-out (evals/bench_scaleout.py)\n\nTwo app processes on one PostgreSQL, one "
                           "Chroma server and two LLM servers; a load spread over both, faults injected, then "
                           "every acknowledged turn looked up in the store.\n\n" + text, encoding="utf-8")
        print(f"wrote {RESULTS}", file=sys.stderr)
    print(json.dumps(report, indent=2, default=str) if args.json else text)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
