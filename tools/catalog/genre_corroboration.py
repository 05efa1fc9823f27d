"""CMU genres that need a second source before a film carries them.

Why: the CMU corpus (Freebase) tags films with labels that read as genres but are not what
a viewer means by them. Aliens and Ghostbusters are "Stop motion" (their effects), so
``simplify_genres`` made them animation; The Godfather is a "Family Drama" (a drama about a
family), so it became a family film and came up for a family night; Star Wars is a "Space
western"; Troy is a "Documentary" by plain error. A user who asks for an animated film, a
western or something for the family, or who rules one of these out, is misled by each.

The rule: for the genres in ``NEEDS_SUPPORT`` (formats and audiences, where those errors
live), a film that has a Wikipedia row keeps the CMU genre only when Wikipedia agrees: its
own genre list maps to it (``map_wikipedia_genres``) or the opening sentence calls it so ("is a
1995 American computer-animated comedy film"). Genres taken from Wikipedia's own list (films
CMU lacks) need that opening sentence too: the list calls Hacksaw Ridge a documentary.
"family" is also kept for an animated film and when CMU itself files the film for families or
children ("Family Film", "Children's/Family"):
only "Family Drama" and its like, a story about a family, need Wikipedia's word for it,
because Wikipedia rarely calls Toy Story a family film. Films without a Wikipedia row keep CMU's
genres, since there is nothing to check them against. Story genres (horror, comedy, war, ...)
are not checked: Wikipedia's lists are short ("Aliens: science fiction, action") and would
drop true genres (Aliens is horror too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tools.catalog.movie_genres import map_wikipedia_genres

#: genre -> what the opening sentence says when the film really is one
NEEDS_SUPPORT: Mapping[str, re.Pattern[str]] = {
    "animation": re.compile(r"\banimat|\bstop[- ]motion animated|\bcartoon|\banime\b", re.I),
    "documentary": re.compile(r"\bdocumentar|\bconcert film", re.I),
    # "a family drama" is a drama about a family; "a family comedy" / "family film" is for families
    "family": re.compile(r"\bfamily\b(?! (?:drama|saga|crime|thriller))|\bchildren'?s\b|\bkids'? film", re.I),
    "western": re.compile(r"\bwestern\b", re.I),
    "musical": re.compile(r"\bmusical\b", re.I),
}

#: CMU labels that file a film for families or children (not a story about a family)
FAMILY_AUDIENCE_LABELS = frozenset({"Family Film", "Children's/Family", "Children's", "Children's Fantasy",
                                    "Family-Oriented Adventure", "Children's Entertainment", "Animal Picture",
                                    "Fairy tale"})

_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])")
#: "X is a 2016 biographical war film": the words that say what kind of film it is
_KIND = re.compile(r"\b(?:is|was) (?:a|an|the)\b(.*?\b(?:film|movie|documentary|musical|western|cartoon)s?\b)", re.I)


def opening_sentence(extract: str) -> str:
    """The first sentence of a Wikipedia opening paragraph (where a film's kind is stated)."""
    text = " ".join(str(extract or "").split())
    return _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""


def kind_phrase(extract: str) -> str:
    """What the opening sentence calls the film ("2016 biographical war film"), else the whole sentence.

    Why not the whole sentence: "... based on the 2004 documentary The Conscientious Objector"
    does not make Hacksaw Ridge a documentary.
    """
    first = opening_sentence(extract)
    m = _KIND.search(first)
    return m.group(1) if m else first


def corroborated_genres(genres: Iterable[str], wikipedia_row: Mapping | None,
                        cmu_labels: Iterable[str] = (), *, source: str = "cmu"
                        ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(genres kept, genres dropped for want of support), each in ``genres``' order.

    ``source="cmu"``: ``genres`` are the clean genres ``simplify_genres`` made of the raw
    ``cmu_labels``; Wikipedia's genre list or its opening sentence supports them.
    ``source="wikipedia"``: ``genres`` come from Wikipedia's own list (films CMU lacks), so only
    the opening sentence can support them: Wikipedia lists Hacksaw Ridge as a documentary. Its
    "Family" needs no support: there it is the audience (Home Alone), not a story about a family.
    """
    if source not in ("cmu", "wikipedia"):
        raise ValueError(f"source must be 'cmu' or 'wikipedia', not {source!r}")
    genres = tuple(genres)
    if wikipedia_row is None:
        return genres, ()
    listed = set(map_wikipedia_genres(wikipedia_row.get("genres_wikipedia") or ())) if source == "cmu" else set()
    kind = kind_phrase(wikipedia_row.get("extract") or "")
    if not listed and not kind:  # a row with nothing to check against: nothing to contradict the genres
        return genres, ()
    audience = bool(FAMILY_AUDIENCE_LABELS.intersection(cmu_labels))
    kept, dropped = [], []
    for g in genres:
        pattern = NEEDS_SUPPORT.get(g)
        # Wikipedia's "Family" is an audience label (Home Alone), not CMU's "Family Drama" theme
        if source == "wikipedia" and g == "family":
            pattern = None
        if pattern is None or g in listed or pattern.search(kind):
            kept.append(g)
        elif g == "family" and (audience or "animation" in kept):
            kept.append(g)
        else:
            dropped.append(g)
    return tuple(kept), tuple(dropped)


def confirmed_wikipedia_genres(wikipedia_row: Mapping | None) -> tuple[str, ...]:
    """Genres Wikipedia states twice: in its genre list and in what the opening sentence calls the film.

    Why: CMU's labels miss genres people filter on ("The Dark Knight Rises is a 2012 superhero
    film", Superhero in its list; CMU: crime, thriller, action, drama), so a user who rules out
    superhero films got it first. Both Wikipedia sources agreeing is the bar for adding a genre to
    CMU's, as CMU and Wikipedia agreeing is the bar for keeping a format genre.
    """
    if wikipedia_row is None:
        return ()
    kind = kind_phrase(wikipedia_row.get("extract") or "")
    stated = set(map_wikipedia_genres([kind])) if kind else set()
    return tuple(g for g in map_wikipedia_genres(wikipedia_row.get("genres_wikipedia") or ()) if g in stated)
