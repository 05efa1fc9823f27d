"""Propensity scores and inverse-propensity weights for a binary treatment (exposure).

Why a module of its own: a learner trained on logged data (what was shown, what was
chosen) inherits the logging policy's bias. Weighting each logged row by the inverse of
the probability that its treatment happened, given the covariates that drive that
treatment (a back-door adjustment set read off a graph, ``causal.adjustment``), gives
an estimate of the loss under uniform exposure (Horvitz–Thompson; Joachims et al. 2017
for learning to rank). Raw inverse propensities have huge variance when a propensity is
tiny, so two standard cures are offered:

* clipping (``clip``): propensities are kept inside ``[clip, 1 - clip]``, which caps
  every weight at ``1 / clip`` (bias traded for variance; Strehl et al. 2010);
* self-normalisation (``snips_weights``, the Hájek estimator): each arm's weights are
  divided by their mean, so the treated and the untreated keep their original total
  weight and only the *distribution* of weight inside each arm changes (Swaminathan &
  Joachims 2015).

The model is a logistic regression (scikit-learn; standardised covariates, no
penalty) because the treatment is binary and the adjustment set is small; its
coefficients are returned so a caller can show what drives exposure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from causal.errors import CausalInputError
from causal.table import as_table

WEIGHTINGS = ("ipw", "snips")


@dataclass(frozen=True)
class Propensity:
    """P(treatment = 1 | covariates) for every row, and the model that gave it."""

    treatment: str
    covariates: tuple[str, ...]
    #: one propensity per input row, unclipped
    scores: np.ndarray
    treated: np.ndarray
    #: standardised coefficients (per covariate standard deviation) and the intercept
    coefficients: dict[str, float] = field(default_factory=dict)
    intercept: float = 0.0
    #: ROC AUC of the scores for the treatment (0.5: the covariates say nothing about exposure)
    auc: float = 0.5

    @property
    def n(self) -> int:
        return int(len(self.scores))

    @property
    def n_treated(self) -> int:
        return int(self.treated.sum())

    def weights(self, method: str = "ipw", clip: float | None = None) -> np.ndarray:
        """Per-row weights: ``"ipw"`` (Horvitz–Thompson) or ``"snips"`` (Hájek, per-arm mean 1)."""
        if method == "ipw":
            return ipw_weights(self.treated, self.scores, clip)
        if method == "snips":
            return snips_weights(self.treated, self.scores, clip)
        raise CausalInputError(f"unknown weighting {method!r}; use one of {', '.join(WEIGHTINGS)}")

    def summary(self) -> dict[str, Any]:
        p = self.scores[self.treated == 1]
        return {"treatment": self.treatment, "covariates": list(self.covariates), "n": self.n,
                "n_treated": self.n_treated, "auc": round(self.auc, 4), "intercept": round(self.intercept, 4),
                "coefficients": {k: round(v, 4) for k, v in self.coefficients.items()},
                "treated_propensity_quantiles": ({q: float(np.quantile(p, q)) for q in (0.01, 0.1, 0.5, 0.9, 0.99)}
                                                 if len(p) else {})}


def fit_propensity(table: Any, treatment: str, covariates: Sequence[str], *, max_iter: int = 500) -> Propensity:
    """Fit P(``treatment`` = 1 | ``covariates``) by logistic regression on ``table``.

    ``table`` is anything ``causal.table.as_table`` reads (DataFrame, dict of arrays).
    An empty ``covariates`` (the graph says nothing confounds the treatment) gives every
    row the marginal treated share, so the weights are constant within each arm.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    covariates = tuple(covariates)
    if treatment in covariates:
        raise CausalInputError(f"the treatment {treatment!r} is also listed as a covariate; remove it from the "
                               "adjustment set")
    t = _treatment_column(table, treatment)
    if not covariates:
        return Propensity(treatment, (), np.full(len(t), t.mean()), t, {}, float(np.log(t.mean() / (1 - t.mean()))))
    tab = as_table(table, (treatment, *covariates), min_rows=2)
    x = tab.data[:, 1:]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=np.inf, max_iter=max_iter))
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(x, t)
        except ConvergenceWarning as exc:
            raise CausalInputError(
                f"the propensity model of {treatment!r} on {', '.join(covariates)} did not converge ({exc}); a "
                "covariate may separate the arms perfectly: drop it, bin it, or raise max_iter") from None
    scores = model.predict_proba(x)[:, 1]
    auc = float(roc_auc_score(t, scores))
    if auc > 1 - 1e-9:
        raise CausalInputError(
            f"{', '.join(covariates)} separate the arms of {treatment!r} perfectly: positivity fails (some rows "
            "could never have been treated, others always were); drop or bin that covariate, or restrict the rows")
    lr = model[-1]
    return Propensity(treatment, covariates, scores, t,
                      dict(zip(covariates, map(float, lr.coef_[0]), strict=True)), float(lr.intercept_[0]), auc)


def clip_propensity(scores: np.ndarray, clip: float | None) -> np.ndarray:
    """Scores kept inside ``[clip, 1 - clip]``: every inverse weight is at most ``1 / clip``."""
    p = np.asarray(scores, dtype=np.float64)
    if p.size and (not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1):
        raise CausalInputError("propensities must be finite probabilities in [0, 1]; check the propensity model")
    if clip is None:
        return p
    if not 0.0 < float(clip) < 0.5:
        raise CausalInputError(f"clip must be between 0 and 0.5 (a propensity floor such as 0.01), got {clip}")
    return np.clip(p, clip, 1.0 - clip)


def ipw_weights(treated: np.ndarray, scores: np.ndarray, clip: float | None = None) -> np.ndarray:
    """Horvitz–Thompson weights: ``1 / p`` for treated rows, ``1 / (1 - p)`` for the others.

    Without ``clip`` a propensity of exactly 0 (treated) or 1 (untreated) has no finite
    weight and is refused: positivity fails there and only a floor can rescue it.
    """
    t = _binary(treated, "treated")
    p = clip_propensity(scores, clip)
    if len(p) != len(t):
        raise CausalInputError(f"{len(p)} propensities for {len(t)} treatment values; give one per row")
    own = np.where(t == 1, p, 1.0 - p)
    if np.any(own <= 0):
        raise CausalInputError("a row's own-arm propensity is 0 (positivity fails); pass clip= (e.g. 0.01) "
                               "or drop the rows the treatment can never reach")
    return 1.0 / own


def snips_weights(treated: np.ndarray, scores: np.ndarray, clip: float | None = None) -> np.ndarray:
    """Self-normalised (Hájek) weights: Horvitz–Thompson weights divided by their arm's mean.

    Why: dividing by the realised sum of weights removes the estimator's dependence on
    the scale of the propensities (a constant mis-calibration cancels) and bounds the
    total weight of each arm by its size, which is what tames the variance of 1/p.
    """
    w = ipw_weights(treated, scores, clip)
    t = np.asarray(treated)
    out = np.empty_like(w)
    for arm in (0, 1):
        m = t == arm
        if m.any():
            out[m] = w[m] / w[m].mean()
    return out


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``: how many equal-weight rows the weights are worth."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return 0.0
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise CausalInputError("weights must be finite and non-negative")
    s2 = float((w ** 2).sum())
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def _treatment_column(table: Any, treatment: str) -> np.ndarray:
    try:
        col = table[treatment]
    except (KeyError, IndexError, TypeError, ValueError):
        names = list(getattr(table, "columns", None) or (table.keys() if hasattr(table, "keys") else []))
        raise CausalInputError(f"no treatment column {treatment!r}; valid names are: "
                               f"{', '.join(map(str, names)) or '(none)'}") from None
    return _binary(col, treatment)


def _binary(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise CausalInputError(f"column {name!r} must be one value per row (1-D), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or not np.all(np.isin(arr, (0.0, 1.0))):
        bad = arr[~np.isin(arr, (0.0, 1.0))][:3]
        raise CausalInputError(f"column {name!r} must be a 0/1 treatment (e.g. exposed or not); found values "
                               f"such as {', '.join(map(str, bad))}: recode it to 0/1")
    if arr.size and arr.min() == arr.max():
        raise CausalInputError(f"column {name!r} has only the value {int(arr[0])}: a propensity needs both treated "
                               "and untreated rows")
    return arr.astype(np.int8)
