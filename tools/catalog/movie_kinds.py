"""Kinds of film finer than a genre: "psychological thriller", "heist", "stoner comedy", "coming-of-age".

Why: asked for "a slow-burn psychological thriller", WhyRec listed Die Hard, Insidious and John Wick,
because the wish reduced to the genre "thriller" (1,478 films). A viewer who names a kind means it.
The catalog already knows many kinds: CMU's and Wikipedia's genre labels are kept per film
(``attributes["cmu_genres"]``/``["wiki_genres"]``: 268 psychological thrillers, 85 gangster films,
41 heists), and the plot keywords mined into the catalog name more ("heist", "mobster", "marijuana"),
which matters after 2012, where the Wikipedia labels are broad.

A kind is a *relaxable* wish (``tools.recsys.constraints.RELAXABLE``): the labels are incomplete, so
when too few films carry the kind the list goes on without it (its broad genre is still asked for), and
the reply says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tools.catalog.catalog import Item


@dataclass(frozen=True)
class Kind:
    #: as said back to the user ("(psychological thriller)")
    name: str
    #: the broad genre (``movie_genres.CLEAN_GENRES``) it belongs to, if one: what the list falls back on
    genre: str | None
    #: CMU / Wikipedia genre labels, lower-cased
    labels: frozenset[str]
    #: plot keywords (``Item.keywords``), lower-cased
    keywords: frozenset[str] = frozenset()


def _kind(name: str, genre: str | None, labels: Iterable[str], keywords: Iterable[str] = ()) -> Kind:
    return Kind(name, genre, frozenset(labels), frozenset(keywords))


KINDS: dict[str, Kind] = {k.name: k for k in (
    _kind("psychological thriller", "thriller", ("psychological thriller", "psychological horror")),
    _kind("heist", "crime", ("heist", "caper story"), ("heist", "bank robbery", "robbery", "bank heist")),
    _kind("gangster", "crime", ("gangster film",), ("gangster", "mobster", "mafia", "mob boss", "crime family")),
    _kind("noir", "crime", ("film noir", "noir", "neo-noir", "future noir")),
    _kind("slasher", "horror", ("slasher", "splatter film"), ("slasher",)),
    # not the keyword "zombie": plots name Rob Zombie (his Halloween is no zombie film)
    _kind("zombie", "horror", ("zombie film",), ("zombies", "undead", "zombified", "zombie apocalypse")),
    _kind("haunted house", "horror", ("haunted house film",), ("haunted house", "haunting", "poltergeist")),
    _kind("found footage", "horror", ("found footage",), ("found footage",)),
    _kind("vampire", "horror", (), ("vampire", "vampires")),
    _kind("monster", None, ("creature film", "monster movie", "monster", "natural horror films"), ("monster",)),
    _kind("alien invasion", "science fiction", ("alien film", "alien invasion"), ("alien invasion",)),
    _kind("time travel", None, ("time travel",), ("time travel", "time machine")),
    _kind("dystopian", "science fiction", ("dystopia", "doomsday film", "apocalyptic and post-apocalyptic fiction",
                                           "future noir", "cyberpunk"), ("dystopian", "post-apocalyptic")),
    _kind("space", "science fiction", ("space opera", "space western"),
          ("spaceship", "space station", "astronaut", "spacecraft", "starship")),
    _kind("black comedy", "comedy", ("black comedy",)),
    _kind("satire", "comedy", ("satire", "political satire", "media satire")),
    _kind("stoner comedy", "comedy", ("stoner film",), ("marijuana", "stoner")),
    _kind("mockumentary", "comedy", ("mockumentary",)),
    _kind("screwball comedy", "comedy", ("screwball comedy",)),
    _kind("slapstick", "comedy", ("slapstick",)),
    _kind("gross-out comedy", "comedy", ("gross out", "gross-out film")),
    _kind("buddy", None, ("buddy film", "buddy cop", "female buddy film"), ("buddy cop",)),
    _kind("coming-of-age", None, ("coming of age", "coming-of-age film"), ("coming of age", "coming-of-age")),
    _kind("road movie", None, ("road movie", "road-horror"), ("road trip",)),
    _kind("courtroom", "drama", ("courtroom drama", "legal drama", "legal", "courtroom comedy", "law & crime"),
          ("courtroom",)),
    _kind("political thriller", "thriller", ("political thriller", "conspiracy fiction"), ("conspiracy",)),
    _kind("erotic thriller", "thriller", ("erotic thriller",)),
    _kind("period piece", None, ("period piece", "costume drama", "historical drama", "period drama",
                                 "costume adventure")),
    _kind("sword and sorcery", "fantasy", ("sword and sorcery", "sword and sorcery films")),
    _kind("swashbuckler", "adventure", ("swashbuckler films",), ("pirate", "pirates")),
    _kind("spaghetti western", "western", ("spaghetti western",)),
    _kind("prison", None, ("prison", "prison film", "escape film"), ("prison break", "inmate")),
    _kind("boxing", "sports", ("boxing",), ("boxer", "boxing")),
    _kind("cult classic", None, ("cult",)),
    _kind("indie", None, ("indie", "independent")),
    _kind("silent film", None, ("silent film", "silent")),
    _kind("anime", "animation", ("anime",)),
    _kind("stop-motion", "animation", ("stop motion", "clay animation")),
    _kind("samurai", None, ("samurai cinema",), ("samurai",)),
)}


def kinds_of(item: Item) -> frozenset[str]:
    """The ``KINDS`` an item is, by its CMU/Wikipedia labels or its plot keywords."""
    attrs = item.attributes or {}
    labels = {str(g).strip().lower() for g in (*(attrs.get("cmu_genres") or ()), *(attrs.get("wiki_genres") or ()))}
    words = {k.strip().lower() for k in item.keywords}
    return frozenset(k.name for k in KINDS.values() if labels & k.labels or words & k.keywords)


def known_kinds(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` that are ``KINDS``, in order; a ValueError names the unknown ones."""
    names = tuple(names)
    if unknown := [n for n in names if n not in KINDS]:
        raise ValueError(f"unknown film kind(s) {unknown}; use one of {', '.join(sorted(KINDS))}")
    return names
