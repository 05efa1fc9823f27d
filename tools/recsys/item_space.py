"""The catalog as arrays: one row per item, in catalog order.

Why arrays: a ranker scores every candidate of every request; looking items up one by
one through ``Catalog.get`` would cost more than the model. Genres become a multi-hot
matrix, people a lower-cased set per row, and content vectors (plot text, when the
catalog ships them) a normalised matrix, so each feature is one vectorised expression.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from tools.catalog.catalog import Catalog, Item
from tools.catalog.movie_kinds import KINDS, kinds_of
from tools.text import normalise_name

#: two plots are close when more alike than this share of random pairs of films are (``ItemSpace.close_story``)
CLOSE_STORY_PERCENTILE = 90.0
CLOSE_STORY_PAIRS = 20_000
CLOSE_STORY_MIN_FILMS = 200
#: the cosine a small catalog's plots must pass (about the 75th percentile of random pairs of the demo catalog)
CLOSE_STORY_DEFAULT = 0.3

_PLACEHOLDER = re.compile(r"^\s*(untitled\b|redial movie\b|\W*$)", re.I)


def recommendable(item: Item) -> bool:
    """``Item.is_recommendable``, and never a placeholder title ("Untitled ReDial movie …") even when an
    imported catalog did not flag it."""
    return item.is_recommendable and not _PLACEHOLDER.match(item.title or "")


def item_people(item: Item) -> tuple[str, ...]:
    """Directors, cast and source authors (``Item.people``), normalised (empty when the catalog has none)."""
    return tuple(dict.fromkeys(normalise_name(n) for n in item.people if n.strip()))


def _kind_masks(items: Sequence[Item]) -> dict[str, np.ndarray]:
    masks = {name: np.zeros(len(items), dtype=bool) for name in KINDS}
    for n, it in enumerate(items):
        for name in kinds_of(it):
            masks[name][n] = True
    return masks


@dataclass
class ItemSpace:
    ids: list[str]
    index: dict[str, int]
    years: np.ndarray  # float, nan when unknown
    popularity: np.ndarray  # catalog popularity (mention counts)
    genre_names: list[str]
    genres: np.ndarray  # (n_items, n_genres) float32 multi-hot
    people: list[tuple[str, ...]]
    recommendable: np.ndarray  # bool
    vectors: np.ndarray | None  # (n_items, d) float32, unit rows (zeros where unknown)
    titles: list[str]
    #: the catalog's own genres (tags only for a film the catalog gives none): what a film must have to meet a
    #: *required* genre. ``genres`` also counts tags that name a genre, which is right for ruling a film out
    #: ("no horror" must catch Annabelle 2, tagged horror) but too loose for ruling one in (The Big Sick is
    #: tagged "family" by people who talked about it; it is not a family film)
    genres_own: np.ndarray | None = None
    #: film kind (``movie_kinds.KINDS``: "heist", "psychological thriller") -> bool per item
    kinds: dict[str, np.ndarray] = field(default_factory=dict)
    #: person -> the rows of the films they are in (built on first use): a request naming people is
    #: answered by a few dictionary lookups instead of one set intersection per catalog film
    _people_rows: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def from_catalog(cls, catalog: Catalog, vectors: tuple[Sequence[str], np.ndarray] | None = None) -> ItemSpace:
        items = list(catalog.items)
        ids = [it.item_id for it in items]
        index = {i: n for n, i in enumerate(ids)}
        genre_names = sorted({normalise_name(g) for it in items for g in it.genres if g})
        gidx = {g: n for n, g in enumerate(genre_names)}
        genres = np.zeros((len(items), len(genre_names)), dtype=np.float32)
        own = np.zeros_like(genres)
        for n, it in enumerate(items):
            # a tag that is a genre name counts as that genre: "Annabelle 2" has no catalog genre,
            # but the people who talked about it tagged it horror -- and "no horror" must rule it out
            for g in (*it.genres, *it.tags):
                if (j := gidx.get(normalise_name(g))) is not None:
                    genres[n, j] = 1.0
            for g in it.genres:
                if (j := gidx.get(normalise_name(g))) is not None:
                    own[n, j] = 1.0
        bare = own.sum(axis=1) == 0
        own[bare] = genres[bare]
        years = np.array([float(it.year) if it.year else np.nan for it in items], dtype=np.float64)
        pop = np.array([float(it.popularity or 0.0) for it in items], dtype=np.float64)
        mat = None
        if vectors is not None:
            vids, vmat = vectors
            mat = np.zeros((len(items), vmat.shape[1]), dtype=np.float32)
            for vi, v in zip(vids, vmat, strict=True):
                if (n := index.get(str(vi))) is not None:
                    mat[n] = v
            norms = np.linalg.norm(mat, axis=1, keepdims=True)
            mat = np.divide(mat, norms, out=np.zeros_like(mat), where=norms > 0)
        return cls(ids, index, years, pop, genre_names, genres, [item_people(it) for it in items],
                   np.array([recommendable(it) for it in items], dtype=bool), mat,
                   [it.display_title for it in items], own, _kind_masks(items))

    @classmethod
    def load(cls, catalog: Catalog, catalog_dir: Path | None) -> ItemSpace:
        """With the catalog's shipped content vectors when there are any."""
        vectors = None
        if catalog_dir is not None:
            try:
                from tools.retrieval.item_vectors import load_item_vectors

                vectors = load_item_vectors(catalog_dir)
            except (ImportError, FileNotFoundError):
                vectors = None
        return cls.from_catalog(catalog, vectors)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def close_story(self) -> float:
        """The cosine above which two films' plot vectors are close: the ``CLOSE_STORY_PERCENTILE``th
        percentile over random pairs of films (a fixed sample). Why not a fixed number: what a cosine means
        depends on the texts -- once the films' own titles left the vector texts, every opening read "the
        film is a ... film", random pairs rose from .21 to .25 (median), and 0.3 let "its story is close to
        Amélie" onto Friday the 13th. inf without vectors; ``CLOSE_STORY_DEFAULT`` for a catalog of fewer
        than ``CLOSE_STORY_MIN_FILMS`` films with vectors, whose random pairs say little."""
        if self.vectors is None:
            return float("inf")
        rows = np.flatnonzero(np.abs(self.vectors).sum(axis=1) > 0)
        if len(rows) < CLOSE_STORY_MIN_FILMS:
            return CLOSE_STORY_DEFAULT if len(rows) >= 2 else float("inf")
        rng = np.random.default_rng(0)
        a, b = rng.choice(rows, CLOSE_STORY_PAIRS), rng.choice(rows, CLOSE_STORY_PAIRS)
        keep = a != b
        sims = (self.vectors[a[keep]] * self.vectors[b[keep]]).sum(axis=1)
        return float(np.percentile(sims, CLOSE_STORY_PERCENTILE))

    def rows(self, item_ids: Sequence[str]) -> np.ndarray:
        """Row numbers of the ids the catalog knows (unknown ids are dropped)."""
        return np.array([self.index[i] for i in item_ids if i in self.index], dtype=np.int64)

    def people_counts(self, names: Collection[str]) -> np.ndarray:
        """How many of ``names`` (normalised) each item has among its cast and directors."""
        if self._people_rows is None:
            index: dict[str, list[int]] = {}
            for row, people in enumerate(self.people):
                for name in people:
                    index.setdefault(name, []).append(row)
            self._people_rows = {name: np.array(rows, dtype=np.int64) for name, rows in index.items()}
        counts = np.zeros(len(self.ids), dtype=np.float64)
        for name in set(names):
            if (rows := self._people_rows.get(name)) is not None:
                counts[rows] += 1.0
        return counts

    def with_people(self, names: Collection[str]) -> np.ndarray:
        """Bool per item: has any of ``names`` among its cast and directors."""
        return self.people_counts(names) > 0

    def kind_mask(self, names: Collection[str], *, any_of: bool = False) -> np.ndarray | None:
        """Bool per item: is any of the film kinds ``names`` -- and, when they name both, of any of their
        origins and any of their other kinds ("a British gangster movie" is both; "a foreign film, maybe
        Korean" either); ``any_of``: any of them at all (what a user rules out). None when none of them is
        known here."""
        if any_of:
            masks = [self.kinds[n] for n in names if n in self.kinds]
            return np.logical_or.reduce(masks) if masks else None
        groups = []
        for origin in (True, False):
            masks = [self.kinds[n] for n in names if n in self.kinds and KINDS[n].is_origin is origin]
            if masks:
                groups.append(np.logical_or.reduce(masks))
        return np.logical_and.reduce(groups) if groups else None

    def genre_columns(self, names: Sequence[str]) -> np.ndarray:
        wanted = {normalise_name(n) for n in names}
        return np.array([j for j, g in enumerate(self.genre_names) if g in wanted], dtype=np.int64)
