"""`whyrec catalog stats` and `whyrec data prepare` through the real CLI (typer CliRunner)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tools.catalog.active import POINTER_FILE, resolve_catalog_dir
from tools.catalog.catalog import DEMO_CATALOG_DIR
from ui.cli import app

ITEMS = "id,title,year,tags\na,Alien,1979,scary|space\nb,Heat,1995,heist\n"
INTERACTIONS = "user,item,label\nu1,a,liked\nu2,b,disliked\n"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated working dir and data dir: no whyrec.toml, no WHYREC_* from the caller."""
    for key in [k for k in os.environ if k.startswith("WHYREC_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "var"


def _run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_catalog_stats_json_on_the_shipped_demo(env: Path) -> None:
    result = _run("--data-dir", str(env), "catalog", "stats", "--json")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["items"] >= 6000 and stats["interactions"] > 0
    assert stats["name"] == "demo" and stats["path"] == str(DEMO_CATALOG_DIR)
    assert 0.8 <= stats["genre_coverage"] <= 0.9  # CMU genres, then Wikipedia genres where CMU has none
    assert set(stats["interaction_labels"]) <= {"liked", "disliked", "seen", "suggested"}


def test_prepare_demo_records_pointer_and_human_summary(env: Path) -> None:
    result = _run("--data-dir", str(env), "data", "prepare")
    assert result.exit_code == 0, result.stderr
    assert "items: 6924" in result.stdout and "active catalog: demo" in result.stdout
    assert json.loads((env / POINTER_FILE).read_text())["source"] == "demo"
    assert resolve_catalog_dir(env) == DEMO_CATALOG_DIR


def test_import_then_bad_import_changes_nothing_then_back_to_demo(env: Path, tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    (tmp_path / "inter.csv").write_text(INTERACTIONS, encoding="utf-8")
    ok = _run("--data-dir", str(env), "data", "prepare", "--source", str(tmp_path / "items.csv"),
              "--interactions", str(tmp_path / "inter.csv"), "--json")
    assert ok.exit_code == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert out["import"]["items"] == 2 and out["active"]["source"] == "imported"
    assert resolve_catalog_dir(env) == env / "catalog"
    stored = {p.name: p.read_bytes() for p in (env / "catalog").iterdir()}
    pointer = (env / POINTER_FILE).read_bytes()

    (tmp_path / "bad.csv").write_text("id,title,year\nx,X,19y9\nx,Y,2001\n", encoding="utf-8")
    bad = _run("--data-dir", str(env), "data", "prepare", "--source", str(tmp_path / "bad.csv"), "--json")
    assert bad.exit_code != 0
    assert bad.stdout == ""
    assert "bad.csv:2: column year: '19y9' is not a year" in bad.stderr
    assert "bad.csv:3: column id: duplicate item id 'x'" in bad.stderr
    assert {p.name: p.read_bytes() for p in (env / "catalog").iterdir()} == stored
    assert (env / POINTER_FILE).read_bytes() == pointer

    stats = json.loads(_run("--data-dir", str(env), "catalog", "stats", "--json").stdout)
    assert stats["items"] == 2 and stats["source"] == "imported"

    back = _run("--data-dir", str(env), "data", "prepare", "--source", "demo", "--json")
    assert back.exit_code == 0
    assert json.loads(back.stdout)["catalog"]["items"] == 6924
    assert (env / "catalog").is_dir()  # the import is kept, only the pointer moved
    explicit = json.loads(_run("--data-dir", str(env), "catalog", "stats", "--catalog", str(env / "catalog"),
                               "--json").stdout)
    assert explicit["items"] == 2 and explicit["source"] == "explicit"


def test_prepare_missing_file_and_bad_option_combination(env: Path) -> None:
    missing = _run("--data-dir", str(env), "data", "prepare", "--source", "nope.csv")
    assert missing.exit_code == 2 and "nope.csv does not exist" in missing.stderr
    combo = _run("--data-dir", str(env), "data", "prepare", "--interactions", "x.csv")
    assert combo.exit_code != 0 and "--interactions needs --source" in combo.output
    assert not (env / POINTER_FILE).exists()


def test_resolve_catalog_dir_order(tmp_path: Path) -> None:
    from tools.catalog.active import set_active
    from tools.catalog.catalog import Item, write_catalog
    from tools.errors import DataError

    data_dir = tmp_path / "var"
    assert resolve_catalog_dir(data_dir) == DEMO_CATALOG_DIR  # nothing prepared yet
    write_catalog(data_dir / "catalog", [Item("1", "A")], (), {"name": "mine"})
    assert resolve_catalog_dir(data_dir) == data_dir / "catalog"  # an import without a pointer
    set_active(data_dir, "demo")
    assert resolve_catalog_dir(data_dir) == DEMO_CATALOG_DIR  # the pointer wins over the folder
    other = tmp_path / "elsewhere"
    write_catalog(other, [Item("2", "B")])
    assert resolve_catalog_dir(data_dir, other) == other  # explicit path wins over everything
    with pytest.raises(DataError, match="not a directory"):
        resolve_catalog_dir(data_dir, tmp_path / "nope")
    set_active(data_dir, "imported", tmp_path / "gone")
    with pytest.raises(DataError, match="run `whyrec data prepare` again"):
        resolve_catalog_dir(data_dir)
    (data_dir / POINTER_FILE).write_text("{oops", encoding="utf-8")
    with pytest.raises(DataError, match="unreadable"):
        resolve_catalog_dir(data_dir)
