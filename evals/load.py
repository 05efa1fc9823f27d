"""Bounded load run through the JSON API, then an audit of the STORE against what clients saw.

    whyrec eval load --sessions 100 --turns 10 --fast --min-turns-per-s 20   # deterministic plan, no LLM
    whyrec eval load --sessions 20 --turns 5                                 # with the LLM (server up)
    python -m evals.load --url http://127.0.0.1:7860 --store-url sqlite:///var/whyrec.db   # a running app

(``python -m ui.cli_eval load ...`` is the same command as ``whyrec eval load``.)

Without ``--url`` it builds the real composition (``agent.runtime.build_runtime``, ``use_llm=False``
for ``--fast``) over a FRESH store in a temporary directory (so row counts can be compared
exactly), serves the app its CALLER names (``app_import``: ``ui.api:app_from_env`` from
``whyrec eval load``; evals/ never imports ui/) with uvicorn on a free loopback port in a process
of its own (``--workers N``: N such processes), and drives N concurrent sessions x M turns with
httpx from this process, giving feedback on the
first card every other turn. It stops by itself (``--time-limit``). Afterwards every counter the
clients observed (answered turns, cards, tool calls, feedback) must equal the rows in the store:
no lost or duplicated rows, no 5xx, ``integrity_check() == "ok"``. The rate limits stay on (10
turns per session is under the default 30/min); only the per-client session throttle is raised to
the session count, since every simulated client shares one loopback address. Online RL updates
are switched off for the run so a load test never rewrites the trained policy in the data dir.

Why the app gets a process of its own: a hundred client threads in the app's interpreter share its
GIL, so their HTTP and JSON work was charged to the app (18.3 turns/s in-process, 20.8 with the app
in its own process, the same machine minutes apart, 2026-12-02). A deployment never has its
clients inside the server. ``--in-process`` (and a caller's ``runtime``, as the tests pass) keeps
the app in a background thread of this process.

With the LLM on, each turn's answer says how the model was used (``llm``: planned, busy = refused
by admission control and served at once by the deterministic path, over_budget, down, ...); the
report prints the share of LLM-planned turns next to the latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.load_procs import BackgroundServer, free_port  # noqa: F401 - re-exported for tests and callers
from evals.load_report import RESULTS, to_markdown, verdict, write_results  # noqa: F401 - re-exported
from evals.metrics import percentile

#: the code whose behaviour the numbers in evals/results/load.md describe (tests/test_results_provenance.py)
MEASURES = ("evals/load.py", "evals/load_procs.py", "evals/load_report.py", "ui/api.py", "agent", "tools/recsys", "tools/catalog/movie_kinds.py", "tools/retrieval/retriever.py", "tools/retrieval/embeddings.py")
#: an app factory: (agent, store, settings) -> an ASGI app (ui.api.build_api)
AppFactory = Callable[[Any, Any, Any], Any]
PROMPTS = ("I loved {t}, something like it please", "more like {t}", "scary movies from the 80s",
           "something funny for the whole family", "I didn't like {t}, show me something else",
           "a thriller, nothing too long", "animated movies", "more like {t} but older", "romantic comedies",
           "any science fiction recommendations?")
FEEDBACK = ("like", "dislike", "accept", "watched")


@dataclass
class SessionLog:
    session_id: str = ""
    turns_ok: int = 0
    cards: int = 0
    tool_calls: int = 0
    feedback_ok: int = 0
    degraded: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    not_run: int = 0
    llm: Counter = field(default_factory=Counter)


def drive_session(url: str, index: int, turns: int, titles: list[str], deadline: float,
                  timeout_s: float) -> SessionLog:
    import httpx

    log = SessionLog()
    with httpx.Client(base_url=url, timeout=timeout_s) as client:
        try:
            r = client.post("/api/v1/sessions")
        except httpx.HTTPError as exc:
            log.errors.append(f"create session: {type(exc).__name__}: {exc}")
            log.not_run = turns
            return log
        log.statuses.append(r.status_code)
        if r.status_code != 201:
            log.errors.append(f"create session: HTTP {r.status_code} {r.text[:200]}")
            log.not_run = turns
            return log
        body = r.json()
        log.session_id = body["session_id"]
        auth = {"Authorization": f"Bearer {body['token']}"}
        for t in range(turns):
            if time.monotonic() > deadline:
                log.not_run += turns - t
                break
            text = PROMPTS[(index + t) % len(PROMPTS)].format(t=titles[(index * 7 + t) % len(titles)])
            t0 = time.perf_counter()
            try:
                r = client.post(f"/api/v1/sessions/{log.session_id}/turns", json={"text": text}, headers=auth)
            except httpx.HTTPError as exc:
                log.errors.append(f"turn {t}: {type(exc).__name__}: {exc}")
                continue
            log.latencies_ms.append((time.perf_counter() - t0) * 1000)
            log.statuses.append(r.status_code)
            if r.status_code != 200:
                log.errors.append(f"turn {t}: HTTP {r.status_code} {r.text[:200]}")
                continue
            res = r.json()
            if res["turn_index"] != log.turns_ok:
                log.errors.append(f"turn {t}: turn_index {res['turn_index']} (expected {log.turns_ok}): {res['reply'][:120]}")
                continue
            log.turns_ok += 1
            log.cards += len(res["recommendations"])
            log.tool_calls += len(res["tool_trace"])
            log.degraded += bool(res["degraded"])
            log.llm[str(res.get("llm", "n/a"))] += 1
            if t % 2 == 0 and res["recommendations"]:
                rec = res["recommendations"][0]["rec_id"]
                f = client.post(f"/api/v1/sessions/{log.session_id}/feedback",
                                json={"rec_id": rec, "kind": FEEDBACK[(index + t) % len(FEEDBACK)]}, headers=auth)
                log.statuses.append(f.status_code)
                if f.status_code == 201:
                    log.feedback_ok += 1
                else:
                    log.errors.append(f"feedback: HTTP {f.status_code} {f.text[:200]}")
        h = client.get(f"/api/v1/sessions/{log.session_id}/history", headers=auth)
        log.statuses.append(h.status_code)
        if h.status_code != 200 or len(h.json()["messages"]) != 2 * log.turns_ok:
            log.errors.append(f"history: HTTP {h.status_code}, {len(h.json().get('messages', []))} messages "
                              f"for {log.turns_ok} answered turns")
    return log




def audit_store(store: Any, logs: list[SessionLog], baseline: dict[str, int]) -> dict[str, Any]:
    """Expected rows (from what clients saw) vs. rows in the store; per table and per session."""
    counts = store.counts()
    delta = {k: counts[k] - baseline.get(k, 0) for k in counts}
    turns = sum(s.turns_ok for s in logs)
    cards = sum(s.cards for s in logs)
    expected = {"sessions": sum(1 for s in logs if s.session_id), "messages": 2 * turns, "recommendations": cards,
                "explanations": cards, "tool_calls": sum(s.tool_calls for s in logs),
                "feedback": sum(s.feedback_ok for s in logs)}
    # LLM explanations that pass their check after the answer are appended as extra rows (the audit keeps both)
    mismatches = {k: {"expected": v, "stored": delta[k]} for k, v in expected.items()
                  if (delta[k] < v if k == "explanations" else delta[k] != v)}
    per_session = 0
    for s in logs:
        if not s.session_id:
            continue
        recs = store.list_recommendations(session_id=s.session_id, limit=100_000)
        if (len(store.messages(s.session_id)) != 2 * s.turns_ok or len(recs) != s.cards
                or len(store.feedback(session_id=s.session_id)) != s.feedback_ok
                or len(store.tool_calls(s.session_id)) != s.tool_calls
                or store.session(s.session_id)["turn_count"] != s.turns_ok):
            per_session += 1
    return {"expected": expected, "stored": delta, "mismatches": mismatches, "sessions_inconsistent": per_session,
            "integrity": store.integrity_check()}


def run_load(*, sessions: int, turns: int, fast: bool, url: str | None = None, concurrency: int | None = None,
             time_limit_s: float = 300.0, data_dir: str | None = None, store_url: str | None = None,
             request_timeout_s: float = 120.0, titles: list[str] | None = None, runtime: Any = None,
             llm_timeout_s: float | None = None, p95_limit_ms: float | None = None,
             min_turns_per_s: float | None = None, app_factory: AppFactory | None = None,
             workers: int = 1, app_import: str | None = None, blas_threads: int | None = 1,
             in_process: bool = False) -> dict[str, Any]:
    """Run the load and return the report dict (``ok`` is the verdict, ``failures`` says why not).

    ``blas_threads`` (None = numpy's default, every core) is the served app's BLAS thread limit: 1 is
    the setting for many sessions on few cores (README, "CPU per turn"), which this load is.

    Without ``url`` the app runs in ``workers`` processes of its own (evals/load_procs.py) from
    ``app_import`` (e.g. ``ui.api:app_from_env``), the caller's, so this harness stays below the UI
    layer; with ``in_process`` or a ``runtime`` it runs in a thread here, built by ``app_factory``
    (e.g. ``ui.api.build_api``) from the runtime.
    """
    if sessions < 1 or turns < 1:
        raise ValueError("--sessions and --turns must be at least 1")
    if workers < 1:
        raise ValueError("--workers must be at least 1")
    in_process = in_process or runtime is not None
    if url is None and in_process and workers > 1:
        raise ValueError("--in-process serves one app in this process; drop --workers or --in-process")
    if url is None and not in_process and not app_import:
        raise ValueError("no app to serve: run `whyrec eval load` (it names ui.api:app_from_env) or give --url")
    if url is None and in_process and app_factory is None:
        raise ValueError("no app to serve: run `whyrec eval load` (it passes ui.api.build_api) or give --url")
    concurrency = concurrency or sessions
    if concurrency < 1:
        raise ValueError("--concurrency must be at least 1")
    if blas_threads is not None and blas_threads < 1:
        raise ValueError("--blas-threads must be at least 1 (0 on the command line = numpy's default)")
    server = None
    store = None
    tmp = None
    notes: list[str] = []
    t_build = time.perf_counter()
    if url is None:
        notes.append(f"served app's numpy BLAS threads: {blas_threads or 'numpy default (every core)'}")
    if url is None and not in_process:
        from agent.runtime import load_active_catalog
        from agent.settings import load_settings
        from agent.store.db import Store
        from evals.load_procs import WorkerProcesses, describe, worker_env

        tmp = tempfile.TemporaryDirectory(prefix="whyrec-load-")
        store_url = f"sqlite:///{tmp.name}/load.db"
        store = Store(store_url)
        settings = load_settings(data_dir=Path(data_dir) if data_dir else None)
        catalog = load_active_catalog(settings)
        titles = titles or [i.title for i in sorted(catalog.items, key=lambda i: -i.popularity)[:50]]
        env = worker_env(store_url=store_url, data_dir=data_dir, use_llm=not fast, sessions=sessions,
                         llm_timeout_s=llm_timeout_s, blas_threads=blas_threads)
        server = WorkerProcesses(app_import, free_port(), workers, env, Path(tmp.name) / "workers.log").start()
        url = server.url
        notes.append(describe(workers, store_url))
        notes += server.warm_up_notes()
    elif url is None:
        if runtime is None:
            from agent.runtime import build_runtime
            from agent.settings import apply_runtime_settings, load_settings

            tmp = tempfile.TemporaryDirectory(prefix="whyrec-load-")
            settings = load_settings(data_dir=Path(data_dir) if data_dir else None,
                                     store_url=f"sqlite:///{tmp.name}/load.db", rl_online_updates=False,
                                     llm_plan_timeout_s=llm_timeout_s, llm_timeout_s=llm_timeout_s,
                                     sessions_per_client_per_minute=max(30, sessions), blas_threads=blas_threads)
            apply_runtime_settings(settings)
            runtime = build_runtime(settings, use_llm=not fast)
            notes += runtime.notes
            if not fast:
                warm = runtime.agent.warm_up()
                notes.append(f"planner warm-up: {'failed (server down?)' if warm is None else f'{warm:.2f} s'}")
        store = runtime.store
        titles = titles or [i.title for i in sorted(runtime.catalog.items, key=lambda i: -i.popularity)[:50]]
        server = BackgroundServer(app_factory(runtime.agent, store, runtime.settings), free_port()).start()
        url = server.url
    elif store_url:
        from agent.store.db import Store

        store = Store(store_url, create=False)
        notes.append("external app: store rows compared as deltas, valid only if nothing else writes meanwhile")
    else:
        notes.append("external app without --store-url: store rows not audited")
    titles = titles or ["Toy Story", "The Matrix", "Titanic", "Up", "Alien"]
    build_s = time.perf_counter() - t_build
    baseline = store.counts() if store is not None else {}
    deadline = time.monotonic() + time_limit_s
    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load-client") as pool:
            logs = list(pool.map(lambda i: drive_session(url, i, turns, titles, deadline, request_timeout_s),
                                 range(sessions)))
        wall = time.perf_counter() - t0
        audit = audit_store(store, logs, baseline) if store is not None else None
    finally:
        if server is not None:
            server.stop()
        if runtime is not None and not runtime.agent.wait_idle(60.0):
            notes.append("teardown: turn workers still running after 60 s (their late writes are lost)")
        if tmp is not None:
            store.close()
            tmp.cleanup()
    lat = [x for s in logs for x in s.latencies_ms]
    statuses = [c for s in logs for c in s.statuses]
    answered = sum(s.turns_ok for s in logs)
    errors = [e for s in logs for e in s.errors]
    llm_use = sum((s.llm for s in logs), Counter())
    report = {
        "mode": ("fast" if fast else "llm") + (f"-{workers}proc" if workers > 1 else ""), "sessions": sessions, "turns_per_session": turns, "concurrency": concurrency,
        "turns_requested": sessions * turns, "turns_answered": answered, "turns_not_run": sum(s.not_run for s in logs),
        "degraded_turns": sum(s.degraded for s in logs), "feedback_sent": sum(s.feedback_ok for s in logs),
        "errors": len(errors), "error_samples": errors[:5], "http_5xx": sum(1 for c in statuses if c >= 500),
        "http_4xx": sum(1 for c in statuses if 400 <= c < 500), "wall_s": round(wall, 2), "startup_s": round(build_s, 1),
        "turns_per_s": round(answered / wall, 2) if wall else 0.0,
        "latency_ms": {f"p{q}": round(percentile(lat, q), 1) if lat else float("nan") for q in (50, 95, 99)} | {
                       "mean": round(statistics.fmean(lat), 1) if lat else float("nan"),
                       "max": round(max(lat), 1) if lat else float("nan")},
        "store": audit, "notes": notes, "llm_timeout_s": llm_timeout_s,
        "llm_use": dict(llm_use.most_common()),
        "llm_planned_share": round(llm_use["planned"] / answered, 3) if answered else 0.0,
    }
    if not fast and report["degraded_turns"]:
        notes.insert(0, f"{report['degraded_turns']} turns were answered without the LLM, each saying so in its "
                        f"reply: {llm_use['busy']} refused at once by admission control (\"the language model is "
                        f"busy\": it could not answer within the turn's budget), {llm_use['down']} while the circuit "
                        "breaker was open (\"limited mode\"); "
                        "degraded turns count as answered: the user got recommendations")
    report["ok"], report["failures"] = verdict(report, p95_limit_ms=p95_limit_ms, min_turns_per_s=min_turns_per_s)
    return report


def main(argv: list[str] | None = None, *, app_factory: AppFactory | None = None, app_import: str | None = None,
         prog: str = "python -m evals.load") -> int:
    """The command line; ``whyrec eval load`` calls it with ``app_factory=ui.api.build_api``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--turns", type=int, default=3)
    p.add_argument("--fast", action="store_true", help="no LLM: the deterministic plan (limited mode)")
    p.add_argument("--url", help="drive an already running app instead of starting one")
    p.add_argument("--store-url", help="with --url: the app's store, to audit rows (as deltas)")
    p.add_argument("--data-dir", help="data dir with the index (default: settings, ./var)")
    p.add_argument("--concurrency", type=int, help="client threads (default: one per session)")
    p.add_argument("--workers", type=int, default=1, help="app processes sharing one store, each a process of its "
                   "own (needs the caller's app factory: `whyrec eval load --workers 2`)")
    p.add_argument("--in-process", action="store_true", help="serve the app in a thread of this process, sharing "
                   "its GIL with the client threads (the harness's old setup; slower, for comparison)")
    p.add_argument("--blas-threads", type=int, default=1, help="numpy BLAS threads of the served app (default 1: many "
                   "sessions on few cores; 0 = numpy's default, every core)")
    p.add_argument("--time-limit", type=float, default=300.0, help="stop starting turns after S seconds")
    p.add_argument("--request-timeout", type=float, default=120.0)
    p.add_argument("--llm-timeout", type=float, help="planning and LLM request limit in s (default: settings); "
                   "admission control refuses the planner for a turn that could not get its answer in time")
    p.add_argument("--p95-limit", type=float, default=None,
                   help="FAIL when the turn latency p95 exceeds this many ms (default: 5000 with the LLM, none in --fast)")
    p.add_argument("--min-turns-per-s", type=float, default=None, help="FAIL below this throughput")
    p.add_argument("--no-write", action="store_true", help="do not update evals/results/load.md")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    a = p.parse_args(argv)
    p95_limit = a.p95_limit if a.p95_limit is not None else (None if a.fast else 5000.0)
    try:
        report = run_load(sessions=a.sessions, turns=a.turns, fast=a.fast, url=a.url, concurrency=a.concurrency,
                          time_limit_s=a.time_limit, data_dir=a.data_dir, store_url=a.store_url,
                          request_timeout_s=a.request_timeout, llm_timeout_s=a.llm_timeout,
                          p95_limit_ms=p95_limit, min_turns_per_s=a.min_turns_per_s, app_factory=app_factory,
                          workers=a.workers, app_import=app_import, blas_threads=a.blas_threads or None,
                          in_process=a.in_process)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = [prog, *argv]
    if not a.no_write:
        print(f"wrote {write_results(report, argv=command)}", file=sys.stderr)
    print(json.dumps(report, indent=2, default=str) if a.json else to_markdown(report, command))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
