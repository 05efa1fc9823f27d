"""The films of a series the user named without titles: "I loved The Matrix but hated the sequels".

Why a stage of its own, after understanding: the parser reads words only (it sets
``StateUpdate.sequels_disliked``); which films are The Matrix's sequels is a catalog question.
The catalog has no franchise table, so kin are the films sharing a franchise token with the liked
film (``agent.turn.franchise.franchise_tokens``: "Toy Story 3" and "Toy Story", "Aliens" and "Alien",
"The Matrix Reloaded" and "The Matrix") that came out after it.

A series turned down by name ("a Tom Cruise movie but not Mission Impossible", "no Star Wars movies")
is the whole series, not only the film of that title (``with_series_ruled_out``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent.turn.franchise import franchise_tokens
from agent.turn.state_update import StateUpdate, TitleRef

#: at most this many sequels per liked film (a franchise token such as "batman" spans decades of films)
MAX_SEQUELS = 8


def sequels_of(item_ids: Iterable[str], catalog: Any) -> list[TitleRef]:
    """The catalog's later films of each item's series, nearest in time first, without the items themselves."""
    ids = [i for i in dict.fromkeys(item_ids) if i in catalog]
    out: dict[str, TitleRef] = {}
    for item_id in ids:
        film = catalog.get(item_id)
        tokens = franchise_tokens(film.title)
        if not tokens or not film.year:
            continue
        kin = [it for it in catalog.items if it.item_id not in ids and it.year and it.year > film.year
               and franchise_tokens(it.title) & tokens]
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


def named_as_series(surface: str, text: str) -> bool:
    """Whether ``text`` turns the series ``surface`` names down ("not X", "no X movies", "except X")."""
    return any(_SERIES_BEFORE.search(text[: m.start()]) or _SERIES_AFTER.match(text[m.end():])
               for m in re.finditer(re.escape(surface), text, re.I))


def with_series_ruled_out(u: StateUpdate, text: str, catalog: Any) -> StateUpdate:
    """``u`` with every film of a series it turns down by name among its disliked films.

    Why: "recommend a movie with Tom Cruise but not Mission Impossible" showed two Mission:
    Impossible sequels; the user named the series, and only its first film was ruled out. A title with
    a sequel number ("I hated Alien 3") or without such words ("I hated Alien") stays one film.
    """
    placed = {r.item_id for r in (*u.liked, *u.more_like, *u.disliked)}
    added: dict[str, TitleRef] = {}
    for ref in u.disliked:
        if ref.item_id not in catalog or re.search(r"\d", ref.surface):
            continue
        tokens = franchise_tokens(catalog.get(ref.item_id).title)
        if not tokens or not named_as_series(ref.surface, text):
            continue
        kin = [it for it in catalog.items if it.item_id not in placed and franchise_tokens(it.title) & tokens]
        for it in kin[: 2 * MAX_SEQUELS]:
            added.setdefault(it.item_id, TitleRef(it.item_id, ref.surface, it.title))
    return u.with_(disliked=u.disliked + tuple(added.values())) if added else u
