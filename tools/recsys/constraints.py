"""Hard constraints, applied once, to every candidate of every request.

Why one place: a film the user ruled out (a genre they hate, a year outside what they
asked, a person they do not want, a title already named or shown, a placeholder row)
must never reach a slate, whichever source nominated it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tools.catalog.movie_genres import genre_parts
from tools.recsys.item_space import ItemSpace
from tools.recsys.request import RecRequest

#: the positive restrictions a back-off may drop, in this order, when too few films satisfy them
#: ("films with Dolly Parton" allows a handful); exclusions (mentioned, seen, disliked, banned
#: genres and people, placeholders) are never dropped. A film kind goes after the people: "a western
#: with Clint Eastwood", then "a spaghetti western" once his westerns were all shown is a spaghetti
#: western without him, not any Eastwood film; "an 80s heist with Sean Connery" is an 80s heist
RELAXABLE = (("people_include",), ("kinds",), ("year_min", "year_max"))
#: the relaxable fields that are tuples (dropped as ``()``; the others as None)
_TUPLE_FIELDS = ("kinds", "people_include")


def allowed_mask(req: RecRequest, space: ItemSpace) -> np.ndarray:
    """Bool per catalog item: may it be recommended for this request?"""
    ok = space.recommendable.copy()
    if req.exclude:
        ok[space.rows(list(req.exclude))] = False
    if len(req.disliked):
        ok[space.rows(req.disliked)] = False
    if req.year_min is not None or req.year_max is not None:
        years = space.years
        known = ~np.isnan(years)
        lo = req.year_min if req.year_min is not None else -np.inf
        hi = req.year_max if req.year_max is not None else np.inf
        ok &= known & (np.nan_to_num(years, nan=0) >= lo) & (np.nan_to_num(years, nan=0) <= hi)
    for spec in req.genres_exclude:  # a compound ("comedy+romance") rules out films having every part
        parts = genre_parts(spec)
        cols = space.genre_columns(parts)
        if len(cols) == len(parts):
            ok &= space.genres[:, cols].sum(axis=1) < len(parts)
    if req.genres_require:  # ruled in by the catalog's own genres, not by what people tagged it
        cols = space.genre_columns(req.genres_require)
        own = space.genres if space.genres_own is None else space.genres_own
        ok &= own[:, cols].sum(axis=1) > 0 if len(cols) else False
    if req.people_exclude:
        ok &= ~space.with_people(req.people_exclude)
    if req.people_include:
        ok &= space.with_people(req.people_include)
    if req.kinds and (kind := space.kind_mask(req.kinds)) is not None:
        ok &= kind
    if req.kinds_exclude and (kind := space.kind_mask(req.kinds_exclude, any_of=True)) is not None:
        ok &= ~kind
    return ok


def genre_mask(req: RecRequest, space: ItemSpace) -> np.ndarray | None:
    """Items having at least one requested genre (None when no genre was asked for)."""
    cols = space.genre_columns(req.genres_include)
    if not len(cols):
        return None
    return space.genres[:, cols].sum(axis=1) > 0


def relaxations(req: RecRequest) -> list[RecRequest]:
    """``req`` with ever more of its positive restrictions (``RELAXABLE``) dropped; [] when it has none.

    Why: a list shorter than asked for is a worse answer than the strict matches followed by
    the best films that break only a positive wish (ReDial validation: 11% of requests named a
    person, whose films alone left the list at 47 of 50 on average). The strict ones always come first.
    """
    out: list[RecRequest] = []
    cur = req
    for fields in RELAXABLE:
        if any(getattr(cur, f) not in (None, ()) for f in fields):
            cur = replace(cur, **{f: (() if f in _TUPLE_FIELDS else None) for f in fields})
            out.append(cur)
    return out
