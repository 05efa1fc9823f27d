"""Turn a user table into a validated numeric matrix for discovery and effect estimation.

Why one place: every algorithm in causal-learn fails obscurely (asserts, singular matrices,
NaN p-values) on NaNs, constant columns or tiny samples. We check once, here, and raise a
``CausalInputError`` that names the offending columns and says how to fix them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causal.errors import CausalInputError

MIN_ROWS = 20
#: a column with at most this many distinct values (all integers) counts as discrete
MAX_DISCRETE_LEVELS = 10


@dataclass(frozen=True)
class Table:
    """Validated data: ``data[:, j]`` is variable ``names[j]``; ``discrete[j]`` its type."""

    data: np.ndarray
    names: tuple[str, ...]
    discrete: tuple[bool, ...]

    @property
    def n(self) -> int:
        return int(self.data.shape[0])

    def column(self, name: str) -> np.ndarray:
        return self.data[:, self.index(name)]

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise CausalInputError(
                f"unknown variable {name!r}; valid names are: {', '.join(self.names)}"
            ) from None

    @property
    def kind(self) -> str:
        """"continuous", "discrete" or "mixed"."""
        if all(self.discrete):
            return "discrete"
        if not any(self.discrete):
            return "continuous"
        return "mixed"


def as_table(table: Any, variables: Sequence[str] | None = None, *, min_rows: int = MIN_ROWS) -> Table:
    """Accept a pandas DataFrame, a mapping column -> array, a ``Table`` or a 2-D array.

    ``variables`` selects (and orders) columns; for a bare 2-D array it names them.
    Booleans become 0/1, pandas categoricals/strings become integer codes (discrete).
    """
    if isinstance(table, Table):
        if variables is None:
            return table
        idx = [table.index(v) for v in variables]
        return Table(table.data[:, idx], tuple(variables), tuple(table.discrete[i] for i in idx))
    columns: dict[str, np.ndarray]
    if hasattr(table, "columns") and hasattr(table, "__getitem__") and not isinstance(table, Mapping):
        columns = {str(c): _column_values(table[c]) for c in table.columns}
    elif isinstance(table, Mapping):
        columns = {str(k): _column_values(v) for k, v in table.items()}
    else:
        arr = np.asarray(table)
        if arr.ndim != 2:
            raise CausalInputError(
                "data must be a pandas DataFrame, a dict of column -> array, or a 2-D array; "
                f"got an array with {arr.ndim} dimension(s)"
            )
        names = list(variables) if variables is not None else [f"X{i + 1}" for i in range(arr.shape[1])]
        if len(names) != arr.shape[1]:
            raise CausalInputError(f"{len(names)} variable names for {arr.shape[1]} columns; give one name per column")
        columns = {n: _column_values(arr[:, i]) for i, n in enumerate(names)}
        variables = None
    if variables is not None:
        missing = [v for v in variables if v not in columns]
        if missing:
            raise CausalInputError(
                f"unknown variable(s) {', '.join(map(repr, missing))}; valid names are: {', '.join(columns)}"
            )
        columns = {v: columns[v] for v in variables}
    if len(columns) < 2:
        raise CausalInputError(f"need at least 2 variables, got {len(columns)} ({', '.join(columns)})")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise CausalInputError(f"columns have different lengths {sorted(lengths)}; all columns need one value per row")
    n = lengths.pop()
    if n < min_rows:
        raise CausalInputError(f"only {n} rows; causal discovery needs at least {min_rows} (better: hundreds)")
    data = np.column_stack([columns[c] for c in columns]).astype(float)
    names = tuple(columns)
    bad_nan = [names[j] for j in range(data.shape[1]) if not np.all(np.isfinite(data[:, j]))]
    if bad_nan:
        raise CausalInputError(
            f"column(s) {', '.join(bad_nan)} contain NaN or infinite values; drop or impute those rows first"
        )
    const = [names[j] for j in range(data.shape[1]) if np.ptp(data[:, j]) == 0]
    if const:
        raise CausalInputError(
            f"column(s) {', '.join(const)} are constant; a constant carries no causal information, drop it"
        )
    discrete = tuple(_is_discrete(data[:, j]) for j in range(data.shape[1]))
    return Table(data, names, discrete)


def _column_values(v: Any) -> np.ndarray:
    dtype = getattr(v, "dtype", None)
    if dtype is not None and (str(dtype) in ("category", "object") or str(dtype).startswith("str")):
        import pandas as pd

        codes, _ = pd.factorize(pd.Series(v), use_na_sentinel=True)
        out = codes.astype(float)
        out[codes < 0] = np.nan
        return out
    arr = np.asarray(v)
    if arr.dtype == object or arr.dtype.kind in "US":
        uniq = {x: i for i, x in enumerate(sorted({str(x) for x in arr if x is not None}))}
        return np.array([np.nan if x is None else uniq[str(x)] for x in arr], dtype=float)
    if arr.dtype.kind == "b":
        return arr.astype(float)
    try:
        return arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise CausalInputError(f"a column could not be read as numbers ({exc}); encode categories as integers") from exc


def _is_discrete(col: np.ndarray) -> bool:
    if not np.all(np.equal(np.mod(col, 1), 0)):
        return False
    return len(np.unique(col)) <= MAX_DISCRETE_LEVELS


def discretize(col: np.ndarray, bins: int = 4) -> np.ndarray:
    """Quantile bins 0..bins-1 (ties collapse bins); discrete columns pass through."""
    if _is_discrete(col):
        return col
    qs = np.quantile(col, np.linspace(0, 1, bins + 1)[1:-1])
    return np.searchsorted(np.unique(qs), col, side="right").astype(float)
