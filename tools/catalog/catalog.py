"""Typed catalog and interaction data, and the shipped demo catalog.

Why our own dataclasses: every layer above (retrieval, scorers, explanations, UI)
speaks ``Item``/``Interaction``/``Catalog``; no pandas frames or raw dicts cross
module boundaries, so a new importer or dataset only has to produce these.

On-disk catalog format (a directory), also produced by the importers:
- ``items.jsonl`` (optionally ``.gz``): one ``Item`` per line (see ``Item.to_dict``);
- ``interactions.csv`` (optionally ``.gz``): ``user_id,item_id,label,timestamp,context``;
- ``catalog.json``: ``{"name", "version", "source", "licence", ...}``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tools.errors import DataError, NotFoundError

DEMO_CATALOG_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"

#: Interaction labels, and the implicit-feedback weight each one carries.
LABEL_WEIGHTS: dict[str, float] = {"liked": 1.0, "accepted": 1.0, "seen": 0.5, "suggested": 0.0, "disliked": -1.0}


@dataclass(frozen=True, slots=True)
class Item:
    """One catalog item. ``item_id`` is a string everywhere (ReDial ids are numeric strings)."""

    item_id: str
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    popularity: float = 0.0
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def display_title(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def directors(self) -> tuple[str, ...]:
        """Directors from the catalog's item knowledge (Wikipedia for the demo); empty when unknown."""
        return tuple(str(n) for n in self.attributes.get("directors") or ())

    @property
    def cast(self) -> tuple[str, ...]:
        """Credited actors, billing order (at most 8 in the demo catalog); empty when unknown."""
        return tuple(str(n) for n in self.attributes.get("cast") or ())

    @property
    def authors(self) -> tuple[str, ...]:
        """Who wrote the book, play or comic the film is based on (Wikipedia's opening paragraph,
        ``tools.catalog.source_authors``); empty when unknown or not an adaptation."""
        return tuple(str(n) for n in self.attributes.get("authors") or ())

    @property
    def series(self) -> tuple[str, ...]:
        """The film series, earlier films and source characters it belongs with, as named in Wikipedia's
        opening paragraph ("Star Wars" for The Empire Strikes Back; ``tools.catalog.film_series``)."""
        return tuple(str(n) for n in self.attributes.get("series") or ())

    @property
    def studios(self) -> tuple[str, ...]:
        """The studios people ask for by name that made it ("Pixar", "Marvel"; ``tools.catalog.film_studios``)."""
        return tuple(str(n) for n in self.attributes.get("studios") or ())

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone a person constraint or a "with X" question is about: directors, cast, then the
        authors of the source, as credited, without repeats."""
        return tuple(dict.fromkeys((*self.directors, *self.cast, *self.authors)))

    @property
    def keywords(self) -> tuple[str, ...]:
        """Content keywords mined from the plot ("shark", "police chief"); empty when unknown."""
        return tuple(str(k) for k in self.attributes.get("keywords") or ())

    @property
    def is_recommendable(self) -> bool:
        """False for rows that are not a film one could watch (ReDial's untitled placeholders).

        Why a flag and not a deletion: dialogues and interactions still mention those ids, so
        they stay addressable; recommenders must simply never put them on a slate.
        """
        return self.attributes.get("recommendable", True) is not False

    def content_text(self) -> str:
        """The text we embed: title, year, genres, tags, directors, cast (first 4), keywords, description."""
        parts = [self.display_title]
        if self.genres:
            parts.append("Genres: " + ", ".join(self.genres))
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags))
        if self.directors:
            parts.append("Directed by " + ", ".join(self.directors))
        if self.cast:
            parts.append("Starring " + ", ".join(self.cast[:4]))
        if self.keywords:
            parts.append("Keywords: " + ", ".join(self.keywords))
        if self.description:
            parts.append(self.description)
        return ". ".join(parts)

    def content_hash(self) -> str:
        return hashlib.sha1(self.content_text().encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["genres"] = list(self.genres)
        d["tags"] = list(self.tags)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        return cls(
            item_id=str(d["item_id"]),
            title=str(d["title"]),
            year=int(d["year"]) if d.get("year") not in (None, "") else None,
            genres=tuple(d.get("genres") or ()),
            tags=tuple(d.get("tags") or ()),
            popularity=float(d.get("popularity") or 0.0),
            description=str(d.get("description") or ""),
            attributes=dict(d.get("attributes") or {}),
        )


@dataclass(frozen=True, slots=True)
class Interaction:
    """A user-item event. ``label`` is one of ``LABEL_WEIGHTS`` or a numeric rating as text."""

    user_id: str
    item_id: str
    label: str = "liked"
    timestamp: float | None = None
    context: str = ""

    @property
    def weight(self) -> float:
        if self.label in LABEL_WEIGHTS:
            return LABEL_WEIGHTS[self.label]
        try:
            return float(self.label)
        except ValueError:
            return 0.0

    @property
    def is_positive(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class Catalog:
    """Items plus interactions, with a content-derived version string."""

    items: tuple[Item, ...]
    interactions: tuple[Interaction, ...] = ()
    name: str = "catalog"
    meta: dict[str, Any] = field(default_factory=dict)
    #: the directory it was loaded from (None when built in memory); lets the index builder find
    #: files shipped beside the items, such as precomputed ``item_vectors.npz``
    source_dir: Path | None = field(default=None, compare=False)

    @cached_property
    def by_id(self) -> dict[str, Item]:
        return {it.item_id: it for it in self.items}

    def is_recommendable(self, item_id: str) -> bool:
        """True when ``item_id`` is in the catalog and may be recommended (see ``Item.is_recommendable``)."""
        item = self.by_id.get(str(item_id))
        return item is not None and item.is_recommendable

    @cached_property
    def version(self) -> str:
        """Stable hash of the item contents: changes whenever any item's indexed text changes."""
        h = hashlib.sha1()
        for it in sorted(self.items, key=lambda i: i.item_id):
            h.update(it.item_id.encode())
            h.update(it.content_hash().encode())
        return f"{self.name}-{h.hexdigest()[:12]}"

    def get(self, item_id: str) -> Item:
        try:
            return self.by_id[str(item_id)]
        except KeyError:
            raise NotFoundError(
                f"item id {item_id!r} is not in catalog {self.name!r}; look ids up with `whyrec search`"
            ) from None

    def __contains__(self, item_id: object) -> bool:
        return str(item_id) in self.by_id

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def users(self) -> tuple[str, ...]:
        return tuple(sorted({i.user_id for i in self.interactions}))

    @cached_property
    def genre_shares(self) -> dict[str, float]:
        """Each genre's share of the films that have genres (lower-cased), computed once per catalog."""
        return genre_shares(it.genres for it in self.items)

    def stats(self) -> dict[str, Any]:
        labels: dict[str, int] = {}
        for i in self.interactions:
            labels[i.label] = labels.get(i.label, 0) + 1
        with_genres = sum(1 for it in self.items if it.genres)
        with_tags = sum(1 for it in self.items if it.tags)
        return {
            "name": self.name,
            "version": self.version,
            "items": len(self.items),
            "users": len(self.users),
            "interactions": len(self.interactions),
            "interaction_labels": labels,
            "items_with_genres": with_genres,
            "items_with_tags": with_tags,
            "genre_coverage": round(with_genres / len(self.items), 4) if self.items else 0.0,
        }


def genre_shares(genres_per_item: Iterable[Sequence[str]]) -> dict[str, float]:
    """Each genre's share of the items that have genres (lower-cased; items without genres do not count).
    Why: how much a genre says about a film depends on how common it is ("drama" is on half of them)."""
    counts: dict[str, int] = {}
    n = 0
    for genres in genres_per_item:
        n += bool(genres)
        for g in {g.lower() for g in genres}:
            counts[g] = counts.get(g, 0) + 1
    return {g: k / n for g, k in counts.items()} if n else {}


# ---------------------------------------------------------------------------
# Reading and writing the on-disk format
# ---------------------------------------------------------------------------

def _open_text(path: Path, mode: str = "rt") -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8", newline="")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8", newline="")  # noqa: SIM115


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def iter_items_jsonl(path: Path) -> Iterator[Item]:
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield Item.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise DataError(f"{path}:{lineno}: bad item record ({exc}); rebuild with `whyrec data prepare`") from exc


def iter_interactions_csv(path: Path) -> Iterator[Interaction]:
    with _open_text(path) as fh:
        for row in csv.DictReader(fh):
            ts = row.get("timestamp") or None
            yield Interaction(
                user_id=row["user_id"],
                item_id=row["item_id"],
                label=row.get("label") or "liked",
                timestamp=float(ts) if ts else None,
                context=row.get("context") or "",
            )


def load_catalog(path: Path | None = None) -> Catalog:
    """Load a catalog directory (default: the shipped demo catalog)."""
    directory = Path(path) if path is not None else DEMO_CATALOG_DIR
    if not directory.is_dir():
        raise DataError(f"catalog directory {directory} does not exist; run `whyrec data prepare` or fix catalog_path")
    items_path = _find(directory, "items.jsonl")
    if items_path is None:
        raise DataError(f"{directory} has no items.jsonl(.gz); run `whyrec data prepare` to build the catalog")
    meta_path = directory / "catalog.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    inter_path = _find(directory, "interactions.csv")
    items = tuple(iter_items_jsonl(items_path))
    interactions = tuple(iter_interactions_csv(inter_path)) if inter_path else ()
    return Catalog(items=items, interactions=interactions, name=meta.get("name", directory.name), meta=meta,
                   source_dir=directory)


def write_catalog(
    directory: Path,
    items: Sequence[Item],
    interactions: Iterable[Interaction] = (),
    meta: dict[str, Any] | None = None,
    compress: bool = True,
) -> Path:
    """Write atomically: files go to a temp dir first, then replace, so a failure leaves the old catalog."""
    import shutil
    import tempfile

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".catalog-", dir=directory.parent))
    tmp.chmod(0o755)  # mkdtemp makes it 0700; the catalog is meant to be readable like any data dir
    try:
        suffix = ".gz" if compress else ""
        items_path = tmp / f"items.jsonl{suffix}"
        # mtime=0: no timestamp in the gzip header, so rebuilding the same data is byte-identical
        opener = (
            lambda p: io.TextIOWrapper(gzip.GzipFile(p, "wb", compresslevel=9, mtime=0), encoding="utf-8", newline="")
        ) if compress else (
            lambda p: open(p, "w", encoding="utf-8", newline="")  # noqa: SIM115
        )
        with opener(items_path) as fh:
            for it in items:
                fh.write(json.dumps(it.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        with opener(tmp / f"interactions.csv{suffix}") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["user_id", "item_id", "label", "timestamp", "context"])
            for i in interactions:
                w.writerow([i.user_id, i.item_id, i.label, "" if i.timestamp is None else i.timestamp, i.context])
        (tmp / "catalog.json").write_text(json.dumps(meta or {}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if directory.exists():
            # keep non-catalog files (LICENSE, README) that live beside the data
            for extra in directory.iterdir():
                if extra.is_file() and not (tmp / extra.name).exists() and not extra.name.startswith(("items.", "interactions.")):
                    shutil.copy2(extra, tmp / extra.name)
            backup = directory.with_name(directory.name + ".old")
            if backup.exists():
                shutil.rmtree(backup)
            directory.rename(backup)
            tmp.rename(directory)
            shutil.rmtree(backup)
        else:
            tmp.rename(directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return directory
