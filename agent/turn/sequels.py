"""The films of a series the user named without titles: "I loved The Matrix but hated the sequels".

Why a stage of its own, after understanding: the parser reads words only (it sets
``StateUpdate.sequels_disliked``); which films are The Matrix's sequels is a catalog question.
The catalog has no franchise table, so kin are the films sharing a franchise token with the liked
film (``agent.turn.franchise.film_kin``: "Toy Story 3" and "Toy Story", "Aliens" and "Alien",
"The Matrix Reloaded" and "The Matrix" by title, Return of the Jedi and Star Wars by the series
Wikipedia names) that came out after it.

A series turned down by name ("a Tom Cruise movie but not Mission Impossible", "no Star Wars movies")
is the whole series, not only the film of that title (``with_series_ruled_out``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent.turn.franchise import film_kin
from agent.turn.state_update import StateUpdate, TitleRef

#: at most this many sequels per liked film (a franchise token such as "batman" spans decades of films)
MAX_SEQUELS = 8
#: at most this many films of a series turned down by name ("not Batman": 40-odd catalog films)
MAX_SERIES_OUT = 40


def sequels_of(item_ids: Iterable[str], catalog: Any) -> list[TitleRef]:
    """The catalog's later films of each item's series, nearest in time first, without the items themselves."""
    ids = [i for i in dict.fromkeys(item_ids) if i in catalog]
    out: dict[str, TitleRef] = {}
    for item_id in ids:
        film = catalog.get(item_id)
        tokens = film_kin(film)
        if not tokens or not film.year:
            continue
        kin = [it for it in catalog.items if it.item_id not in ids and it.year and it.year > film.year
               and film_kin(it) & tokens]
        for it in sorted(kin, key=lambda it: it.year)[:MAX_SEQUELS]:
            out.setdefault(it.item_id, TitleRef(it.item_id, "the sequels", it.title))
    return list(out.values())


def with_sequels_disliked(u: StateUpdate, liked_before: Iterable[str], catalog: Any) -> StateUpdate:
    """``u`` with the sequels it dislikes among its disliked films (of the films it likes, else of those
    liked earlier in the dialogue); ``u`` itself when it dislikes none or none are in the catalog."""
    if not u.sequels_disliked:
        return u
    anchors = [r.item_id for r in (*u.liked, *u.more_like)] or list(liked_before)
    placed = {r.item_id for r in (*u.liked, *u.more_like, *u.disliked)}
    sequels = [r for r in sequels_of(anchors, catalog) if r.item_id not in placed]
    if not sequels:
        return u
    return u.with_(disliked=u.disliked + tuple(sequels), act="recommend" if u.act == "chit_chat" else u.act)


#: the user turns a whole series down: "not X", "no X", "except X" before the title, or "X movies" after it
_SERIES_BEFORE = re.compile(r"\b(?:not|no|except|without|other than|apart from|anything but)\s+(?:the\s+|any\s+|more\s+)?$",
                            re.I)
_SERIES_AFTER = re.compile(r"^\s*(?:movies|films|series|franchise|ones|sequels)\b", re.I)


def named_as_series(surface: str, text: str, *, negated: bool = False) -> bool:
    """Whether ``text`` turns the series ``surface`` names down ("not X", "no X movies", "except X").
    ``negated``: only a mention after "not", "no", "except" counts ("X movies" alone may be loved)."""
    return any(_SERIES_BEFORE.search(text[: m.start()]) or (not negated and _SERIES_AFTER.match(text[m.end():]))
               for m in re.finditer(re.escape(surface), text, re.I))


def with_series_ruled_out(u: StateUpdate, text: str, catalog: Any) -> StateUpdate:
    """``u`` with every film of a series it turns down by name among its disliked films.

    Why: "recommend a movie with Tom Cruise but not Mission Impossible" showed two Mission:
    Impossible sequels; the user named the series, and only its first film was ruled out. A title with
    a sequel number ("I hated Alien 3") or without such words ("I hated Alien") stays one film.

    The series of a film the message likes, turned down in words of their own ("something like Star
    Wars but no Star Wars movies"), is left out instead (``StateUpdate.left_out``): the liked film stays
    the anchor, and its series goes without counting as disliked or mentioned (disliked films push their
    look-alikes down the ranking, and a Star Wars fan's look-alikes are what was asked for).
    Kin are taken most mentioned first, at most ``MAX_SERIES_OUT`` (a token such as "batman" spans
    decades of films, Batman Begins among the first).
    """
    placed = {r.item_id for r in (*u.liked, *u.more_like, *u.disliked)}
    added: dict[str, dict[str, TitleRef]] = {"disliked": {}, "left_out": {}}
    wished = [r for r in (*u.liked, *u.more_like) if named_as_series(r.surface, text, negated=True)]
    for ref in (*u.disliked, *wished):
        if ref.item_id not in catalog or re.search(r"\d", ref.surface):
            continue
        tokens = film_kin(catalog.get(ref.item_id))
        if not tokens or not (ref in wished or named_as_series(ref.surface, text)):
            continue
        kin = sorted((it for it in catalog.items if it.item_id not in placed and film_kin(it) & tokens),
                     key=lambda it: -it.popularity)
        bucket = added["left_out" if ref in wished else "disliked"]
        for it in kin[:MAX_SERIES_OUT]:
            bucket.setdefault(it.item_id, TitleRef(it.item_id, ref.surface, it.title))
    if not any(added.values()):
        return u
    return u.with_(disliked=u.disliked + tuple(added["disliked"].values()),
                   left_out=u.left_out + tuple(r for i, r in added["left_out"].items() if i not in added["disliked"]))
