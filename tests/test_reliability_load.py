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

    agent = make_agent(chat_model=None)  # the deterministic plan: the --fast path
    settings = Settings(data_dir=tmp_path, recs_per_turn=3)
    runtime = SimpleNamespace(agent=agent, store=store, settings=settings, catalog=agent_catalog, notes=[])
    titles = [i.title for i in agent_catalog.items]
    report = run_load(sessions=10, turns=3, fast=True, runtime=runtime, titles=titles, time_limit_s=180)

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
