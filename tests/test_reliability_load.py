"""A small bounded load run (10 sessions x 3 turns) through the JSON API, audited against the store.

The full-size runs are ``python -m evals.load --sessions 100 --turns 10 --fast`` and the LLM run
(results in evals/results/load.md); this one keeps the same code path in ``make test``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.timeout(240)


def test_small_load_run_loses_nothing(make_agent, store, agent_catalog, tmp_path):
    from agent.settings import Settings
    from evals.load import run_load, to_markdown, write_results
    from ui.api import build_api

    agent = make_agent(chat_model=None)  # the deterministic plan: the --fast path
    settings = Settings(data_dir=tmp_path, recs_per_turn=3)
    runtime = SimpleNamespace(agent=agent, store=store, settings=settings, catalog=agent_catalog, notes=[])
    titles = [i.title for i in agent_catalog.items]
    report = run_load(sessions=10, turns=3, fast=True, runtime=runtime, titles=titles, time_limit_s=180,
                      app_factory=build_api)

    assert report["ok"], report
    assert report["turns_answered"] == 30 and report["http_5xx"] == 0 and report["errors"] == 0
    audit = report["store"]
    assert audit["mismatches"] == {} and audit["sessions_inconsistent"] == 0 and audit["integrity"] == "ok"
    assert audit["expected"]["messages"] == 60 and audit["stored"]["sessions"] == 10
    assert audit["expected"]["feedback"] == report["feedback_sent"] > 0
    assert audit["expected"]["recommendations"] == audit["expected"]["explanations"] > 0
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p95"] <= report["latency_ms"]["p99"]
    out = write_results(report, tmp_path / "load.md")
    assert "PASS" in out.read_text() and "| throughput |" in to_markdown(report)


def test_load_arguments_are_checked():
    from evals.load import main

    assert main(["--sessions", "0", "--no-write"]) == 2
    assert main(["--sessions", "2", "--turns", "-1", "--no-write"]) == 2
    assert main(["--sessions", "2", "--turns", "1", "--no-write"]) == 2  # no app: evals/ never imports ui/
    assert main(["--sessions", "2", "--turns", "1", "--workers", "0", "--no-write"]) == 2
    assert main(["--sessions", "2", "--turns", "1", "--in-process", "--no-write"]) == 2  # no factory
    # one app process can be served here, not several
    assert main(["--sessions", "2", "--turns", "1", "--in-process", "--workers", "2", "--no-write"],
                app_factory=lambda *a: None, app_import="ui.api:app_from_env") == 2


def test_worker_warm_up_lines_become_report_notes(tmp_path):
    from evals.load_procs import WorkerProcesses, describe

    log = tmp_path / "workers.log"
    log.write_text("app worker ready (pid 11, planner warm-up 14.01 s)\nINFO noise\n"
                   "app worker ready (pid 12, planner warm-up failed (server down?))\napp worker ready (pid 13)\n")
    procs = WorkerProcesses.__new__(WorkerProcesses)
    procs.log_path, procs.workers = log, 3
    assert procs.warm_up_notes() == ["planner warm-up (pid 11): 14.01 s",
                                     "planner warm-up (pid 12): failed (server down?)"]
    assert procs._ready_workers() == 3
    assert "process of its own" in describe(1, "sqlite:///x.db") and "2 app processes" in describe(2, "sqlite:///x")


def test_load_verdict_fails_unrun_turns_slow_p95_and_low_throughput():
    """The verdict must reject what the old harness passed: 62/100 answered at p50 145 s."""
    from evals.load import verdict

    good = {"errors": 0, "http_5xx": 0, "turns_answered": 100, "turns_requested": 100, "turns_not_run": 0,
            "latency_ms": {"p95": 2100.0}, "turns_per_s": 25.0, "store": {"integrity": "ok", "mismatches": []}}
    assert verdict(good, p95_limit_ms=5000, min_turns_per_s=20) == (True, [])
    unrun = {**good, "turns_answered": 62, "turns_not_run": 38}
    ok, why = verdict(unrun, p95_limit_ms=None, min_turns_per_s=None)
    assert not ok and "62/100 turns answered" in why[0]
    slow = {**good, "latency_ms": {"p95": 145_000.0}}
    assert not verdict(slow, p95_limit_ms=5000, min_turns_per_s=None)[0]
    assert not verdict({**good, "turns_per_s": 10.5}, p95_limit_ms=None, min_turns_per_s=20)[0]
    assert not verdict({**good, "store": {"integrity": "ok", "mismatches": ["rec r1 missing"]}},
                       p95_limit_ms=None, min_turns_per_s=None)[0]
