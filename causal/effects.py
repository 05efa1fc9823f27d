"""Average treatment effects from observational data, adjusted by a learned graph.

Why two estimators: regression adjustment (g-computation with a linear or logistic outcome
model) and inverse-propensity weighting rely on different models (outcome vs treatment
assignment); when they agree the estimate is more credible, when they disagree the user
should know. Both get percentile-bootstrap 95% intervals; the unadjusted difference is
reported beside them so the size of the confounding correction is visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from causal.adjustment import identify
from causal.bootstrap import bootstrap_values, percentile_interval, resample_indices
from causal.errors import CausalInputError
from causal.graph import CausalGraph
from causal.table import as_table

PROPENSITY_CLIP = (0.01, 0.99)
SMALL_GROUP = 30


@dataclass(frozen=True)
class Estimate:
    """One estimator's number with a percentile-bootstrap 95% interval."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float

    def __str__(self) -> str:
        return f"{self.estimate:+.4f} [95% CI {self.ci_low:+.4f}, {self.ci_high:+.4f}]"


@dataclass(frozen=True)
class EffectEstimate:
    treatment: str
    outcome: str
    n: int
    n_treated: int
    n_control: int
    adjustment_set: tuple[str, ...] | None
    identification: str  # status from causal.adjustment
    explanation: str
    unadjusted: Estimate
    regression: Estimate | None = None
    ipw: Estimate | None = None
    possible_effects: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    outcome_model: str = "linear"
    n_boot: int = 0
    seed: int = 0
    graph_method: str = ""

    @property
    def identifiable(self) -> bool:
        return self.identification in ("identified", "no_causal_path")

    @property
    def headline(self) -> Estimate | None:
        return self.regression or self.ipw

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["adjustment_set"] = list(self.adjustment_set) if self.adjustment_set is not None else None
        d["identifiable"] = self.identifiable
        d["estimate"] = self.headline.estimate if self.headline else None
        d["ci95"] = [self.headline.ci_low, self.headline.ci_high] if self.headline else None
        return d

    def describe(self) -> str:
        lines = [f"effect of {self.treatment} on {self.outcome} (n={self.n}, treated={self.n_treated}, control={self.n_control})"]
        if self.regression:
            lines.append(f"  regression adjustment ({self.outcome_model}): {self.regression}")
        if self.ipw:
            lines.append(f"  inverse-propensity weighting:  {self.ipw}")
        lines.append(f"  unadjusted difference:         {self.unadjusted}")
        adj = "none possible" if self.adjustment_set is None else "{" + ", ".join(self.adjustment_set) + "}"
        lines.append(f"  adjustment set: {adj}   ({self.identification})")
        lines.append(f"  {self.explanation}")
        for p in self.possible_effects:
            lines.append(f"  possible: adjust {{{', '.join(p['adjustment_set'])}}} -> {p['estimate']:+.4f}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def estimate_effect(
    graph: CausalGraph,
    table: Any,
    treatment: str,
    outcome: str,
    method: str = "both",
    n_boot: int = 200,
    seed: int = 0,
    *,
    adjustment: tuple[str, ...] | list[str] | None = None,
) -> EffectEstimate:
    """ATE of binary ``treatment`` on ``outcome`` using the graph's adjustment set.

    ``method``: "regression", "ipw" or "both". ``adjustment`` overrides the graph. Example::

        est = estimate_effect(g, df, "suggested", "liked")
        print(est.describe())
    """
    if method not in ("both", "regression", "ipw"):
        raise CausalInputError(f"method must be both, regression or ipw, got {method!r}")
    if n_boot < 0:
        raise CausalInputError("n_boot must be >= 0 (0 = no interval)")
    for v in (treatment, outcome):
        if v not in graph.variables:
            raise CausalInputError(f"unknown variable {v!r}; valid names are: {', '.join(graph.variables)}")
    if treatment == outcome:
        raise CausalInputError("treatment and outcome must be different variables")
    tab = as_table(table, list(graph.variables))
    t = tab.column(treatment)
    y = tab.column(outcome)
    if set(np.unique(t)) - {0.0, 1.0}:
        raise CausalInputError(f"treatment {treatment!r} must be binary 0/1; dichotomise it first")
    binary_y = set(np.unique(y)) <= {0.0, 1.0}

    if adjustment is not None:
        unknown = [v for v in adjustment if v not in tab.names]
        if unknown:
            raise CausalInputError(f"unknown adjustment variable(s) {unknown}; valid names are: {', '.join(tab.names)}")
        status, sets = "user", (tuple(adjustment),)
        explanation = "adjustment set given by the caller; the graph was not consulted"
    else:
        ident = identify(graph, treatment, outcome)
        status, sets, explanation = ident.status, ident.sets, ident.explanation

    warns: list[str] = []
    n1, n0 = int(t.sum()), int(len(t) - t.sum())
    if min(n1, n0) < SMALL_GROUP:
        warns.append(f"small group: {n1} treated vs {n0} control rows; intervals will be wide and unstable")
    boot_idx = list(resample_indices(tab.n, n_boot, seed))  # the same resamples for every estimator
    unadj = _bootstrap(lambda ix: _diff(t[ix], y[ix]), tab.n, boot_idx)

    adj_set: tuple[str, ...] | None = max(sets, key=len) if sets else None
    reg = ipw = None
    possible: list[dict[str, Any]] = []
    if adj_set is not None:
        z = np.column_stack([tab.column(v) for v in adj_set]) if adj_set else np.zeros((tab.n, 0))
        if method in ("both", "regression"):
            b_out = _warm(_design(t, _standardize(z)), y) if binary_y else None  # warm start for resamples
            reg = _bootstrap(lambda ix: _gcomp(t[ix], y[ix], z[ix], binary_y, b_out), tab.n, boot_idx)
        if method in ("both", "ipw"):
            e = _propensity(t, z)
            _positivity_warnings(e, warns)
            b_ps = _warm(_design(_standardize(z)), t) if z.shape[1] else None
            ipw = _bootstrap(lambda ix: _ipw(t[ix], y[ix], z[ix], b_ps), tab.n, boot_idx)
        if len(sets) > 1:
            for s in sets:
                zs = np.column_stack([tab.column(v) for v in s]) if s else np.zeros((tab.n, 0))
                possible.append({"adjustment_set": list(s), "estimate": float(_gcomp(t, y, zs, binary_y))})
    return EffectEstimate(
        treatment=treatment, outcome=outcome, n=tab.n, n_treated=n1, n_control=n0,
        adjustment_set=adj_set, identification=status, explanation=explanation,
        unadjusted=unadj, regression=reg, ipw=ipw, possible_effects=tuple(possible), warnings=tuple(warns),
        outcome_model="logistic" if binary_y else "linear", n_boot=n_boot, seed=seed, graph_method=graph.method,
    )


# ----- estimators ----------------------------------------------------------------------
def _diff(t: np.ndarray, y: np.ndarray) -> float:
    if t.min() == t.max():
        return float("nan")
    return float(y[t == 1].mean() - y[t == 0].mean())


def _design(*cols: np.ndarray) -> np.ndarray:
    parts = [np.ones((len(cols[0]), 1))] + [c.reshape(len(c), -1) for c in cols]
    return np.hstack(parts)


def _standardize(z: np.ndarray) -> np.ndarray:
    """Centre/scale covariates so the weak ridge below treats them alike (ATE unaffected)."""
    if z.shape[1] == 0:
        return z
    sd = z.std(axis=0)
    return (z - z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _gcomp(t: np.ndarray, y: np.ndarray, z: np.ndarray, binary_y: bool, beta0: np.ndarray | None = None) -> float:
    """Fit y ~ t + z, predict everyone treated and untreated, average the difference."""
    if t.min() == t.max():
        return float("nan")
    x = _design(t, _standardize(z))
    if binary_y:
        beta = _logistic_fit(x, y, beta0)
        x1, x0 = x.copy(), x.copy()
        x1[:, 1], x0[:, 1] = 1.0, 0.0
        return float(np.mean(_sigmoid(x1 @ beta) - _sigmoid(x0 @ beta)))
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    return float(beta[1])


def _propensity(t: np.ndarray, z: np.ndarray, beta0: np.ndarray | None = None) -> np.ndarray:
    if z.shape[1] == 0:
        return np.full(len(t), t.mean())
    x = _design(_standardize(z))
    return _sigmoid(x @ _logistic_fit(x, t, beta0))


def _ipw(t: np.ndarray, y: np.ndarray, z: np.ndarray, beta0: np.ndarray | None = None) -> float:
    """Hajek (normalised) IPW with propensities clipped to PROPENSITY_CLIP."""
    if t.min() == t.max():
        return float("nan")
    e = np.clip(_propensity(t, z, beta0), *PROPENSITY_CLIP)
    w1, w0 = t / e, (1 - t) / (1 - e)
    return float(np.sum(w1 * y) / np.sum(w1) - np.sum(w0 * y) / np.sum(w0))


def _positivity_warnings(e: np.ndarray, warns: list[str]) -> None:
    lo, hi = PROPENSITY_CLIP
    extreme = float(np.mean((e < 0.05) | (e > 0.95)))
    if extreme > 0.05:
        warns.append(
            f"positivity: {extreme:.0%} of rows have propensity outside [0.05, 0.95]; IPW weights were clipped "
            f"to [{lo}, {hi}] and the estimate leans on few rows"
        )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))


def _logistic_fit(x: np.ndarray, y: np.ndarray, beta0: np.ndarray | None = None, iters: int = 30,
                  ridge: float = 1.0) -> np.ndarray:
    """Newton-Raphson (IRLS) logistic regression with a weak ridge on the non-intercept
    coefficients (keeps near-separable data, common in ReDial, finite and fast)."""
    beta = np.zeros(x.shape[1]) if beta0 is None else beta0.copy()
    pen = np.full(x.shape[1], ridge)
    pen[0] = 0.0
    for _ in range(iters):
        p = _sigmoid(x @ beta)
        w = p * (1 - p)
        grad = x.T @ (y - p) - pen * beta
        hess = (x * w[:, None]).T @ x + np.diag(pen) + 1e-9 * np.eye(x.shape[1])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-6:
            break
    return beta


def _warm(fit_x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _logistic_fit(fit_x, y)


def _bootstrap(stat, n: int, boot_idx: list[np.ndarray]) -> Estimate:
    point = stat(np.arange(n))
    vals = bootstrap_values(stat, boot_idx)
    if len(vals) < 2:
        return Estimate(point, float("nan"), float("nan"), float("nan"))
    lo, hi = percentile_interval(vals, 0.95)
    return Estimate(float(point), lo, hi, float(vals.std(ddof=1)))


__all__ = ["Estimate", "EffectEstimate", "estimate_effect"]
