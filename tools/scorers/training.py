"""Train-and-save pipelines behind ``whyrec train gcn`` (library code: plain arguments only).

Why a cache key: training is the slow step, so a checkpoint is reused when it was trained
with the same config hash (hyperparameters + a fingerprint of the interaction graph) on the
same catalog version; ``force=True`` retrains.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tools.catalog.catalog import Catalog
from tools.errors import DataError
from tools.scorers.graph import InteractionGraph
from tools.scorers.lightgcn import LightGCNScorer
from tools.scorers.lightgcn_train import LightGCNConfig
from tools.scorers.popularity import PopularityScorer
from tools.scorers.registry import model_dir

#: fits in a couple of minutes on 2 busy cores for a catalog of ~10k items / ~100k interactions
DEMO_CONFIG = LightGCNConfig(
    dim=64, layers=3, lr=5e-3, l2=1e-4, batch_size=4096, epochs=200, eval_every=5, patience=5,
    eval_users=0, init="normal", time_budget_s=90.0,
)

#: the Gowalla benchmark configuration (evals/bench_gcn.py); tuned under a 20-minute CPU budget.
#: Big batches at a high lr plateau (~0.156 Recall@20) until the cosine schedule brings the lr down,
#: so early stopping waits 30 evaluations (300 epochs): with patience 5 it stopped on the plateau.
GOWALLA_CONFIG = LightGCNConfig(
    dim=64, layers=3, lr=5e-2, l2=1e-4, batch_size=100_000, epochs=1000, eval_every=10, patience=30,
    eval_users=3000, init="normal", lr_schedule="cosine", lr_floor=0.05, time_budget_s=1200.0,
)


def _cached(path: Path, config_hash: str, catalog_version: str) -> dict[str, Any] | None:
    meta_file = path / "meta.json"
    if not (meta_file.is_file() and (path / "model.pt").is_file()):
        return None
    meta = json.loads(meta_file.read_text())
    if meta.get("config_hash") == config_hash and meta.get("catalog_version") == catalog_version:
        return meta
    return None


def train_catalog_models(
    catalog: Catalog,
    models_dir: Path,
    config: LightGCNConfig = DEMO_CONFIG,
    dataset: str = "demo",
    device: str = "cpu",
    force: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Fit LightGCN and popularity on the catalog's positive interactions; save both."""
    graph = InteractionGraph.from_interactions(catalog.interactions, [it.item_id for it in catalog.items])
    if graph.users.size == 0:
        raise DataError(
            f"catalog {catalog.name!r} has no positive interactions (liked/accepted/seen); "
            "run `whyrec data prepare` to build one with interactions"
        )
    scorer = LightGCNScorer(config, device=device, progress=progress,
                            meta={"catalog_version": catalog.version, "dataset": dataset})
    config_hash = scorer.config_hash(graph)
    gcn_dir = model_dir(models_dir, "lightgcn", dataset)
    pop_dir = model_dir(models_dir, "popularity", dataset)
    report: dict[str, Any] = {
        "dataset": dataset, "catalog_version": catalog.version, "config_hash": config_hash,
        "users": graph.n_users, "items": graph.n_items, "edges": int(graph.users.size),
        "lightgcn_dir": str(gcn_dir), "popularity_dir": str(pop_dir), "device": device,
    }
    cached = None if force else _cached(gcn_dir, config_hash, catalog.version)
    if cached is not None and (pop_dir / "graph.npz").is_file():
        report.update(cached=True, train=cached.get("train", {}), seconds=0.0)
        return report
    t0 = time.perf_counter()
    scorer.fit_graph(graph)
    scorer.meta.update(catalog_version=catalog.version, dataset=dataset, config_hash=config_hash)
    scorer.save(gcn_dir)
    pop = PopularityScorer().fit_graph(graph)
    pop.meta = {"catalog_version": catalog.version, "dataset": dataset}
    pop.save(pop_dir)
    info = {k: v for k, v in scorer.train_info.items() if k != "history"}
    report.update(cached=False, train=info, seconds=round(time.perf_counter() - t0, 2))
    return report


def train_split_model(
    split: Any,
    models_dir: Path,
    config: LightGCNConfig,
    dataset: str = "gowalla",
    device: str = "cpu",
    force: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Fit LightGCN on an ``InteractionSplit`` (e.g. Gowalla) and save it; the test split is
    used for early stopping and reported, as in the LightGCN reference code."""
    from tools.scorers.lightgcn_train import train_lightgcn

    graph = InteractionGraph.from_arrays(split.train_users, split.train_items, split.n_users, split.n_items)
    scorer = LightGCNScorer(config, device=device, validate=False, meta={"dataset": dataset,
                                                                        "catalog_version": dataset})
    config_hash = scorer.config_hash(graph)
    out_dir = model_dir(models_dir, "lightgcn", dataset)
    report: dict[str, Any] = {"dataset": dataset, "config_hash": config_hash, **split.stats(),
                              "lightgcn_dir": str(out_dir), "device": device}
    cached = None if force else _cached(out_dir, config_hash, dataset)
    if cached is not None:
        report.update(cached=True, train=cached.get("train", {}), seconds=0.0)
        return report
    result = train_lightgcn(split.train_users, split.train_items, split.n_users, split.n_items, config,
                            valid=(split.test_users, split.test_items), device=device, progress=progress)
    scorer._set(graph, result.ego)
    scorer.train_info = {"best_epoch": result.best_epoch, "best_test_recall_subset": result.best_metric,
                         "stopped": result.stopped, "seconds": round(result.seconds, 2),
                         "epochs_run": len(result.history), "history": result.history}
    scorer.meta["config_hash"] = config_hash
    scorer.save(out_dir)
    report.update(cached=False, train={k: v for k, v in scorer.train_info.items() if k != "history"},
                  seconds=round(result.seconds, 2))
    return report
