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

from causal.errors import CausalInputError, ColumnError

MIN_ROWS = 20
#: a column with at most this many distinct values (all integers) counts as discrete
MAX_DISCRETE_LEVELS = 10
#: |correlation| at or above this between two columns means one is a (rescaled) copy of the other
COPY_CORRELATION = 1.0 - 1e-9


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
    Booleans become 0/1; text cells that are numbers become numbers; other text (and pandas
    categoricals) becomes integer codes (discrete) when it has at most ``MAX_DISCRETE_LEVELS``
    values. Raises ``ColumnError`` naming the column and the fix for numbers mixed with text,
    free text, an empty, partly missing or constant column.
    """
    if isinstance(table, Table):
        if variables is None:
            return table
        idx = [table.index(v) for v in variables]
        return Table(table.data[:, idx], tuple(variables), tuple(table.discrete[i] for i in idx))
    columns: dict[str, np.ndarray]
    if hasattr(table, "columns") and hasattr(table, "__getitem__") and not isinstance(table, Mapping):
        columns = {str(c): column_values(table[c], str(c)) for c in table.columns}
    elif isinstance(table, Mapping):
        columns = {str(k): column_values(v, str(k)) for k, v in table.items()}
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
        columns = {n: column_values(arr[:, i], n) for i, n in enumerate(names)}
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
        raise CausalInputError(f"only {n} rows; causal discovery needs at least {min_rows} (better: hundreds): add rows")
    data = np.column_stack([columns[c] for c in columns]).astype(float)
    names = tuple(columns)
    empty = [names[j] for j in range(data.shape[1]) if np.all(np.isnan(data[:, j]))]
    if empty:
        raise ColumnError(empty, "are empty (every value is missing)", "drop the column (it holds no data)", reason="empty")
    bad_nan = [names[j] for j in range(data.shape[1]) if not np.all(np.isfinite(data[:, j]))]
    if bad_nan:
        raise ColumnError(bad_nan, "contain NaN or infinite values",
                          "drop or impute those rows first (e.g. pandas dropna())", reason="missing")
    const = [names[j] for j in range(data.shape[1]) if np.ptp(data[:, j]) == 0]
    if const:
        raise ColumnError(const, "are constant (one value in every row); a constant carries no causal information",
                          "drop it", reason="constant")
    discrete = tuple(_is_discrete(data[:, j]) for j in range(data.shape[1]))
    return Table(data, names, discrete)


def column_values(v: Any, name: str) -> np.ndarray:
    """One column as floats; text becomes category codes unless it is broken numbers or free text."""
    dtype = getattr(v, "dtype", None)
    if dtype is not None and str(dtype) == "category":
        import pandas as pd

        return _codes(pd.Series(v).astype(object).to_numpy(), name)
    arr = np.asarray(v)
    if arr.dtype == object or arr.dtype.kind in "US":
        return _codes(arr, name)
    if arr.dtype.kind == "b":
        return arr.astype(float)
    try:
        return arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise ColumnError(name, f"could not be read as numbers ({exc})", "encode categories as integers") from exc


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x)) or (isinstance(x, str) and not x.strip())


def _as_number(x: Any) -> float | None:
    if isinstance(x, bool | np.bool_):
        return float(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def parse_numbers(arr: Any) -> np.ndarray | None:
    """Text cells as floats (empty/None -> NaN), or None if any present cell is not a number."""
    out = np.full(len(arr), np.nan)
    for i, x in enumerate(arr):
        if _is_missing(x):
            continue
        val = _as_number(x)
        if val is None:
            return None
        out[i] = val
    return out


def _codes(arr: np.ndarray, name: str) -> np.ndarray:
    """Text cells: all numbers -> numbers; mostly numbers -> error naming the bad cells;
    few distinct words -> category codes (a discrete column); many words -> error (free text/ids).

    Why refuse rather than guess: a price column with a stray "12 USD" would otherwise be read
    as a 1,000-level category and silently change the learned graph.
    """
    numbers = parse_numbers(arr)
    if numbers is not None:
        return numbers
    present = [(i, x) for i, x in enumerate(arr) if not _is_missing(x)]
    bad = [(i, x) for i, x in present if _as_number(x) is None]
    out = np.full(len(arr), np.nan)
    if len(bad) < len(present) / 2:
        shown = ", ".join(f"{x!r} (row {i + 1})" for i, x in bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise ColumnError(name, f"has text where numbers belong: {shown}",
                          "make those cells numbers (or empty for missing) or drop those rows", reason="text_in_numbers")
    levels = sorted({str(x).strip() for _, x in present})
    if len(levels) > MAX_DISCRETE_LEVELS:
        raise ColumnError(name, f"holds text with {len(levels)} distinct values (free text or identifiers, "
                          f"not a variable; text is read as categories and at most {MAX_DISCRETE_LEVELS} are allowed)",
                          "drop the column or group its values into a few categories", reason="free_text")
    code = {lv: k for k, lv in enumerate(levels)}
    for i, x in present:
        out[i] = code[str(x).strip()]
    return out


def check_discoverable(tab: Table) -> None:
    """Refuse tables that make every CI test degenerate: fewer rows than variables, or a column
    that is a copy (or a rescaled copy / relabelled category) of another. Separate from
    ``as_table`` because effect estimation and propensity models read their tables through
    ``as_table`` too, and their regressions deal with collinear covariates their own way.
    """
    n, p = tab.data.shape
    if n <= p:
        raise CausalInputError(f"only {n} rows for {p} variables ({', '.join(tab.names)}); discovery needs more rows "
                               "than variables (hundreds in practice): add rows or drop variables")
    z = (tab.data - tab.data.mean(axis=0)) / tab.data.std(axis=0)
    corr = np.abs(z.T @ z) / n
    codes = {j: np.unique(tab.data[:, j], return_inverse=True)[1] for j in range(p) if tab.discrete[j]}
    for i in range(p):
        for j in range(i + 1, p):
            same = corr[i, j] >= COPY_CORRELATION
            if not same and i in codes and j in codes and codes[i].max() == codes[j].max():
                levels = codes[i].max() + 1  # one-to-one relabelling: as many joint levels as single ones
                same = len(np.unique(codes[i] * levels + codes[j])) == levels
            if same:
                a, b = tab.names[i], tab.names[j]
                raise ColumnError(b, f"is a copy of {a!r} (one determines the other exactly), which makes every "
                                  "conditional-independence test between them degenerate", f"drop {b!r} or {a!r}",
                                  reason="copy")


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
