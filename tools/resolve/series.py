"""Find a film series or studio asked for by name in a user message: "a good James Bond movie", "any Pixar movie".

Why an index built from the catalog: a series is only useful if it names catalog films, so the
vocabulary is exactly the series Wikipedia's opening paragraphs name (``Item.series``,
``tools.catalog.film_series``) and the studios they credit (``Item.studios``,
``tools.catalog.film_studios``) that hold at least ``MIN_FILMS`` (studios ``MIN_STUDIO_FILMS``) films. Before it, "a good James Bond
movie" asked which of two obscure films titled "James Bond" (1999, 2015) was meant, though the catalog
holds a dozen Bond films, and "any Pixar movie" got "my catalog doesn't record a film's studio".

A series is wished for only when the message asks for a film *of* it -- "a/any/another/some (good)
James Bond movie", "something from the Harry Potter series", "something by Pixar", "I want to watch Batman
movies", "Batman movies please" -- never when it
names a film the user liked ("I loved Star Wars", "I loved the Harry Potter movies": a taste, read by
the title resolver) or turns it down ("no Star Wars movies": ``agent.turn.sequels``; a studio turned
down, "no Disney movies", is ``find_refused``). A one-word series name ("Alien", "Rocky", "Scream") must
be written with a capital: "a good alien movie" is a film about aliens; studio names are no words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from tools.catalog.catalog import Item
from tools.catalog.film_studios import ALIASES
from tools.text import normalise_name

#: a series names this many catalog films at least (two are a film and its sequel, no series to ask for)
MIN_FILMS = 3
#: a studio with this many films is one to ask for (Studio Ghibli: Ponyo and Grave of the Fireflies)
MIN_STUDIO_FILMS = 2
#: a film titled a series' very name is its first when made at most this many years before the others
FIRST_FILM_YEARS = 5
#: what asks for a film of the series, just before its name
_ASK_BEFORE = re.compile(r"\b(?:a|an|any|another|some|more|other|which|one|the\s+best|from\s+the|of\s+the|in\s+the)\s+"
                         r"(?:(?:good|great|decent|fun|new|newer|recent|old|older|classic|early|later|other)\s+){0,2}$", re.I)
#: a wish for films of it said with a verb or nothing at all: "I want to watch Batman movies", "show me some
#: Star Trek films", "Batman movies please" (not "I loved the Batman movies": a taste, read by the title path)
_WISH_BEFORE = re.compile(r"(?:^\s*|\b(?:watch|see|recommend(?:\s+me)?|suggest|show\s+me|give\s+me|find\s+me|looking\s+for|"
                          r"mood\s+for|binge)\s+)(?:(?:some|a\s+few|all\s+the|the)\s+)?"
                          r"(?:(?:good|great|decent|fun|new|newer|recent|old|older|classic|early|later|best)\s+){0,2}$", re.I)
#: what follows the name when a film of it is asked for
_ASK_AFTER = re.compile(r"\s+(?:movies?|films?|flicks?|ones?|series|franchise|saga|trilogy)\b", re.I)
#: a studio asked for without "movie" after it: "something from Pixar", "anything by Studio Ghibli"
_STUDIO_BEFORE = re.compile(r"\b(?:from|by)\s+$", re.I)
#: a studio's films liked as a whole ("I loved Ghibli movies", "I'm a big fan of Pixar films"): more of them is the
#: wish (a series liked so is a taste of its films, read by the title path)
_STUDIO_TASTE = re.compile(r"\b(?:love[ds]?|like[ds]?|enjoy(?:ed|s)?|adored?|into|fan\s+of)\s+(?:the\s+|all\s+(?:the\s+)?)?$",
                           re.I)
_REFUSAL = r"\b(?:not|no|none\s+of|nothing|never|except|without|anything\s+but|other\s+than)\s+"
#: a refusal before the asking words: "not a Star Wars movie", "nothing from the Marvel series"
_REFUSED = re.compile(_REFUSAL + "$", re.I)
#: a studio or series turned down: "no Disney movies", "not Marvel", "nothing from Disney", "except by Pixar",
#: "nothing from the James Bond series"
_STUDIO_REFUSED = re.compile(_REFUSAL + r"(?:(?:a|an|any|from|by|of|the|other|more)\s+){0,3}$", re.I)
#: where a series turned down without "movies" after its name ends: "a heist movie, not Ocean's"
_CLAUSE_END = re.compile(r"\s*(?:[.,;:!?)]|$|please\b|and\b|but\b|or\b|though\b|tho\b)", re.I)

#: films of it all seen: "I've seen all the Marvel movies", "watched every one of the Bond films" -- none to show
_SEEN_ALL = re.compile(r"\b(?:seen|watched|saw)\s+(?:all|every(?:\s+one)?|each)\s+(?:of\s+)?(?:the\s+|those\s+)?$", re.I)
Kind = Literal["series", "studio"]


@dataclass(frozen=True)
class SeriesMention:
    """A series or studio named in a message: its name as the catalog writes it, its films, where it was said."""

    name: str
    films: frozenset[str]
    start: int
    end: int
    kind: Kind = "series"
    #: turned down because the user has seen them all ("I've seen all the Marvel movies"), not disliked
    seen_all: bool = False


class SeriesIndex:
    """The catalog's series (``Item.series``) and studios (``Item.studios``) with at least ``MIN_FILMS`` films."""

    def __init__(self, items: Iterable[Item]) -> None:
        films: dict[str, set[str]] = defaultdict(set)
        shown: dict[str, str] = {}
        kind: dict[str, Kind] = {}
        items_list = [it for it in items if it.is_recommendable]
        by_id = {it.item_id: it for it in items_list}
        for it in items_list:
            for name, k in (*((n, "series") for n in it.series), *((n, "studio") for n in it.studios)):
                key = _key(name)
                if key and kind.setdefault(key, k) == k:
                    films[key].add(it.item_id)
                    shown.setdefault(key, name)
        # the films whose titles carry the series' name, though their own paragraphs name no series:
        # "Harry Potter and the Deathly Hallows – Part 2", "Star Wars: The Last Jedi", and a film titled
        # the name itself when it came first ("Toy Story", 1995) -- not "James Bond" (2015, a Telugu
        # comedy) nor "Fast and Furious" (1939), made long before the series
        first = {k: min((by_id[i].year for i in v if by_id[i].year), default=None) for k, v in films.items()}
        for it in items_list:
            title = _key(it.title)
            for n in range(1, min(5, len(title.split())) + 1):
                head = " ".join(title.split()[:n])
                if kind.get(head) != "series" or not _titled_after(it.title, title, head):
                    continue
                if head == title and it.item_id not in films[head] and not (
                        it.year and first[head] and first[head] - FIRST_FILM_YEARS <= it.year <= first[head]):
                    continue
                films[head].add(it.item_id)
        _join_series_named_after_films(films, kind, items_list)
        self._films = {k: frozenset(v) for k, v in films.items()
                       if len(v) >= (MIN_STUDIO_FILMS if kind[k] == "studio" else MIN_FILMS)}
        self._names = {k: shown[k] for k in self._films}
        self._kind = {k: kind[k] for k in self._films}
        #: each series' films, best-known (most mentioned) first: a series seen in full is talked of through them
        self._best_known = {k: tuple(sorted(v, key=lambda i: (-(by_id[i].popularity or 0.0), i)))
                            for k, v in self._films.items()}
        self.titles = {it.item_id: it.title for it in items_list}
        titled: dict[str, set[str]] = defaultdict(set)
        for it in items_list:
            titled[_key(it.title)].add(it.item_id)
        self._titled = {k: frozenset(v) for k, v in titled.items() if k in self._films}
        #: what users call a studio ("Ghibli") -> the index's key
        self._alias = {_key(a): _key(n) for a, n in ALIASES.items() if _key(n) in self._films}
        spellings = sorted({*self._films, *self._alias}, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w'])(" + "|".join(_spelling(k) for k in spellings) + r")(?![\w'])", re.I) if spellings else None

    def __len__(self) -> int:
        return len(self._films)

    def titled(self, name: str) -> frozenset[str]:
        """The films titled the series' name itself, whether or not they are of it (a yearless "Harry Potter"
        row; "James Bond", a 2015 comedy): turned down or seen with the series, they go with it."""
        return self._titled.get(_key(name), frozenset())

    def best_known(self, name: str) -> tuple[str, ...]:
        """The films of the series or studio ``name``, most mentioned first (empty when unknown)."""
        key = _key(name)
        return self._best_known.get(self._alias.get(key, key), ())

    def is_series(self, name: str) -> bool:
        """Whether ``name`` (as the catalog or a user writes it) is a film series of the index, not a studio."""
        key = _key(name)
        return self._kind.get(self._alias.get(key, key)) == "series"

    def films(self, name: str) -> frozenset[str]:
        """The catalog films of the series or studio ``name`` (as the catalog or a user writes it); empty when unknown."""
        key = _key(name)
        return self._films.get(self._alias.get(key, key), frozenset())

    def find(self, text: str) -> list[SeriesMention]:
        """The series and studios ``text`` asks for a film of, in the order written (see the module docstring)."""
        out: list[SeriesMention] = []
        for m, mention in self._mentions(text):
            before, after = text[: m.start()], text[m.end():]
            asked = (_ASK_BEFORE.search(before) or _WISH_BEFORE.search(before)) if _ASK_AFTER.match(after) else None
            if mention.kind == "studio" and not asked:
                asked = _STUDIO_BEFORE.search(before) or (_STUDIO_TASTE.search(before) if _ASK_AFTER.match(after) else None)
            if (not asked or _REFUSED.search(before[: asked.start()]) or _STUDIO_REFUSED.search(before)
                    or _SEEN_ALL.search(before)):
                continue
            if mention.kind == "series" and " " not in _key(m.group(1)) and not m.group(1)[:1].isupper():
                continue  # "a good alien movie" is about aliens, "a good Alien movie" is of the series
            out.append(mention)
        return out

    def find_refused(self, text: str) -> list[SeriesMention]:
        """The studios and series ``text`` turns down or has seen all of: "no Disney movies", "any Marvel movie
        but not DC", "nothing from Pixar", "no Ocean's movies", "I've seen all the Marvel movies". A series whose name is also a film's title ("no Star Wars
        movies") is the caller's to tell apart (``agent.turn.series_wish.with_series_wish``)."""
        out = []
        for m, mention in self._mentions(text):
            if mention.kind == "series" and not (m.group(1)[:1].isupper() and (
                    _ASK_AFTER.match(text[m.end():]) or (_CLAUSE_END.match(text[m.end():]) and not self.titled(mention.name)))):
                # "nothing with aliens" is about aliens; "no Alien movies" turns the series down, and so does "not
                # Ocean's" (no film is titled the name, so the title resolver cannot read it as one film turned down)
                continue
            if _SEEN_ALL.search(text[: m.start()]):
                out.append(replace(mention, seen_all=True))
            elif _STUDIO_REFUSED.search(text[: m.start()]):
                out.append(mention)
        return out

    def _mentions(self, text: str) -> list[tuple[re.Match[str], SeriesMention]]:
        if self._pattern is None or not text:
            return []
        out = []
        for m in self._pattern.finditer(text):
            key = _key(m.group(1))
            key = self._alias.get(key, key)
            if key in self._films:
                out.append((m, SeriesMention(self._names[key], self._films[key], m.start(), m.end(), self._kind[key])))
        return out


def _join_series_named_after_films(films: dict[str, set[str]], kind: dict[str, Kind], items: list[Item]) -> None:
    """A "series" named after one film joins that film's own series (in place, one step, from the index as it was).

    Why: Wikipedia's paragraph of The Dark Knight calls it the sequel to Batman Begins, so its series read
    "Batman Begins", and "I want to watch Batman movies" never showed it (nor Batman & Robin, nor Toy Story 4 in
    Toy Story). A film titled the name that is itself of another series says which series that was."""
    titled: dict[str, set[str]] = defaultdict(set)
    for it in items:
        titled[_key(it.title)].add(it.item_id)
    series_of: dict[str, set[str]] = defaultdict(set)
    for key, ids in films.items():
        if kind.get(key) == "series":
            for i in ids:
                series_of[i].add(key)
    joins = [(parent, frozenset(films[key])) for key in films if kind.get(key) == "series"
             for i in titled.get(key, ()) for parent in series_of[i] if parent != key]
    for parent, ids in joins:
        films[parent] |= ids


def _key(name: str) -> str:
    """How series names are compared: "The Fast & Furious" and "fast and furious" -> "fast and furious"."""
    key = normalise_name(name.replace("&", " and "))
    return key.removeprefix("the ").strip()


def _spelling(key: str) -> str:
    """A regular expression for the ways a user writes the series ``key``: "and" or "&", any run of
    spaces, dashes or colons between the words ("Spider-Man", "Mission: Impossible")."""
    words = [("(?:and|&)" if w == "and" else re.escape(w)) for w in key.split()]
    return r"[\s:\-–.']*".join(words)


#: what follows a series' name in the title of one of its films: a number, a subtitle, "and the ..."
_TITLE_GOES_ON = re.compile(r"^(?:\d+|[ivx]+|part\b.*|and\s+the\b.*|episode\b.*)?$")


def _titled_after(raw_title: str, title_key: str, head: str) -> bool:
    """Whether a film titled ``raw_title`` (key ``title_key``) is of the series ``head`` by its title alone:
    the name is all of it, or is followed by a sequel number, a colon or dash subtitle, or "and the ..."."""
    rest = title_key[len(head):].strip()
    if _TITLE_GOES_ON.match(rest):
        return True
    return bool(re.match(r"^\W*(?:the\s+)?" + _spelling(head) + r"\s*[:–—-]", raw_title, re.I))
