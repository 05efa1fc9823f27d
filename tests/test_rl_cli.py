"""`whyrec train rl` end to end on a small catalog without ReDial: trains, caches, reloads."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.rl_world import GENRES, tiny_catalog
from tools.catalog.catalog import Interaction, write_catalog


@pytest.fixture()
def catalog_dir(tmp_path):
    cat = tiny_catalog()
    inter = [Interaction(f"u{g}-{u}", f"{genre[:2]}{(u + j) % 10}", "liked", float(j))
             for g, genre in enumerate(GENRES) for u in range(5) for j in range(3)]
    return write_catalog(tmp_path / "cat", cat.items, inter, {"name": "tiny"})


def test_train_rl_cli_trains_then_uses_the_cache(tmp_path, catalog_dir, monkeypatch):
    from ui.cli import app
    from ui.cli_train_rl import RL_DIR_NAME

    monkeypatch.setenv("WHYREC_CATALOG_PATH", str(catalog_dir))
    runner = CliRunner()
    argv = ["--data-dir", str(tmp_path / "var"), "train", "rl", "--episodes", "20", "--eval-episodes", "5",
            "--redial-dir", str(tmp_path / "no-redial"), "--seed", "1", "--json"]
    first = runner.invoke(app, argv)
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["cached"] is False and out["episode_source"] == "interactions"
    assert set(out["eval"]) == {"rl", "popularity-greedy"}
    assert (tmp_path / "var" / "models" / RL_DIR_NAME / "policy.json").is_file()
    second = json.loads(runner.invoke(app, argv).stdout)
    assert second["cached"] is True and second["version"] == out["version"]

    from tools.catalog.catalog import load_catalog
    from tools.scorers.registry import load_scorer
    from tools.scorers.rl_policy import RLPolicyScorer

    scorer = load_scorer("rl", tmp_path / "var" / "models", load_catalog(catalog_dir))
    assert isinstance(scorer, RLPolicyScorer) and scorer.version == out["version"]
