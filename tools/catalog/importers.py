"""Import a user's own catalog (items) and interactions from CSV or JSONL.

Why validate everything before writing: a catalog feeds the index, the scorers and the
explanations, so half an import is worse than none. We read every row, collect every
problem as ``file:line: column X: what is wrong; how to fix it``, and raise one
``InputError`` listing them (the first ``MAX_REPORTED_ERRORS``). Only a fully valid import
is written, through ``tools.catalog.catalog.write_catalog``, which swaps the directory atomically,
so a bad file never changes a catalog that is already stored.

Formats (chosen by extension: ``.csv``, or ``.jsonl``/``.ndjson``; UTF-8):

- items: ``id`` or ``item_id`` and ``title`` are required; optional ``year`` (4 digits),
  ``description`` (and/or ``overview``, ``plot``, ``summary``, ``synopsis``, ``text``, joined
  in that order), ``tags`` and ``genres`` (a JSON list, or in CSV one cell separated by ``|``
  or ``;``), ``popularity`` (a number >= 0; when no item has one, popularity is the item's
  interaction count). Every other column becomes an attribute: a number when it parses
  as one, otherwise text (JSONL may also give an ``attributes`` object).
- interactions: ``user`` or ``user_id``, ``item`` or ``item_id`` (must be an item id from the
  items file), ``label`` (liked, accepted, seen, suggested, disliked; like/dislike/watched
  are accepted too) or ``rating`` (a number, stored as the label's text); optional
  ``timestamp`` (seconds since 1970 or an ISO 8601 date/time) and ``context``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tools.catalog.catalog import LABEL_WEIGHTS, Catalog, Interaction, Item, write_catalog
from tools.catalog.import_fields import (
    as_text,
    first_value,
    parse_attribute,
    parse_list,
    parse_number,
    parse_timestamp,
    parse_year,
)
from tools.errors import InputError

MAX_REPORTED_ERRORS = 20
TEXT_COLUMNS = ("description", "overview", "plot", "summary", "synopsis", "text")
LIST_COLUMNS = ("tags", "genres")
ITEM_COLUMNS = {"id", "item_id", "title", "year", "popularity", "attributes", *TEXT_COLUMNS, *LIST_COLUMNS}
LABEL_SYNONYMS = {"like": "liked", "dislike": "disliked", "watched": "seen", "accept": "accepted",
                  "suggest": "suggested", "seen": "seen"}


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote (counts, so the CLI can print a summary)."""

    out_dir: str
    name: str
    version: str
    items: int
    interactions: int
    users: int
    labels: dict[str, int]
    items_with_genres: int
    items_with_tags: int
    attribute_columns: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["attribute_columns"] = list(self.attribute_columns)
        return d


class _Problems:
    """Collects row-level errors; ``raise_if_any`` turns them into one InputError."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: Path, line: int, column: str | None, message: str) -> None:
        where = f"{path.name}:{line}: " + (f"column {column}: " if column else "")
        self.lines.append(where + message)

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        shown = self.lines[:MAX_REPORTED_ERRORS]
        more = len(self.lines) - len(shown)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise InputError(
            f"import failed with {len(self.lines)} error(s); nothing was written:\n  "
            + "\n  ".join(shown) + tail + "\nFix these rows and run the import again."
        )


# ---------------------------------------------------------------------------
# Reading rows
# ---------------------------------------------------------------------------

def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise InputError(f"{path}: unsupported file type {suffix or '(none)'!r}; use a .csv or .jsonl file")


def _decode(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"{path} does not exist; check the path")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path.name}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8 "
            "(in a spreadsheet: 'CSV UTF-8') and import it again"
        ) from None
    if not text.strip():
        raise InputError(f"{path.name}: the file is empty; it needs a header row and at least one data row")
    return text


def read_rows(path: Path, problems: _Problems) -> tuple[list[tuple[int, dict[str, Any]]], set[str] | None]:
    """``[(line, row)]`` with lowercase keys, and the CSV header (None for JSONL)."""
    path = Path(path)
    kind = _kind(path)
    text = _decode(path)
    rows: list[tuple[int, dict[str, Any]]] = []
    if kind == "jsonl":
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.add(path, lineno, None, f"not valid JSON ({exc.msg} at character {exc.pos + 1}); "
                             "each line must be one JSON object")
                continue
            if not isinstance(obj, dict):
                problems.add(path, lineno, None, "expected a JSON object like {\"id\": ..., \"title\": ...}")
                continue
            rows.append((lineno, {str(k).strip().lower(): v for k, v in obj.items()}))
        if not rows and not problems.lines:
            raise InputError(f"{path.name}: no records found; add one JSON object per line")
        return rows, None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
        dupes = sorted(h for h, n in Counter(header).items() if n > 1)
        if dupes:
            raise InputError(f"{path.name}:1: duplicate column(s) {', '.join(dupes)}; give each column a unique name")
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.add(path, reader.line_num, None, f"has {len(values)} fields but the header has "
                             f"{len(header)}; quote cells that contain commas")
                continue
            rows.append((reader.line_num, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        problems.add(path, reader.line_num, None, f"malformed CSV ({exc}); check quotes")
    if not rows and not problems.lines:
        raise InputError(f"{path.name}: only a header, no data rows; add at least one row")
    return rows, set(header)


def _require_columns(path: Path, header: set[str] | None, problems: _Problems, *alternatives: tuple[str, ...]) -> bool:
    if header is None:
        return True
    ok = True
    for names in alternatives:
        if not header.intersection(names):
            problems.add(path, 1, None, f"missing column {' or '.join(repr(n) for n in names)} (found: "
                         f"{', '.join(sorted(header)) or 'none'}); add it to the header row")
            ok = False
    return ok


# ---------------------------------------------------------------------------
# Items and interactions
# ---------------------------------------------------------------------------

def _parse_item(path: Path, line: int, row: dict[str, Any], problems: _Problems) -> Item | None:
    before = len(problems.lines)
    id_col, item_id = first_value(row, "item_id", "id")
    if item_id is None or not as_text(item_id):
        problems.add(path, line, id_col, "the item id is missing or empty; give every item a unique id")
    title = row.get("title")
    if title in (None, "") or not as_text(title):
        problems.add(path, line, "title", "the title is missing or empty; give every item a title")
    fields: dict[str, Any] = {}
    for column, parse in (("year", parse_year), ("tags", parse_list), ("genres", parse_list)):
        try:
            fields[column] = parse(row.get(column))
        except ValueError as exc:
            problems.add(path, line, column, str(exc))
    popularity = 0.0
    if row.get("popularity") not in (None, ""):
        try:
            popularity = parse_number(row["popularity"], "use a number >= 0 or leave it empty")
            if popularity < 0:
                raise ValueError(f"{row['popularity']!r} is negative; use a number >= 0")
        except ValueError as exc:
            problems.add(path, line, "popularity", str(exc))
    description = " ".join(as_text(row[c]) for c in TEXT_COLUMNS if row.get(c) not in (None, ""))
    attributes: dict[str, Any] = {}
    extra = row.get("attributes")
    if isinstance(extra, dict):
        pairs = list(extra.items())
    elif extra not in (None, ""):
        problems.add(path, line, "attributes", "must be a JSON object like {\"runtime\": 95}")
        pairs = []
    else:
        pairs = []
    pairs += [(k, v) for k, v in row.items() if k not in ITEM_COLUMNS]
    for key, value in pairs:
        if value in (None, ""):
            continue
        try:
            attributes[str(key)] = parse_attribute(value)
        except ValueError as exc:
            problems.add(path, line, str(key), str(exc))
    if len(problems.lines) > before:
        return None
    return Item(as_text(item_id), " ".join(as_text(title).split()), fields["year"], fields["genres"], fields["tags"],
                popularity, description, attributes)


def parse_items(path: Path, problems: _Problems | None = None) -> list[Item]:
    """Read and validate an items file; raises InputError unless ``problems`` is given."""
    path = Path(path)
    own = problems is None
    problems = problems or _Problems()
    rows, header = read_rows(path, problems)
    items: list[Item] = []
    if _require_columns(path, header, problems, ("id", "item_id"), ("title",)):
        first_line: dict[str, int] = {}
        for line, row in rows:
            id_col, raw_id = first_value(row, "item_id", "id")
            item_id = as_text(raw_id) if raw_id is not None else ""
            if item_id and item_id in first_line:  # checked even when the row has other errors
                problems.add(path, line, id_col, f"duplicate item id {item_id!r} (first on line "
                             f"{first_line[item_id]}); item ids must be unique")
                continue
            first_line.setdefault(item_id, line)
            item = _parse_item(path, line, row, problems)
            if item is not None:
                items.append(item)
    if own:
        problems.raise_if_any()
    return items


def _parse_label(row: dict[str, Any]) -> tuple[str, str]:
    """(column, label) or ValueError; a numeric label or a rating is kept as its number's text."""
    column, value = first_value(row, "label", "rating")
    if value is None:
        raise ValueError("no label or rating; give a label (liked, disliked, seen, ...) or a numeric rating")
    text = as_text(value).lower()
    if column == "label" and not isinstance(value, int | float):
        text = LABEL_SYNONYMS.get(text, text)
        if text in LABEL_WEIGHTS:
            return column, text
    try:
        number = parse_number(value, "")
    except ValueError:
        raise ValueError(f"{value!r} is not a known label or a number; use one of "
                         f"{', '.join(LABEL_WEIGHTS)} or a numeric rating") from None
    return column, (str(int(number)) if number.is_integer() else repr(number))


def parse_interactions(path: Path, known_item_ids: set[str], problems: _Problems | None = None) -> list[Interaction]:
    """Read and validate interactions; every item id must be in ``known_item_ids``."""
    path = Path(path)
    own = problems is None
    problems = problems or _Problems()
    rows, header = read_rows(path, problems)
    out: list[Interaction] = []
    if _require_columns(path, header, problems, ("user", "user_id"), ("item", "item_id"), ("label", "rating")):
        for line, row in rows:
            before = len(problems.lines)
            ucol, user = first_value(row, "user_id", "user")
            if user is None or not as_text(user):
                problems.add(path, line, ucol, "the user id is missing or empty; every row needs a user")
            icol, item = first_value(row, "item_id", "item")
            if item is None or not as_text(item):
                problems.add(path, line, icol, "the item id is missing or empty; every row needs an item")
            elif as_text(item) not in known_item_ids:
                problems.add(path, line, icol, f"unknown item {as_text(item)!r} (not in the items file); add the "
                             "item to the items file or remove this row")
            label = ""
            try:
                _, label = _parse_label(row)
            except ValueError as exc:
                problems.add(path, line, "label", str(exc))
            ts = None
            try:
                ts = parse_timestamp(row.get("timestamp"))
            except ValueError as exc:
                problems.add(path, line, "timestamp", str(exc))
            ctx = row.get("context")
            context = "" if ctx in (None, "") else (ctx if isinstance(ctx, str) else json.dumps(ctx, sort_keys=True))
            if len(problems.lines) == before:
                out.append(Interaction(as_text(user), as_text(item), label, ts, context))
    if own:
        problems.raise_if_any()
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def import_catalog(
    items_path: Path, out_dir: Path, interactions_path: Path | None = None, *, name: str = "imported"
) -> ImportReport:
    """Validate both files completely, then write the catalog atomically to ``out_dir``.

    Raises ``InputError`` listing the bad rows (with line numbers) and writes nothing when
    any row is invalid.
    """
    problems = _Problems()
    items = parse_items(Path(items_path), problems)
    interactions: list[Interaction] = []
    if interactions_path is not None:
        interactions = parse_interactions(Path(interactions_path), {it.item_id for it in items}, problems)
    problems.raise_if_any()
    if not items:
        raise InputError(f"{Path(items_path).name}: no items to import; add at least one row")
    if all(it.popularity == 0.0 for it in items) and interactions:
        counts = Counter(i.item_id for i in interactions)
        items = [replace(it, popularity=float(counts.get(it.item_id, 0))) for it in items]
    meta = {
        "name": name,
        "source": "user import",
        "files": {"items": Path(items_path).name, "items_sha256": _sha256(Path(items_path))},
        "licence": "as provided by the data owner",
        "importer": "tools/catalog/importers.py",
    }
    if interactions_path is not None:
        meta["files"].update({"interactions": Path(interactions_path).name,
                              "interactions_sha256": _sha256(Path(interactions_path))})
    write_catalog(Path(out_dir), items, interactions, meta)
    catalog = Catalog(tuple(items), tuple(interactions), name=name, meta=meta)
    stats = catalog.stats()
    return ImportReport(
        out_dir=str(out_dir), name=name, version=catalog.version, items=len(items),
        interactions=len(interactions), users=stats["users"], labels=stats["interaction_labels"],
        items_with_genres=stats["items_with_genres"], items_with_tags=stats["items_with_tags"],
        attribute_columns=tuple(sorted({k for it in items for k in it.attributes})),
    )


def iter_error_lines(exc: InputError) -> Iterator[str]:
    """The individual ``file:line: ...`` lines of an import error (for UIs that list them)."""
    for line in str(exc).splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith(("...", "Fix these")):
            yield line
