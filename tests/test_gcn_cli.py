"""`whyrec train gcn --json` on a tiny catalog, the checkpoint cache, and the scorer registry."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.scorer_contract import ALL_ITEMS, community_interactions
from tools.catalog.catalog import Item, load_catalog, write_catalog
from tools.errors import IndexMismatchError, InputError, ModelNotReadyError
from tools.scorers.registry import LOADERS, load_scorer
from tools.scoring import ScoringContext
from ui.cli import app


@pytest.fixture()
def tiny_catalog(tmp_path):
    items = [Item(item_id=i, title=f"Movie {i}") for i in ALL_ITEMS]
    return write_catalog(tmp_path / "catalog", items, community_interactions(), meta={"name": "tiny"})


def _train(tmp_path, catalog_dir, *extra: str) -> dict:
    runner = CliRunner()
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path / "var"), "train", "gcn", "--json", "--epochs", "10", *extra],
        env={"WHYREC_CATALOG_PATH": str(catalog_dir), "WHYREC_TORCH_THREADS": "1"},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_gcn_json_then_cache_hit_then_force(tmp_path, tiny_catalog) -> None:
    first = _train(tmp_path, tiny_catalog)
    assert first["cached"] is False and first["dataset"] == "demo"
    assert first["items"] == len(ALL_ITEMS) and first["train"]["epochs_run"] >= 1
    models = tmp_path / "var" / "models"
    assert (models / "lightgcn-demo" / "model.pt").is_file()
    assert (models / "popularity-demo" / "graph.npz").is_file()

    second = _train(tmp_path, tiny_catalog)
    assert second["cached"] is True and second["config_hash"] == first["config_hash"]

    third = _train(tmp_path, tiny_catalog, "--force")
    assert third["cached"] is False

    catalog = load_catalog(tiny_catalog)
    for kind in ("popularity", "lightgcn"):
        scorer = load_scorer(kind, models, catalog)
        scores = scorer.score(ScoringContext(liked_ids=("A0", "A1")), list(ALL_ITEMS))
        assert scores.shape == (len(ALL_ITEMS),) and np.isfinite(scores).all()


def test_registry_errors(tmp_path, tiny_catalog) -> None:
    with pytest.raises(InputError):
        load_scorer("nope", tmp_path)
    with pytest.raises(ModelNotReadyError, match="whyrec train gcn"):
        load_scorer("lightgcn", tmp_path)
    assert {"popularity", "lightgcn"} <= set(LOADERS)
    _train(tmp_path, tiny_catalog)
    other = write_catalog(tmp_path / "other", [Item(item_id="X", title="Other")], [], meta={"name": "other"})
    with pytest.raises(IndexMismatchError, match="--force"):
        load_scorer("lightgcn", tmp_path / "var" / "models", load_catalog(other))


def test_train_gcn_rejects_bad_dataset(tmp_path, tiny_catalog) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "train", "gcn", "--dataset", "nope"],
                                env={"WHYREC_CATALOG_PATH": str(tiny_catalog)})
    assert result.exit_code == 2 and "demo" in result.output
