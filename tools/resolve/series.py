"""Find a film series asked for by name in a user message: "a good James Bond movie", "any Star Wars films?".

Why an index built from the catalog: a series is only useful if it names catalog films, so the
vocabulary is exactly the series Wikipedia's opening paragraphs name (``Item.series``,
``tools.catalog.film_series``) that hold at least ``MIN_FILMS`` films. Before it, "a good James Bond
movie" asked which of two obscure films titled "James Bond" (1999, 2015) was meant, though the catalog
holds two dozen Bond films.

A series is wished for only when the message asks for a film *of* it -- "a/any/another/some (good)
James Bond movie", "something from the Harry Potter series" -- never when it names a film the user
liked ("I loved Star Wars", "I loved the Harry Potter movies": a taste, read by the title resolver)
or turns the series down ("no Star Wars movies": ``agent.turn.sequels``). A one-word name ("Alien",
"Rocky", "Scream") must be written with a capital: "a good alien movie" is a film about aliens.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tools.catalog.catalog import Item
from tools.text import normalise_name

#: a series names this many catalog films at least (two are a film and its sequel, no series to ask for)
MIN_FILMS = 3
#: a film titled a series' very name is its first when made at most this many years before the others
FIRST_FILM_YEARS = 5
#: what asks for a film of the series, just before its name
_ASK_BEFORE = re.compile(r"\b(?:a|an|any|another|some|more|other|which|one|the\s+best|from\s+the|of\s+the|in\s+the)\s+"
                         r"(?:(?:good|great|decent|fun|new|newer|recent|old|older|classic|early|later|other)\s+){0,2}$", re.I)
#: what follows the name when a film of it is asked for
_ASK_AFTER = re.compile(r"\s+(?:movies?|films?|flicks?|ones?|series|franchise|saga|trilogy)\b", re.I)
#: a refusal before the asking words: "not a Star Wars movie", "nothing from the Marvel series"
_REFUSED = re.compile(r"\b(?:not|no|nothing|never|except|without|anything\s+but|other\s+than)\s+$", re.I)


@dataclass(frozen=True)
class SeriesMention:
    """A series asked for in a message: its name as the catalog writes it, its films and where it was said."""

    name: str
    films: frozenset[str]
    start: int
    end: int


class SeriesIndex:
    """The catalog's series (``Item.series``) with at least ``MIN_FILMS`` films, found in messages."""

    def __init__(self, items: Iterable[Item]) -> None:
        films: dict[str, set[str]] = defaultdict(set)
        shown: dict[str, str] = {}
        items_list = list(items)
        by_id = {it.item_id: it for it in items_list}
        for it in items_list:
            if not it.is_recommendable:
                continue
            for name in it.series:
                key = _key(name)
                if key:
                    films[key].add(it.item_id)
                    shown.setdefault(key, name)
        # the films whose titles carry the series' name, though their own paragraphs name no series:
        # "Harry Potter and the Deathly Hallows – Part 2", "Star Wars: The Last Jedi", and a film titled
        # the name itself when it came first ("Toy Story", 1995) -- not "James Bond" (2015, a Telugu
        # comedy) nor "Fast and Furious" (1939), made long before the series
        first = {k: min((by_id[i].year for i in v if by_id[i].year), default=None) for k, v in films.items()}
        for it in items_list:
            if it.is_recommendable:
                title = _key(it.title)
                for n in range(1, min(5, len(title.split())) + 1):
                    head = " ".join(title.split()[:n])
                    if head not in films or not _titled_after(it.title, title, head):
                        continue
                    if head == title and it.item_id not in films[head] and not (
                            it.year and first[head] and first[head] - FIRST_FILM_YEARS <= it.year <= first[head]):
                        continue
                    films[head].add(it.item_id)
        self._films = {k: frozenset(v) for k, v in films.items() if len(v) >= MIN_FILMS}
        self._names = {k: shown[k] for k in self._films}
        alternatives = sorted(self._films, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w'])(" + "|".join(_spelling(k) for k in alternatives) + r")(?![\w'])", re.I) if alternatives else None

    def __len__(self) -> int:
        return len(self._films)

    def films(self, name: str) -> frozenset[str]:
        """The catalog films of the series ``name`` (as the catalog or a user writes it); empty when unknown."""
        return self._films.get(_key(name), frozenset())

    def find(self, text: str) -> list[SeriesMention]:
        """The series ``text`` asks for a film of, in the order written (see the module docstring)."""
        if self._pattern is None or not text:
            return []
        out: list[SeriesMention] = []
        for m in self._pattern.finditer(text):
            key = _key(m.group(1))
            if key not in self._films:
                continue
            before, after = text[: m.start()], text[m.end():]
            asked = _ASK_BEFORE.search(before)
            if not asked or not _ASK_AFTER.match(after) or _REFUSED.search(before[: asked.start()]):
                continue
            if " " not in key and not m.group(1)[:1].isupper():
                continue  # "a good alien movie" is about aliens, "a good Alien movie" is of the series
            out.append(SeriesMention(self._names[key], self._films[key], m.start(), m.end()))
        return out


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
