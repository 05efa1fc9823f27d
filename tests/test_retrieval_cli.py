"""`whyrec index build|status` and `whyrec search` end to end on a small catalog directory."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.fixtures_retrieval import HORROR_IDS, small_items
from tools.catalog.catalog import write_catalog


@pytest.fixture()
def cli_env(tmp_path, monkeypatch, embedder):
    catalog_dir = write_catalog(tmp_path / "cat", small_items(), meta={"name": "tiny"})
    monkeypatch.setenv("WHYREC_CATALOG_PATH", str(catalog_dir))
    monkeypatch.setenv("WHYREC_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WHYREC_TORCH_THREADS", "1")
    monkeypatch.delenv("WHYREC_CHROMA_MODE", raising=False)
    from ui.cli import app

    return app, tmp_path


def _json(result) -> dict:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_index_build_status_search(cli_env):
    app, tmp_path = cli_env
    runner = CliRunner()
    before = runner.invoke(app, ["index", "status", "--json"])
    assert _json(before)["exists"] is False

    missing = runner.invoke(app, ["search", "Toy Story"])
    assert missing.exit_code == 2 and "whyrec index build" in missing.stderr

    built = _json(runner.invoke(app, ["index", "build", "--json"]))
    assert built["embedded"] == len(small_items()) and built["total"] == len(small_items())
    again = _json(runner.invoke(app, ["index", "build", "--json"]))
    assert again["embedded"] == 0 and again["unchanged"] == len(small_items())

    status = _json(runner.invoke(app, ["index", "status", "--json"]))
    assert status["ready"] is True and status["count"] == len(small_items())

    out = _json(runner.invoke(app, ["search", "scary movie like A Nightmare on Elm Street", "--k", "5", "--json"]))
    ids = [h["item_id"] for h in out["hits"]]
    assert ids[0] == "4" and sum(i in HORROR_IDS for i in ids) >= 4
    assert out["hits"][0]["genres"] == ["Horror"]

    filtered = _json(runner.invoke(app, ["search", "scary", "--year-min", "2010", "--tag", "scary",
                                         "--exclude-tag", "clown", "--json"]))
    assert {h["item_id"] for h in filtered["hits"]} == {"6", "9"}  # The Conjuring, Hereditary

    human = runner.invoke(app, ["search", "Toy Story", "--k", "2"])
    assert human.exit_code == 0 and human.stdout.splitlines()[0].startswith(" 1. Toy Story (1995)")

    bad = runner.invoke(app, ["search", "scary", "--year-min", "2000", "--year-max", "1990"])
    assert bad.exit_code == 2 and "swap them" in bad.stderr


def test_rebuild_recovers_from_corruption(cli_env):
    app, tmp_path = cli_env
    runner = CliRunner()
    _json(runner.invoke(app, ["index", "build", "--json"]))
    (tmp_path / "var" / "chroma" / "chroma.sqlite3").write_bytes(b"garbage" * 500)
    broken = runner.invoke(app, ["index", "status", "--json"])
    assert broken.exit_code == 2 and "--rebuild" in broken.stderr
    rebuilt = _json(runner.invoke(app, ["index", "build", "--rebuild", "--json"]))
    assert rebuilt["embedded"] == len(small_items())
    assert list((tmp_path / "var").glob("chroma.corrupt-*"))
