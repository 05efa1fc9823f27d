"""Which films go last on a slate: the ones off the tone of the wish (``build_slate``'s ``off_tone``).

Why a module of its own: each test says of one film whether it goes after the others of its group
-- a genre only the hated films have, a parody nobody asked for, a film without genres under a
"not X" wish -- and the slate (agent/turn/slate.py) only applies them; the rules and the evidence
behind each live here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent.turn.film_genres import film_genres
from agent.turn.genre_fit import TONE_GENRES, broad_genres

#: genre words the catalog's CMU and Wikipedia genres use for a spoof
_PARODY = ("parody", "spoof")


def is_parody(item: Any) -> bool:
    """A comedy that spoofs a genre or a film ("Spaceballs", "Scary Movie"), by the catalog's own genres.

    Why the slate needs it: ReDial seekers who talk about Alien are often offered Spaceballs, so the
    ranker puts it first for "I loved Alien"; a parody is not "like" the film it spoofs for someone
    who asked for no comedy (``build_slate``'s ``off_tone``)."""
    attrs = getattr(item, "attributes", None) or {}
    labels = [str(g).lower() for g in (*(attrs.get("cmu_genres") or ()), *(attrs.get("wiki_genres") or ()))]
    return "comedy" in item.genres and any(w in g for g in labels for w in _PARODY)


#: action, adventure and thriller each tag about a quarter of the catalog's films, mostly beside a
#: genre that says more: a hated film's such tag is not what the user hated (``hated_genres``)
SECONDARY_GENRE_SHARE = 0.25
def hated_genres(cat: Any, hated: Sequence[str], liked: Sequence[str], asked: Sequence[str]) -> Callable[[str], bool] | None:
    """Whether a film has a genre only the films the user hated have (None: no such genre).

    Why: "I hated La La Land but loved Whiplash" showed The Greatest Showman: both liked and hated films
    are dramas about music, and what sets the hated one apart -- the musical -- is what the user turned
    down. Genres a liked film shares, asked genres and broad ones (drama, on half the catalog) say
    nothing of the dislike. The slate puts such films after the others (``build_slate``'s ``off_tone``).
    Nor do the common secondary tags (``SECONDARY_GENRE_SHARE``): "I loved Alien but hated Prometheus"
    put Aliens, Predator and The Thing after Alien Dead and Creature, because Prometheus is also
    tagged action and thriller. A tone (``TONE_GENRES``: comedy, horror, musical ...) counts however
    common: "I hated The Hangover" is about the comedy.
    """
    bad = {g.lower() for i in hated if i in cat for g in film_genres(cat, i)}
    if not bad:
        return None
    bad -= {g.lower() for i in liked if i in cat for g in film_genres(cat, i)}
    bad -= {g.lower() for g in asked} | broad_genres(cat)
    bad -= {g for g in bad if g not in TONE_GENRES and cat.genre_shares.get(g, 0.0) > SECONDARY_GENRE_SHARE}
    if not bad:
        return None
    return lambda item_id: bool(bad & {g.lower() for g in cat.get(item_id).genres})


def parodies_unwished(req: Any, moods: Sequence[str], cat: Any) -> Callable[[str], bool] | None:
    """Parodies go last unless the wish has comedy in it (asked for, a funny mood, a liked comedy)."""
    if "comedy" in {g.lower() for g in req.genres_include} or "funny" in moods or any(
            "comedy" in cat.get(i).genres for i in req.liked if i in cat):
        return None
    return lambda i: is_parody(cat.get(i))


def genres_unknown(cat: Any, excluded: Sequence[str]) -> Callable[[str], bool] | None:
    """Whether a film has no genres in the catalog, when the request rules genres out (None otherwise).

    Why: a film without genres passes every "not X" filter. "I loved Spirited Away", then "more like that
    but not animated", listed two Naruto films (anime, no genres in the catalog) third and fifth. Such
    films go after those known to be none of the excluded genres (``build_slate``'s ``off_tone``).
    """
    if not excluded:
        return None
    return lambda item_id: not cat.get(item_id).genres


def either(*tests: Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    """True where any of ``tests`` is (None ones left out; None when all are)."""
    got = [t for t in tests if t is not None]
    if not got:
        return None
    return got[0] if len(got) == 1 else (lambda item_id: any(t(item_id) for t in got))
