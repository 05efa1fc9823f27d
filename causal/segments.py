"""The effect of a binary treatment on an outcome *within* segments of a table.

Why: one population-level effect says nothing about a particular subgroup. If being
suggested helps for horror films and does nothing for comedies, the average hides both, and
a sentence on a comedy's card that leans on the average is not supported. Here each segment
(any boolean row mask: a genre, a popularity bucket) gets its own adjusted estimate and
interval, so a caller can make a claim about a segment only when that segment's own
interval excludes zero.

Estimators: the ones in ``causal.effects`` (so a segment and the population are estimated
the same way): regression adjustment (g-computation; a logistic outcome model for a 0/1
outcome, so the number is a risk difference) or Hajek inverse-propensity weighting, with
the caller's adjustment set (read it off a learned graph with ``causal.adjustment.identify``;
a segment defined by pre-treatment attributes does not change which set is valid).

Intervals: percentile bootstrap (``causal.bootstrap``, the project's one), not
``scipy.stats.bootstrap``, because
(1) rows are often clustered (one ReDial dialogue mentions several movies and one seeker
    answers for all of them); passing ``clusters`` resamples whole clusters, which scipy
    cannot, so within-cluster correlation widens the interval as it should;
(2) scipy's default BCa interval needs a jackknife, one logistic refit per row -- thousands
    of refits per segment on top of the resamples;
(3) one seeded generator makes every run give the same resamples, hence the same table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from causal.bootstrap import bootstrap_values, percentile_interval, resample_indices
from causal.effects import SMALL_GROUP, _design, _diff, _gcomp, _ipw, _logistic_fit, _standardize
from causal.errors import CausalInputError, SegmentError

METHODS = ("regression", "ipw")
#: a segment needs at least this many rows (and SMALL_GROUP treated and SMALL_GROUP untreated ones)
MIN_SEGMENT_ROWS = 100


def interval_excludes_zero(low: float, high: float) -> bool:
    """True when the whole interval lies on one side of zero (a NaN interval never does): the one rule
    for "this effect can be claimed", shared by the report, the served effects and the cards."""
    return bool((low > 0 and high > 0) or (low < 0 and high < 0))


@dataclass(frozen=True)
class SegmentEstimate:
    """One segment's adjusted effect with its bootstrap interval (``low``..``high`` at ``level``)."""

    segment: str
    n: int
    n_treated: int
    n_control: int
    n_clusters: int
    estimate: float
    low: float
    high: float
    level: float
    se: float
    unadjusted: float
    adjustment: tuple[str, ...]
    method: str
    n_boot: int
    seed: int

    @property
    def excludes_zero(self) -> bool:
        return interval_excludes_zero(self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["adjustment"] = list(self.adjustment)
        d["excludes_zero"] = self.excludes_zero
        return d


@dataclass(frozen=True)
class SkippedSegment:
    """A segment that was asked for but could not be estimated, and why."""

    segment: str
    n: int
    reason: str
    message: str


@dataclass(frozen=True)
class SegmentAnalysis:
    """Every requested segment: the estimated ones and the skipped ones (with reasons)."""

    treatment: str
    outcome: str
    adjustment: tuple[str, ...]
    method: str
    level: float
    n_boot: int
    seed: int
    estimates: tuple[SegmentEstimate, ...]
    skipped: tuple[SkippedSegment, ...]

    def excluding_zero(self) -> list[SegmentEstimate]:
        return [e for e in self.estimates if e.excludes_zero]


def estimate_segment(
    data: Any,
    treatment: str,
    outcome: str,
    adjustment: Sequence[str] = (),
    *,
    mask: Sequence[bool] | np.ndarray | None = None,
    clusters: Sequence[Any] | np.ndarray | None = None,
    name: str = "all",
    method: str = "regression",
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
    min_rows: int = MIN_SEGMENT_ROWS,
    min_group: int = SMALL_GROUP,
) -> SegmentEstimate:
    """Effect of binary ``treatment`` on ``outcome`` in the rows where ``mask`` is true.

    Raises ``SegmentError`` (a ``ValueError``) when the segment has fewer than ``min_rows``
    rows, fewer than ``min_group`` treated or untreated rows, or a constant outcome, and
    ``CausalInputError`` for any other bad input. Example::

        est = estimate_segment(df, "suggested", "liked", ("position",), mask=df["genre_horror"] == 1,
                               clusters=df["conversation_id"], name="genre:horror")
    """
    return _Prepared.build(data, treatment, outcome, adjustment, clusters, method, n_boot, level).estimate(
        _mask(mask, None), name, seed, min_rows, min_group)


def estimate_segments(
    data: Any,
    segments: Mapping[str, Sequence[bool] | np.ndarray],
    treatment: str,
    outcome: str,
    adjustment: Sequence[str] = (),
    *,
    clusters: Sequence[Any] | np.ndarray | None = None,
    method: str = "regression",
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
    min_rows: int = MIN_SEGMENT_ROWS,
    min_group: int = SMALL_GROUP,
) -> SegmentAnalysis:
    """``estimate_segment`` for every ``name -> mask`` in ``segments``.

    A segment that raises ``SegmentError`` is listed in ``skipped`` with its reason instead of
    stopping the others; every segment uses the same seed, so adding one does not change the rest.
    """
    if not segments:
        raise CausalInputError("no segments given; pass a mapping of segment name -> boolean row mask")
    prep = _Prepared.build(data, treatment, outcome, adjustment, clusters, method, n_boot, level)
    done, skipped = [], []
    for name, m in segments.items():
        rows = _mask(m, prep.n)
        try:
            done.append(prep.estimate(rows, str(name), seed, min_rows, min_group))
        except SegmentError as exc:
            skipped.append(SkippedSegment(str(name), int(rows.sum()), exc.reason, str(exc)))
    return SegmentAnalysis(treatment, outcome, tuple(adjustment), method, level, n_boot, seed, tuple(done),
                           tuple(skipped))


# ----- internals -----------------------------------------------------------------------
def _mask(mask: Any, n: int | None) -> np.ndarray | None:
    if mask is None:
        return None if n is None else np.ones(n, dtype=bool)
    arr = np.asarray(mask)
    if arr.ndim != 1 or (arr.dtype.kind != "b" and not np.isin(arr, (0, 1)).all()):
        raise CausalInputError("a segment mask must be a 1-D sequence of booleans (one per row)")
    if n is not None and len(arr) != n:
        raise CausalInputError(f"a segment mask has {len(arr)} entries for a table of {n} rows")
    return arr.astype(bool)


@dataclass(frozen=True)
class _Prepared:
    """The validated columns, shared by every segment of one call."""

    t: np.ndarray
    y: np.ndarray
    z: np.ndarray
    clusters: np.ndarray
    binary_y: bool
    adjustment: tuple[str, ...]
    method: str
    n_boot: int
    level: float

    @property
    def n(self) -> int:
        return len(self.t)

    @classmethod
    def build(cls, data: Any, treatment: str, outcome: str, adjustment: Sequence[str], clusters: Any,
              method: str, n_boot: int, level: float) -> _Prepared:
        if method not in METHODS:
            raise CausalInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if not 0.0 < level < 1.0:
            raise CausalInputError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
        if n_boot < 20:
            raise CausalInputError(f"n_boot must be >= 20 for a percentile interval, got {n_boot}")
        adjustment = tuple(adjustment)
        if treatment == outcome or treatment in adjustment or outcome in adjustment:
            raise CausalInputError("treatment, outcome and the adjustment variables must all be different columns")
        tab = _columns(data, (treatment, outcome, *adjustment))
        t, y = tab[treatment], tab[outcome]
        if set(np.unique(t)) - {0.0, 1.0}:
            raise CausalInputError(f"treatment {treatment!r} must be binary 0/1; dichotomise it first")
        z = np.column_stack([tab[v] for v in adjustment]) if adjustment else np.zeros((len(t), 0))
        if clusters is None:
            codes = np.arange(len(t))
        else:
            raw = np.asarray(clusters)
            if len(raw) != len(t):
                raise CausalInputError(f"clusters has {len(raw)} entries for a table of {len(t)} rows")
            codes = np.unique(raw.astype(str), return_inverse=True)[1]
        return cls(t, y, z, codes, bool(set(np.unique(y)) <= {0.0, 1.0}), adjustment, method, n_boot, level)

    def estimate(self, rows: np.ndarray | None, name: str, seed: int, min_rows: int,
                 min_group: int) -> SegmentEstimate:
        idx = np.arange(self.n) if rows is None else np.flatnonzero(_mask(rows, self.n))
        t, y, z = self.t[idx], self.y[idx], self.z[idx]
        n1 = int(t.sum())
        n0 = len(t) - n1
        if len(t) < min_rows:
            raise SegmentError(f"segment {name!r} has {len(t)} rows; at least {min_rows} are needed",
                               segment=name, reason="too_small")
        if n1 == 0 or n0 == 0:
            raise SegmentError(f"treatment is constant in segment {name!r} ({n1} treated, {n0} untreated rows); "
                               "the effect is not estimable there", segment=name, reason="constant_treatment")
        if min(n1, n0) < min_group:
            raise SegmentError(f"segment {name!r} has {n1} treated and {n0} untreated rows; at least {min_group} "
                               "of each are needed", segment=name, reason="too_small")
        if np.ptp(y) == 0:
            raise SegmentError(f"outcome is constant in segment {name!r}; there is no effect to estimate",
                               segment=name, reason="constant_outcome")
        stat = self._statistic(t, y, z)
        point = stat(np.arange(len(t)))
        # cluster bootstrap: whole clusters drawn with replacement (causal/bootstrap.py)
        vals = bootstrap_values(stat, resample_indices(len(t), self.n_boot, seed, self.clusters[idx]))
        lo, hi = percentile_interval(vals, self.level)
        return SegmentEstimate(
            segment=name, n=len(t), n_treated=n1, n_control=n0, n_clusters=len(np.unique(self.clusters[idx])),
            estimate=float(point), low=float(lo), high=float(hi), level=self.level,
            se=float(vals.std(ddof=1)) if len(vals) >= 2 else float("nan"), unadjusted=_diff(t, y),
            adjustment=self.adjustment, method=self.method, n_boot=self.n_boot, seed=seed,
        )

    def _statistic(self, t: np.ndarray, y: np.ndarray, z: np.ndarray):
        """The estimator on a row-index array, warm-started from the segment's own full-data fit."""
        if self.method == "regression":
            warm = _logistic_fit(_design(t, _standardize(z)), y) if self.binary_y else None
            return lambda ix: _gcomp(t[ix], y[ix], z[ix], self.binary_y, warm)
        warm = _logistic_fit(_design(_standardize(z)), t) if z.shape[1] else None
        return lambda ix: _ipw(t[ix], y[ix], z[ix], warm)


def _columns(data: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Float columns by name from a DataFrame or a mapping; no NaN, one length.

    Not ``causal.table.as_table``: it rejects constant columns, and here a constant treatment
    must surface as a ``SegmentError`` ("constant_treatment") while a constant adjustment
    column is harmless (the weak ridge keeps its coefficient at zero).
    """
    if isinstance(data, Mapping):
        available = [str(k) for k in data]
    elif hasattr(data, "columns") and hasattr(data, "__getitem__"):
        available = [str(c) for c in data.columns]
    else:
        raise CausalInputError("data must be a pandas DataFrame or a dict of column name -> values")
    missing = [n for n in names if n not in available]
    if missing:
        raise CausalInputError(f"unknown column(s) {', '.join(map(repr, missing))}; valid names are: "
                               f"{', '.join(available)}")
    out: dict[str, np.ndarray] = {}
    for n in names:
        try:
            out[n] = np.asarray(data[n], dtype=float).ravel()
        except (TypeError, ValueError) as exc:
            raise CausalInputError(f"column {n!r} could not be read as numbers ({exc})") from exc
    lengths = {len(v) for v in out.values()}
    if len(lengths) != 1:
        raise CausalInputError(f"columns have different lengths {sorted(lengths)}; one value per row is needed")
    bad = [n for n, v in out.items() if not np.all(np.isfinite(v))]
    if bad:
        raise CausalInputError(f"column(s) {', '.join(bad)} contain NaN or infinite values; drop those rows first")
    return out


__all__ = ["METHODS", "MIN_SEGMENT_ROWS", "SegmentAnalysis", "SegmentEstimate", "SkippedSegment",
           "estimate_segment", "estimate_segments"]
