"""Field parsers for the importers: each returns the value or raises ``ValueError`` whose
text says what is wrong and how to fix it (the importer adds ``file:line: column X:``).

Kept apart from ``tools.catalog.importers`` so the row/column bookkeeping and the value rules
can each be read (and tested) on their own.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

YEAR_RANGE = (1870, 2100)


def first_value(row: dict[str, Any], *names: str) -> tuple[str, Any]:
    """``(column, value)`` of the first non-empty column among ``names`` (aliases like id/item_id)."""
    for name in names:
        if name in row and row[name] not in (None, ""):
            return name, row[name]
    return names[0], None


def as_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def parse_list(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        parts = value.replace(";", "|").split("|")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = value
    else:
        raise ValueError("must be a list of text values, e.g. [\"scary\", \"funny\"] (CSV: scary|funny)")
    out = [" ".join(p.strip().lower().split()) for p in parts]
    return tuple(dict.fromkeys(p for p in out if p))


def parse_year(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number != int(number) or not YEAR_RANGE[0] <= number <= YEAR_RANGE[1]:
        raise ValueError(f"{value!r} is not a year; use a 4-digit year like 1994 or leave it empty")
    return int(number)


def parse_number(value: Any, what: str) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a number; {what}")
    return number


def parse_attribute(value: Any) -> Any:
    if isinstance(value, bool | int | float) and not (isinstance(value, float) and not math.isfinite(value)):
        return value
    if isinstance(value, str):
        v = value.strip()
        try:
            number = float(v)
        except ValueError:
            return v
        if not math.isfinite(number):
            return v
        return int(number) if number.is_integer() and "." not in v and "e" not in v.lower() else number
    raise ValueError("attribute values must be a number or text; flatten lists/objects into separate columns")


def parse_timestamp(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return parse_number(value, "")
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a time; use seconds since 1970 or ISO 8601 like 2024-05-01T12:00:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()
