"""The films of a series the user named without titles: "I loved The Matrix but hated the sequels".

Why a stage of its own, after understanding: the parser reads words only (it sets
``StateUpdate.sequels_disliked``); which films are The Matrix's sequels is a catalog question.
The catalog has no franchise table, so kin are the films sharing a franchise token with the liked
film (``agent.turn.slate.franchise_tokens``: "Toy Story 3" and "Toy Story", "Aliens" and "Alien",
"The Matrix Reloaded" and "The Matrix") that came out after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent.turn.slate import franchise_tokens
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
