"""Which series a film belongs to, read from its Wikipedia opening paragraph.

Why: the catalog knew a franchise only from titles, so "something like Star Wars but no Star Wars
movies" still showed The Empire Strikes Back and Return of the Jedi, "like The Dark Knight but not
Batman" kept The Dark Knight Rises, and a slate capped at two films of one franchise could hold four
Star Wars films (two carry "Star Wars" in the title, two do not). English Wikipedia names the series
in the opening paragraph -- "the second film in the Star Wars film series", "the sequel to The Dark
Knight (2008)", "based on the DC Comics character Batman" -- so the series is a fact about the film,
kept beside cast and directors (``Item.series``); no sentence of the text is kept (the demo catalog's
licence, ``tools/data/demo/LICENSE.md``).

Hand-written patterns rather than an NER model, as for ``source_authors``: the phrasing is formulaic
and no model ships for it. Precision matters more than recall (a wrong series caps or rules out
unrelated films), so a name is a run of capitalised words next to "film series", "franchise",
"trilogy" or "saga" (never "television series" or "book series"), the title after "sequel to", or the
character a film is based on.
"""

from __future__ import annotations

import re

#: one word of a name: capitalised or a number ("Fast & Furious 6", "Mission: Impossible", "X-Men")
_WORD = r"(?:[A-Z0-9][\w!.'’:-]*|&)"
#: a name: capitalised words with lower-case joiners inside ("Planet of the Apes", "Lord of the Rings")
_NAME = rf"{_WORD}(?:\s+(?:(?:of|the|and|in|vs\.?|a|at|on|to)\s+)*{_WORD})*"
#: "the second film in the Star Wars film series", "the Alien franchise", "Nolan's The Dark Knight trilogy"
_IN_SERIES = re.compile(rf"\b(?:in|of)\s+(?:the\s+)?(?P<name>{_NAME})\s+(?:film\s+|movie\s+|main\s+)?"
                        r"(?:series|franchise|trilogy|saga|quadrilogy|tetralogy)\b")
#: "the sequel to Shrek (2001)", "a sequel to the 2010 film Piranha 3D", "spin-off/prequel of 2016's The Conjuring 2"
_FOLLOWS = re.compile(rf"\b(?:sequel|prequel|follow-up|spin-off)(?:/\w+)?\s+(?:to|of)\s+(?:the\s+)?"
                      rf"(?:(?:\d{{4}}['’]s|\d{{4}}\s+(?:[\w-]+\s+){{0,4}}?(?:film|movie))\s+)?(?P<name>{_NAME})")
#: "based on the DC Comics character Batman", "based on the character Jack Ryan", "superhero team the Avengers"
_CHARACTER = re.compile(rf"\b[Bb]ased\s+on\s+the\s+(?:{_WORD}\s+){{0,3}}?(?:comics?\s+|comic\s+book\s+)?"
                        rf"(?:title\s+)?(?:character|superhero(?:\s+team)?|team)\s+(?:of\s+the\s+same\s+name|(?:the\s+)?"
                        rf"(?P<name>{_NAME}))")
#: a leading run naming a producer or a magazine, not the series ("the Eon Productions James Bond series")
_PRODUCER = re.compile(r"^(?:[A-Z][\w.]*\s+)*?(?:Productions|Pictures|Studios|Entertainment|Films|Comics|magazine)\s+")
#: "names" that are words of a sentence, not a series (a capitalised sentence start, an adjective)
_NOT_SERIES = frozenset({"the", "a", "an", "it", "this", "his", "her", "their", "its", "american", "british", "original",
                         "first", "second", "third", "new", "same", "marvel", "dc", "disney", "pixar", "film", "films"})
_MAX_WORDS = 6


#: a full stop that ends a sentence, not an abbreviation inside a name ("vs.", "Vol. 2", "Mr. Bean")
_SENTENCE_END = re.compile(r"(?<!\bvs)(?<!\bVol)(?<!\bMr)(?<!\bDr)(?<!\bSt)(?<!\b[A-Z])\.\s+")


def _clean(name: str, possessive: bool = False) -> str | None:
    """``name`` cut at a sentence end, without a disambiguation ("(2004 film)"), a producer lead, trailing
    joiners and a creator's possessive ("Nolan's The Dark Knight" -> "The Dark Knight"; outside a series
    name, ``possessive`` False, only before "The" or a number, so "Ocean's Twelve" stays); None when nothing that names a series is left."""
    name = _SENTENCE_END.split(name, maxsplit=1)[0]
    name = re.sub(r"\s*\([^)]*\)?", "", name)
    # the creator's possessive goes ("Jackson's The Lord of the Rings", "Zombie's 2007"), a title's stays
    name = re.split(r"['’]s\s+" if possessive else r"['’]s\s+(?=The\s|\d)", name)[-1]
    name = _PRODUCER.sub("", name).strip(" .,:;'’-")
    name = re.sub(r"\s+(?:of|the|and|in|vs\.?|a|at|on|to)$", "", name)
    words = name.split()
    if (not words or len(words) > _MAX_WORDS or re.fullmatch(r"\d+", words[0])
            or name.lower().removeprefix("the ").strip() in _NOT_SERIES):
        return None
    return name


def film_series(extract: str | None, title: str) -> list[str]:
    """The series, predecessor films and source characters the opening paragraph ties a film to.

    "The Empire Strikes Back" -> ["Star Wars"]; "The Dark Knight Rises" -> ["The Dark Knight",
    "Batman"]; a film "based on the character of the same name" -> its own title. Names as written,
    first seen first, without repeats or a fragment of another ("Rings" beside "The Lord of the
    Rings"); empty when the paragraph says nothing of a series.
    """
    if not extract:
        return []
    found: list[str] = []
    for pattern in (_IN_SERIES, _FOLLOWS, _CHARACTER):
        for m in pattern.finditer(extract):
            raw = m.group("name")
            name = _clean(raw, possessive=pattern is _IN_SERIES) if raw else _clean(title)
            if name and name not in found:
                found.append(name)
    return [n for n in found if not any(o != n and o.endswith(" " + n) for o in found)]
