"""Name -> loader for every trained scorer, so other areas never hard-code model paths.

Adding a scorer is one line in ``LOADERS``: ``"rl": lambda path: RLScorer.load(path)``.
Models live in ``<models_dir>/<kind>-<dataset>/`` (``whyrec train gcn`` writes
``lightgcn-demo`` and ``popularity-demo``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tools.catalog.catalog import Catalog
from tools.errors import IndexMismatchError, InputError, ModelNotReadyError
from tools.scoring import Scorer


def _load_popularity(path: Path) -> Scorer:
    from tools.scorers.popularity import PopularityScorer

    return PopularityScorer.load(path)


def _load_lightgcn(path: Path) -> Scorer:
    from tools.scorers.lightgcn import LightGCNScorer

    return LightGCNScorer.load(path)


def _load_rl(path: Path) -> Scorer:
    from tools.scorers.rl_policy import RLPolicyScorer

    return RLPolicyScorer.load(path)


LOADERS: dict[str, Callable[[Path], Scorer]] = {
    "popularity": _load_popularity,
    "lightgcn": _load_lightgcn,
    "rl": _load_rl,
}

#: how to train each kind (for error messages)
TRAIN_COMMANDS: dict[str, str] = {"popularity": "whyrec train gcn", "lightgcn": "whyrec train gcn",
                                  "rl": "whyrec train rl"}


def model_dir(models_dir: Path, kind: str, dataset: str = "demo") -> Path:
    return Path(models_dir) / f"{kind}-{dataset}"


def load_scorer(kind: str, models_dir: Path, catalog: Catalog | None = None, dataset: str = "demo") -> Scorer:
    """Load a trained scorer; with ``catalog``, refuse a model trained on another catalog version."""
    if kind not in LOADERS:
        raise InputError(f"unknown scorer {kind!r}; choose one of {sorted(LOADERS)}")
    path = model_dir(models_dir, kind, dataset)
    how = TRAIN_COMMANDS.get(kind, f"whyrec train {kind}")
    if not path.exists():
        raise ModelNotReadyError(f"no {kind} model at {path}; train it with `{how}`")
    meta_file = path / "meta.json"
    if catalog is not None and meta_file.is_file():
        trained_on = json.loads(meta_file.read_text()).get("catalog_version")
        if trained_on is not None and trained_on != catalog.version:
            raise IndexMismatchError(
                f"{kind} model at {path} was trained on catalog {trained_on}, but the active catalog is "
                f"{catalog.version}; retrain with `{how} --force`"
            )
    return LOADERS[kind](path)
