"""Search filters: validated once, applied as an in-memory row mask (optionally a Chroma ``where``).

Why a mask: every constraint (year, popularity, tags, genres, people, exclusions) is checked against
precomputed numpy arrays (``CatalogFacets``) in well under a millisecond, for the vector and
the lexical candidates alike. ``CatalogFacets.where`` also renders the numeric part as a Chroma
``where`` clause (``ChromaRetriever(filter_mode="where")``); Chroma evaluates that over every
row per query, so it is the slower choice at scale. Filters that include a genre or tag the
catalog does not have are refused with suggestions, because an agent that typos "Horor" should hear so instead of getting nothing.

People (``people``: cast and directors, ``Item.attributes``) match case- and accent-insensitively,
on whole names or on a run of whole words of a name ("spielberg" finds "Steven Spielberg"), so an
agent can pass what the user typed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.catalog.catalog import Item
from tools.catalog.movie_genres import genre_parts
from tools.errors import InputError
from tools.text import normalise_name

#: Popularity bands, as catalog popularity quantile ranges [lo, hi).
POPULARITY_BANDS: dict[str, tuple[float, float]] = {
    "niche": (0.0, 0.5),
    "known": (0.5, 0.9),
    "popular": (0.9, 1.0),
}


def _norm(label: str) -> str:
    """Case and runs of spaces only: a genre or tag label keeps its punctuation and accents, unlike
    ``tools.text.normalise_name`` ("sci-fi" stays "sci-fi", not "sci fi")."""
    return " ".join(str(label).lower().split())


def _people(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        if not isinstance(v, str) or not normalise_name(v):
            raise InputError(f"people entries must be names (got {v!r}); e.g. people=['Tom Hanks']")
        out.append(normalise_name(v))
    return tuple(dict.fromkeys(out))


def _labels(values: Iterable[str] | str | None, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise InputError(f"{what} entries must be non-empty strings (got {v!r}); e.g. {what}=['horror']")
        out.append(_norm(v))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class SearchFilters:
    """Constraints on search results; every field is optional.

    ``tags_include``: items must carry ALL these tags; ``genres_include``: items must have ANY of
    these genres (genres are alternatives, tags are requirements); ``*_exclude``: none of these;
    ``people``: ANY of these names is in the item's cast or directors.
    Year bounds are inclusive and drop items with an unknown year. ``popularity_band`` is one of
    ``POPULARITY_BANDS`` (catalog quantiles) and combines with ``popularity_min``/``max``.
    Matching is case-insensitive.
    """

    year_min: int | None = None
    year_max: int | None = None
    tags_include: tuple[str, ...] = ()
    tags_exclude: tuple[str, ...] = ()
    genres_include: tuple[str, ...] = ()
    genres_exclude: tuple[str, ...] = ()
    popularity_min: float | None = None
    popularity_max: float | None = None
    popularity_band: str | None = None
    people: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("year_min", "year_max"):
            v = getattr(self, name)
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, int | np.integer | str):
                    raise InputError(f"{name} must be a year like 1995 (got {v!r})")
                try:
                    year = int(v)
                except ValueError:
                    raise InputError(f"{name} must be a year like 1995 (got {v!r})") from None
                if not 1800 <= year <= 2100:
                    raise InputError(f"{name}={year} is not a plausible year; use a value between 1800 and 2100")
                object.__setattr__(self, name, year)
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise InputError(
                f"year_min={self.year_min} is after year_max={self.year_max}; swap them or drop one bound"
            )
        for name in ("popularity_min", "popularity_max"):
            v = getattr(self, name)
            if v is not None:
                try:
                    object.__setattr__(self, name, float(v))
                except (TypeError, ValueError):
                    raise InputError(f"{name} must be a number (got {v!r})") from None
        if (
            self.popularity_min is not None
            and self.popularity_max is not None
            and self.popularity_min > self.popularity_max
        ):
            raise InputError(
                f"popularity_min={self.popularity_min} exceeds popularity_max={self.popularity_max}; swap them"
            )
        if self.popularity_band is not None:
            band = _norm(self.popularity_band)
            if band not in POPULARITY_BANDS:
                raise InputError(
                    f"unknown popularity band {self.popularity_band!r}; use one of {', '.join(POPULARITY_BANDS)}"
                )
            object.__setattr__(self, "popularity_band", band)
        for name in ("tags_include", "tags_exclude", "genres_include", "genres_exclude"):
            object.__setattr__(self, name, _labels(getattr(self, name), name))
        object.__setattr__(self, "people", _people(self.people))
        if set(self.tags_include) & set(self.tags_exclude):
            raise InputError(f"tags {sorted(set(self.tags_include) & set(self.tags_exclude))} are both included and excluded")
        if set(self.genres_include) & set(self.genres_exclude):
            raise InputError(
                f"genres {sorted(set(self.genres_include) & set(self.genres_exclude))} are both included and excluded"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SearchFilters:
        """Build from a JSON-ish dict (tool arguments); unknown keys are refused with the valid ones."""
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise InputError(f"filters must be an object like {{'year_min': 1990}} (got {type(data).__name__})")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown filter(s) {unknown}; valid filters are {sorted(known)}")
        return cls(**{k: v for k, v in data.items() if v is not None})

    @property
    def is_empty(self) -> bool:
        return self == SearchFilters()

    @property
    def needs_mask(self) -> bool:
        """True when some constraint is checked outside Chroma (tags/genres/people)."""
        return bool(self.tags_include or self.tags_exclude or self.genres_include or self.genres_exclude
                    or self.people)


class CatalogFacets:
    """Numpy arrays over the catalog (row order) for fast filter masks and ``where`` clauses."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.size = len(items)
        self.years = np.array([it.year if it.year else np.nan for it in items], dtype=np.float64)
        self.popularity = np.array([it.popularity for it in items], dtype=np.float64)
        tag_rows: dict[str, list[int]] = defaultdict(list)
        genre_rows: dict[str, list[int]] = defaultdict(list)
        self.tag_names: dict[str, str] = {}
        self.genre_names: dict[str, str] = {}
        for row, it in enumerate(items):
            for t in dict.fromkeys(_norm(t) for t in it.tags):
                tag_rows[t].append(row)
            for g in dict.fromkeys(_norm(g) for g in it.genres):
                genre_rows[g].append(row)
            for t in it.tags:
                self.tag_names.setdefault(_norm(t), t)
            for g in it.genres:
                self.genre_names.setdefault(_norm(g), g)
        self.tag_rows = {k: np.asarray(v, dtype=np.int64) for k, v in tag_rows.items()}
        self.genre_rows = {k: np.asarray(v, dtype=np.int64) for k, v in genre_rows.items()}
        person_rows: dict[str, list[int]] = defaultdict(list)
        for row, it in enumerate(items):
            names = it.people
            for n in dict.fromkeys(normalise_name(n) for n in names):
                if n:
                    person_rows[n].append(row)
        self.person_rows = {k: np.asarray(v, dtype=np.int64) for k, v in person_rows.items()}

    def people_rows(self, name: str) -> np.ndarray:
        """Rows whose cast/directors hold ``name`` (normalised) as a whole name or a run of its words."""
        if name in self.person_rows:
            exact = [self.person_rows[name]]
        else:
            exact = []
        padded = f" {name} "
        partial = [rows for n, rows in self.person_rows.items() if n != name and padded in f" {n} "]
        found = exact + partial
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def _check_known(self, labels: Sequence[str], known: dict[str, np.ndarray], what: str) -> None:
        from rapidfuzz import process

        for label in labels:
            if label not in known:
                close = [m[0] for m in process.extract(label, list(known), limit=3, score_cutoff=60)]
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise InputError(f"the catalog has no {what} {label!r}{hint} (list them with `whyrec catalog stats`)")

    def _unknown_person(self, name: str) -> None:
        """Refuse a name nobody in the catalog has, with close names (a typo gets a hint, not nothing)."""
        from rapidfuzz import process

        close = [m[0] for m in process.extract(name, list(self.person_rows), limit=3, score_cutoff=80)]
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        if not self.person_rows:
            hint = "; this catalog has no cast or director data"
        raise InputError(f"no film in the catalog has {name!r} in its cast or directors{hint}")

    def popularity_bounds(self, filters: SearchFilters) -> tuple[float | None, float | None]:
        lo, hi = filters.popularity_min, filters.popularity_max
        if filters.popularity_band is not None and self.size:
            qlo, qhi = POPULARITY_BANDS[filters.popularity_band]
            band_lo = float(np.quantile(self.popularity, qlo)) if qlo > 0 else None
            band_hi = float(np.quantile(self.popularity, qhi)) if qhi < 1 else None
            if band_lo is not None:
                lo = band_lo if lo is None else max(lo, band_lo)
            if band_hi is not None:
                hi = band_hi if hi is None else min(hi, band_hi)
        return lo, hi

    def where(self, filters: SearchFilters) -> dict[str, Any] | None:
        """The Chroma ``where`` clause for the numeric part of ``filters`` (None when unconstrained)."""
        clauses: list[dict[str, Any]] = []
        if filters.year_min is not None:
            clauses.append({"year": {"$gte": filters.year_min}})
        if filters.year_max is not None:
            clauses.append({"year": {"$lte": filters.year_max}})
        lo, hi = self.popularity_bounds(filters)
        if lo is not None:
            clauses.append({"popularity": {"$gte": lo}})
        if hi is not None:
            # the band's upper edge is exclusive so bands do not overlap
            op = "$lt" if filters.popularity_band is not None and hi != filters.popularity_max else "$lte"
            clauses.append({"popularity": {op: hi}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def mask(self, filters: SearchFilters, exclude_rows: Iterable[int] = ()) -> np.ndarray:
        """Boolean row mask of items satisfying ALL of ``filters`` and not in ``exclude_rows``."""
        # unknown *included* labels would silently return nothing, so they are refused;
        # excluding a label no item has is harmless and allowed
        self._check_known(filters.tags_include, self.tag_rows, "tag")
        self._check_known(filters.genres_include, self.genre_rows, "genre")
        m = np.ones(self.size, dtype=bool)
        with np.errstate(invalid="ignore"):
            if filters.year_min is not None:
                m &= self.years >= filters.year_min
            if filters.year_max is not None:
                m &= self.years <= filters.year_max
        lo, hi = self.popularity_bounds(filters)
        if lo is not None:
            m &= self.popularity >= lo
        if hi is not None:
            strict = filters.popularity_band is not None and hi != filters.popularity_max
            m &= (self.popularity < hi) if strict else (self.popularity <= hi)
        for t in filters.tags_include:
            has = np.zeros(self.size, dtype=bool)
            has[self.tag_rows[t]] = True
            m &= has
        if filters.genres_include:
            has = np.zeros(self.size, dtype=bool)
            for g in filters.genres_include:
                has[self.genre_rows[g]] = True
            m &= has
        if filters.people:
            has = np.zeros(self.size, dtype=bool)
            for name in filters.people:
                rows = self.people_rows(name)
                if rows.size == 0:
                    self._unknown_person(name)
                has[rows] = True
            m &= has
        for t in filters.tags_exclude:
            if t in self.tag_rows:
                m[self.tag_rows[t]] = False
        for g in filters.genres_exclude:  # a compound ("comedy+romance"): films having every part
            parts = genre_parts(g)
            if all(p in self.genre_rows for p in parts):
                has_all = np.ones(self.size, dtype=bool)
                for p in parts:
                    has = np.zeros(self.size, dtype=bool)
                    has[self.genre_rows[p]] = True
                    has_all &= has
                m &= ~has_all
        rows = np.fromiter(exclude_rows, dtype=np.int64)
        if rows.size:
            m[rows] = False
        return m
