"""``whyrec train gcn``: train LightGCN (+ popularity) on the demo catalog or on Gowalla."""

from __future__ import annotations

from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings


def _human(r: dict[str, Any]) -> str:
    if r.get("cached"):
        return (f"cached: {r['lightgcn_dir']} already holds a model with config hash {r['config_hash']} "
                f"for {r.get('catalog_version', r['dataset'])}; use --force to retrain")
    t = r.get("train", {})
    metric = t.get("best_valid_recall", t.get("best_test_recall_subset"))
    metric_txt = f", validation Recall@20 {metric:.4f}" if isinstance(metric, float) else ""
    return (f"trained LightGCN on {r['dataset']} in {r['seconds']} s ({t.get('epochs_run')} epochs, best epoch "
            f"{t.get('best_epoch')}, stopped by {t.get('stopped')}{metric_txt}); saved to {r['lightgcn_dir']}"
            + (f" and {r['popularity_dir']}" if "popularity_dir" in r else ""))


@friendly_errors
def train_gcn(
    ctx: typer.Context,
    dataset: str = typer.Option("demo", "--dataset", help="'demo' (the active catalog) or 'gowalla'."),
    epochs: int = typer.Option(None, "--epochs", min=1, help="Max epochs (default: 200 demo, 1000 gowalla; --budget-s usually stops first)."),
    device: str = typer.Option(None, "--device", help="'cpu' or 'cuda' (default: settings.device)."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="BPR triples per propagation."),
    lr: float = typer.Option(None, "--lr", help="Adam learning rate."),
    budget_s: float = typer.Option(None, "--budget-s", help="Stop training after this many seconds."),
    force: bool = typer.Option(False, "--force", help="Retrain even if a matching checkpoint exists."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Train LightGCN and save it under <data_dir>/models/lightgcn-<dataset>/.

    For `demo` it trains on the active catalog's liked/accepted/seen interactions and also
    saves a popularity scorer to <data_dir>/models/popularity-demo/. A checkpoint with the same
    config hash and catalog version is reused unless --force is given.

    Examples:
      whyrec train gcn
      whyrec train gcn --epochs 20 --json
      whyrec train gcn --dataset gowalla --budget-s 600 --force
    """
    import dataclasses

    import torch

    from tools.scorers.lightgcn_train import LightGCNConfig
    from tools.scorers.training import DEMO_CONFIG, GOWALLA_CONFIG, train_catalog_models, train_split_model

    if dataset not in ("demo", "gowalla"):
        raise ValueError(f"--dataset must be 'demo' or 'gowalla', not {dataset!r}")
    settings = get_settings(ctx)
    dev = device or settings.device
    if dev not in ("cpu", "cuda"):
        raise ValueError(f"--device must be 'cpu' or 'cuda', not {dev!r}")
    torch.set_num_threads(settings.torch_threads)
    base = DEMO_CONFIG if dataset == "demo" else GOWALLA_CONFIG
    overrides = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "time_budget_s": budget_s}
    config: LightGCNConfig = dataclasses.replace(
        base, seed=settings.seed, **{k: v for k, v in overrides.items() if v is not None}
    )
    models_dir = settings.models_dir
    if dataset == "demo":
        from agent.runtime import load_active_catalog

        report = train_catalog_models(load_active_catalog(settings), models_dir, config, device=dev, force=force)
    else:
        from tools.datasets.gowalla import load_gowalla

        report = train_split_model(load_gowalla(), models_dir, config, device=dev, force=force)
    emit(report, json_out, _human)

