"""The learned ranker: LightGBM LambdaRank over the candidate features.

Why LightGBM: a gradient-boosted LambdaRank model is the well-kept, fast, standard
learning-to-rank tool; it handles missing features (NaN = "does not apply") natively,
trains on a few hundred thousand rows in seconds on two cores, and its SHAP
contributions (``pred_contrib``) give each card an exact, additive account of its score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import DataError
from tools.recsys.features import FEATURES


@dataclass(frozen=True)
class RankerConfig:
    """LightGBM settings. The learning rate is the one measured choice that is not about quality:
    0.03 and 0.06 stop early at the same validation R@10/R@50 (within 0.002 on the ReDial
    validation pools), but 0.06 needs about half the trees, and every live turn and every ReDial
    sample pays for each tree at prediction time.

    ``num_leaves`` is chosen by the training table's 5-fold cross-validated NDCG@50 (``cv_rounds``), never
    by the validation split: with the talk source's features, 7 leaves (min 50 rows each) .2439, 7 leaves
    with 100 rows and 0.8 of the features .2436, 15 leaves .2429, 31 leaves with 30 rows and 0.8 .2382
    (the validation split agreed, for the record: R@10/R@50 .218/.421, .215/.421, .214/.421, .205/.417)."""

    num_leaves: int = 7
    learning_rate: float = 0.06
    n_estimators: int = 600
    min_child_samples: int = 50
    feature_fraction: float = 0.9
    early_stopping_rounds: int = 60
    seed: int = 7
    #: features the model may not use (ablations; the column stays, as NaN)
    drop: tuple[str, ...] = ()


def lgb_params(config: RankerConfig) -> dict[str, Any]:
    """LightGBM's parameters for ``config``: one place for the fit, the validation curve and ``cv_rounds``."""
    return {"objective": "lambdarank", "metric": "ndcg", "eval_at": [50], "num_leaves": config.num_leaves,
            "learning_rate": config.learning_rate, "min_child_samples": config.min_child_samples,
            "feature_fraction": config.feature_fraction, "seed": config.seed, "deterministic": True,
            "num_threads": 2, "verbose": -1, "lambdarank_truncation_level": 60}


@dataclass
class LearnedRanker:
    booster: Any
    config: RankerConfig
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(cls, train: tuple[np.ndarray, np.ndarray, Sequence[int]],
            valid: tuple[np.ndarray, np.ndarray, Sequence[int]] | None = None,
            config: RankerConfig = RankerConfig(), sample_weight: np.ndarray | None = None) -> LearnedRanker:
        """``train``/``valid`` are (features, labels 0/1, group sizes), groups = one request each."""
        import lightgbm as lgb

        x, y, groups = train
        if x.shape[1] != len(FEATURES):
            raise DataError(f"expected {len(FEATURES)} feature columns, got {x.shape[1]}")
        if not len(groups) or y.sum() == 0:
            raise DataError("no training request has a positive candidate; check the data and the sources")
        x = cls._drop(x, config.drop)
        params = lgb_params(config)
        dtrain = lgb.Dataset(x, label=y, group=list(groups), weight=sample_weight, feature_name=list(FEATURES),
                             free_raw_data=False)
        sets, callbacks = [dtrain], []
        if valid is not None and len(valid[2]):
            dvalid = lgb.Dataset(cls._drop(valid[0], config.drop), label=valid[1], group=list(valid[2]),
                                 reference=dtrain)
            sets.append(dvalid)
            callbacks.append(lgb.early_stopping(config.early_stopping_rounds, first_metric_only=True, verbose=False))
        booster = lgb.train(params, dtrain, num_boost_round=config.n_estimators, valid_sets=sets,
                            callbacks=callbacks)
        info = {"best_iteration": int(booster.best_iteration or booster.current_iteration()),
                "train_requests": int(len(groups)), "train_rows": int(len(y)),
                "valid_requests": int(len(valid[2])) if valid is not None else 0,
                "importance_gain": dict(zip(FEATURES, map(float, booster.feature_importance("gain")), strict=True))}
        return cls(booster, config, info)

    @classmethod
    def validation_curve(cls, train: tuple[np.ndarray, np.ndarray, Sequence[int]],
                         valid: tuple[np.ndarray, np.ndarray, Sequence[int]], config: RankerConfig = RankerConfig(),
                         sample_weight: np.ndarray | None = None, rounds: int = 250) -> np.ndarray:
        """NDCG@50 on ``valid`` after each of ``rounds`` boosting rounds fitted on ``train`` (no early stop)."""
        import lightgbm as lgb

        x, y, groups = train
        if not len(groups) or not len(valid[2]):
            raise DataError("a validation curve needs requests on both sides of the split")
        dtrain = lgb.Dataset(cls._drop(x, config.drop), label=y, group=list(groups), weight=sample_weight,
                             feature_name=list(FEATURES), free_raw_data=False)
        dvalid = lgb.Dataset(cls._drop(valid[0], config.drop), label=valid[1], group=list(valid[2]),
                             reference=dtrain)
        record: dict[str, Any] = {}
        lgb.train(lgb_params(config), dtrain, num_boost_round=rounds, valid_sets=[dvalid], valid_names=["valid"],
                  callbacks=[lgb.record_evaluation(record)])
        return np.asarray(record["valid"]["ndcg@50"], dtype=np.float64)

    @staticmethod
    def _drop(x: np.ndarray, drop: Sequence[str]) -> np.ndarray:
        if not drop:
            return x
        x = x.copy()
        for name in drop:
            x[:, FEATURES.index(name)] = np.nan
        return x

    def predict(self, x: np.ndarray) -> np.ndarray:
        # one thread: a few hundred rows take ~2 ms, and idle OpenMP workers spinning after a
        # parallel predict steal the cores a CPU-served LLM needs in the same turn
        return self.booster.predict(self._drop(x, self.config.drop), num_iteration=self.info.get("best_iteration"),
                                    num_threads=1)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per-feature contributions (n, F), bias (n,)): contributions.sum(1) + bias == predict(x)."""
        c = self.booster.predict(self._drop(x, self.config.drop), num_iteration=self.info.get("best_iteration"),
                                 pred_contrib=True, num_threads=1)
        return c[:, :-1], c[:, -1]

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path / "ranker.txt"), num_iteration=self.info.get("best_iteration"))
        meta = {"features": list(FEATURES), "config": self.config.__dict__ | {"drop": list(self.config.drop)},
                "info": self.info}
        (path / "ranker.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path

    @classmethod
    def load(cls, path: Path) -> LearnedRanker:
        import lightgbm as lgb

        meta_path = path / "ranker.json"
        if not meta_path.is_file():
            raise DataError(f"no trained ranker at {path}; run `whyrec train ranker`")
        meta = json.loads(meta_path.read_text())
        if meta.get("features") != list(FEATURES):
            raise DataError(f"the ranker at {path} was trained on other features; retrain with `whyrec train ranker`")
        cfg = meta["config"]
        config = RankerConfig(**{**cfg, "drop": tuple(cfg.get("drop", ()))})
        info = {**meta.get("info", {}), "best_iteration": None}
        return cls(lgb.Booster(model_file=str(path / "ranker.txt")), config, info)
