"""Audit trail: a recommendation made in one process is fully reconstructed in another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.store.audit import audit, parse_since, render_audit_text, render_why_text, why
from agent.store.db import Store
from tests.audit_records import record_recommendation
from tools.catalog.catalog import Catalog, Item
from tools.errors import InputError, NotFoundError
from tools.explain.evidence_builder import build_evidence
from tools.explain.explainer import explain_item
from tools.explain.faithfulness import TitleIndex
from tools.scoring import ScorerEvidence

ROOT = Path(__file__).resolve().parents[1]

#: what one agent turn persists; run in a SEPARATE process by the restart tests
WRITER = textwrap.dedent("""
    import json, sys
    from tests.audit_records import record_recommendation
    from agent.store.db import Store
    from tools.catalog.catalog import Catalog, Item
    from tools.explain.evidence_builder import build_evidence
    from tools.explain.explainer import explain_item
    from tools.scoring import ScorerEvidence

    cat = Catalog((Item("1", "Toy Story", 1995, ("Animation",), ("toys",), popularity=12),
                   Item("2", "Monsters, Inc.", 2001, ("Animation",), ("pixar",)),
                   Item("3", "Heat", 1995, ("Crime",), ("heist",))))
    store = Store(sys.argv[1])
    sid = store.create_session(user_id="alice")
    store.add_message(sid, 0, "user", "I loved Monsters, Inc.")
    store.add_message(sid, 0, "assistant", "Noted!")
    store.add_message(sid, 1, "user", "something with toys please")
    store.add_tool_call(sid, 1, "search_items", {"query": "toys", "k": 10}, 41.5, True, "10 hits: Toy Story, ...")
    store.add_tool_call(sid, 1, "score_candidates", {"scorer": "lightgcn", "k": 2}, 7.25, True, "2 ranked")
    bundles = [build_evidence(cat.get(i), query="something with toys please", hit={"similarity": 0.71},
                              scorer_evidence=[ScorerEvidence("lightgcn", i, 0.9, {"2": 0.8})],
                              versions={"catalog": cat.version, "index": "idx-1", "scorer": "lightgcn-7",
                                        "prompt": "explain-v2"}, title_of=cat)
               for i in ("1", "3")]
    exps = [explain_item(b, None, cat) for b in bundles]
    recs = [record_recommendation(store, session_id=sid, turn_index=1, rank=r, bundle=b, explanation=e)
            for r, (b, e) in enumerate(zip(bundles, exps), 1)]
    store.add_message(sid, 1, "assistant", "Try Toy Story.")
    store.add_feedback(recs[0], "like", session_id=sid)
    store.close()
    print(json.dumps({"session_id": sid, "rec_ids": recs}))
""")


def write_in_other_process(url: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", WRITER, url], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit") / "whyrec.db"
    return path, write_in_other_process(f"sqlite:///{path}")


def test_why_reconstructs_a_recommendation_from_an_earlier_process(written):
    path, ids = written
    store = Store(f"sqlite:///{path}")  # a fresh Store: nothing shared with the writer but the file
    try:
        a = why(store, ids["rec_ids"][0])
    finally:
        store.close()
    assert a["rec_id"] == ids["rec_ids"][0] and a["turn_index"] == 1
    assert a["session"]["user_id"] == "alice" and a["item"] == {"item_id": "1", "title": "Toy Story", "rank": 1}
    assert a["user_said"] == "something with toys please"
    assert [m["content"] for m in a["conversation"]] == [
        "I loved Monsters, Inc.", "Noted!", "something with toys please", "Try Toy Story."]
    assert a["conversation"][-1]["after_recommendation"] and not a["conversation"][2]["after_recommendation"]
    assert [(c["tool"], c["arguments"], c["duration_ms"], c["ok"]) for c in a["tool_calls"]] == [
        ("search_items", {"query": "toys", "k": 10}, 41.5, True), ("score_candidates", {"scorer": "lightgcn", "k": 2},
                                                                   7.25, True)]
    assert a["tool_time_ms"] == 48.8
    assert [r["title"] for r in a["same_turn"]] == ["Toy Story", "Heat"]
    assert a["scores"] == {"lightgcn": 0.9}
    assert a["facts"]["collab.liked_contributors"] == [{"title": "Monsters, Inc.", "share": 0.8}]
    assert a["facts"]["retrieval.similarity"] == 0.71
    assert any("Monsters, Inc. (80% of the score)" in line for line in a["evidence_lines"])
    exp = a["explanation"]
    assert exp["path"] == "template" and exp["check"]["passed"] and exp["check"]["prompt_id"] == "explain-v2"
    assert exp["check"]["sentences"] and "Monsters, Inc. (80%)" in exp["text"]
    assert [f["kind"] for f in a["feedback"]] == ["like"]
    assert a["versions"]["index"] == "idx-1" and a["versions"]["scorer"] == "lightgcn-7"
    assert all(a["timestamps"][k] for k in ("session_created", "recommended", "explained", "last_feedback"))
    text = render_why_text(a)
    for needle in ("Toy Story", "search_items", "PASSED", "like at", "idx-1", "something with toys please"):
        assert needle in text


def test_why_checks_catalog_drift(written):
    path, ids = written
    store = Store(f"sqlite:///{path}")
    try:
        changed = Catalog((Item("1", "Toy Story", 1995, ("Animation", "Family")),))
        a = why(store, ids["rec_ids"][0], catalog=changed)
    finally:
        store.close()
    assert a["catalog_now"]["catalog_changed"] is True and a["catalog_now"]["item_present"] is True


def test_audit_filters(written):
    path, ids = written
    store = Store(f"sqlite:///{path}")
    try:
        assert {r["rec_id"] for r in audit(store, session_id=ids["session_id"])} == set(ids["rec_ids"])
        assert [r["rec_id"] for r in audit(store, item_id="3")] == [ids["rec_ids"][1]]
        assert audit(store, user_id="bob") == []
        assert len(audit(store, user_id="alice", since="2000-01-01")) == 2
        assert audit(store, since="2999-01-01") == []
        row = audit(store, item_id="1")[0]
        assert row["explanation_path"] == "template" and row["check_passed"] is True and row["feedback"] == ["like"]
        assert "Toy Story" in render_audit_text(audit(store, limit=5))
        with pytest.raises(NotFoundError, match="unknown rec_id"):
            why(store, "rec_doesnotexist")
        with pytest.raises(InputError):
            audit(store, since="last tuesday")
    finally:
        store.close()
    assert parse_since("2026-01-31").isoformat() == "2026-01-31T00:00:00+00:00"


def test_record_then_explain_later(store):
    cat = Catalog((Item("9", "Alien", 1979, ("Horror",), ()),))
    b = build_evidence(cat.get("9"), query="", versions={"catalog": cat.version},
                       scorer_evidence=[ScorerEvidence("popularity", "9", 3.0)])
    sid = store.create_session()
    rec = record_recommendation(store, session_id=sid, turn_index=0, rank=1, bundle=b)
    assert why(store, rec)["explanation"] is None
    from tests.audit_records import record_explanation

    record_explanation(store, rec, explain_item(b, None, TitleIndex.from_catalog(cat)))
    a = why(store, rec)
    assert a["explanation"]["path"] == "template" and a["explanation"]["check"]["passed"]
    assert "not checked" not in render_why_text(a)


def _cli() -> typer.Typer:
    from ui.cli_audit import audit_command, why_command

    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context, data_dir: Path = typer.Option(None, "--data-dir")) -> None:
        ctx.obj = {"overrides": {"data_dir": data_dir} if data_dir else {}}

    app.command("why")(why_command)
    app.command("audit")(audit_command)
    return app


def test_cli_why_and_audit(tmp_path, monkeypatch):
    monkeypatch.delenv("WHYREC_STORE_URL", raising=False)
    ids = write_in_other_process(f"sqlite:///{tmp_path / 'whyrec.db'}")
    runner = CliRunner()
    app = _cli()
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "why", ids["rec_ids"][1], "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["item"]["title"] == "Heat"
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "why", ids["rec_ids"][1]])
    assert res.exit_code == 0 and "Recommendation " + ids["rec_ids"][1] in res.stdout
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "audit", "--user", "alice", "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 2
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "why", "rec_nope"])
    assert res.exit_code == 2 and "unknown rec_id 'rec_nope'" in res.output
    res = runner.invoke(app, ["--data-dir", str(tmp_path / "empty"), "audit"])
    assert res.exit_code == 2 and "no store at" in res.output
