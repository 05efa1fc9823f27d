"""Kinds of film finer than a genre: "psychological thriller", "heist", "stoner comedy", "coming-of-age",
and where a film is from: "Korean", "French", "foreign-language".

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
    #: spoken languages (``attributes["languages"]``, CMU), lower-cased: a film in one of them is of the
    #: kind when it has no English, or comes from one of ``countries`` ("Amélie", not an American film
    #: with a scene in French)
    languages: frozenset[str] = frozenset()
    #: countries of production (``attributes["countries"]``, CMU), lower-cased; alone (no
    #: ``languages``) a film made in one of them is of the kind ("British": Snatch is a United States
    #: and United Kingdom film, in that order)
    countries: frozenset[str] = frozenset()
    #: the kind is "not in English": a film whose known languages do not include English
    non_english: bool = False

    @property
    def is_origin(self) -> bool:
        """Where a film is from ("Korean"), not what it is ("heist"): the two combine with "and"."""
        return bool(self.languages or self.countries or self.non_english)


def _kind(name: str, genre: str | None, labels: Iterable[str], keywords: Iterable[str] = ()) -> Kind:
    return Kind(name, genre, frozenset(labels), frozenset(keywords))


def _origin(name: str, languages: Iterable[str], countries: Iterable[str] = ()) -> Kind:
    return Kind(name, None, frozenset(), frozenset(), frozenset(languages), frozenset(countries))


#: English as CMU names it
_ENGLISH = frozenset({"english", "american english", "british english"})


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
    # "tired of cop movies": films about police work, by Wikipedia's labels or plot words (not "officer" or
    # "sheriff": an officer is as often a soldier, and a sheriff rides in westerns)
    _kind("cop", "crime", ("buddy cop", "police procedural", "detective", "detective fiction"),
          ("cop", "cops", "policeman", "policemen", "precinct", "police detective", "police officer")),
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
    _kind("black-and-white", None, ("black-and-white",)),
    _kind("anime", "animation", ("anime",)),
    _kind("stop-motion", "animation", ("stop motion", "clay animation")),
    _kind("samurai", None, ("samurai cinema",), ("samurai",)),
    # where a film comes from and what is spoken in it (CMU's languages and countries, 70% of the films)
    _origin("Korean", ("korean",), ("south korea",)),
    _origin("Japanese", ("japanese",), ("japan",)),
    _origin("French", ("french",), ("france",)),
    _origin("Italian", ("italian",), ("italy",)),
    _origin("Spanish-language", ("spanish",), ("spain", "mexico", "argentina", "chile", "colombia", "cuba")),
    _origin("German", ("german",), ("germany", "west germany", "east germany", "austria")),
    _origin("Chinese", ("standard mandarin", "mandarin chinese", "chinese", "cantonese", "standard cantonese"),
            ("china", "hong kong", "taiwan")),
    _origin("Indian", ("hindi", "tamil", "telugu", "malayalam", "bengali", "urdu", "punjabi", "kannada", "marathi"),
            ("india",)),
    _origin("Russian", ("russian",), ("russia", "soviet union")),
    _origin("Scandinavian", ("swedish", "danish", "norwegian", "finnish", "icelandic"),
            ("sweden", "denmark", "norway", "finland", "iceland")),
    _origin("British", (), ("united kingdom", "england", "scotland", "wales")),
    _origin("English-language", _ENGLISH),
    Kind("foreign-language", None, frozenset(), frozenset(), non_english=True),
)}


def kinds_of(item: Item) -> frozenset[str]:
    """The ``KINDS`` an item is, by its CMU/Wikipedia labels or its plot keywords."""
    attrs = item.attributes or {}
    labels = {str(g).strip().lower() for g in (*(attrs.get("cmu_genres") or ()), *(attrs.get("wiki_genres") or ()))}
    words = {k.strip().lower() for k in item.keywords}
    langs = {str(x).strip().lower() for x in attrs.get("languages") or ()}
    countries = [str(x).strip().lower() for x in attrs.get("countries") or ()]
    return frozenset(k.name for k in KINDS.values() if labels & k.labels or words & k.keywords
                     or _of_origin(k, langs, countries))


def _of_origin(kind: Kind, langs: set[str], countries: list[str]) -> bool:
    """A film is of an origin kind when it speaks the kind's language and is no English-language film
    made elsewhere, or (a kind of countries only) when it was made there; "foreign-language": its
    known languages have no English."""
    if kind.non_english:
        return bool(langs) and not langs & _ENGLISH
    if kind.languages:
        # an English-language film with the language spoken in it counts when its first country is the
        # kind's: The Host (South Korea; Korean, English), not Love Actually (United States, France, United
        # Kingdom; French among its languages)
        return bool(langs & kind.languages) and (not kind.countries or not langs & _ENGLISH
                                                 or (bool(countries) and countries[0] in kind.countries))
    return bool(set(countries) & kind.countries)


def known_kinds(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` that are ``KINDS``, in order; a ValueError names the unknown ones."""
    names = tuple(names)
    if unknown := [n for n in names if n not in KINDS]:
        raise ValueError(f"unknown film kind(s) {unknown}; use one of {', '.join(sorted(KINDS))}")
    return names
