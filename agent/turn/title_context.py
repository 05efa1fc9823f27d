"""Settle an ambiguous title with what the same message says about it.

Why: "I liked Heat, something with Al Pacino" names the film twice — by title and by its star —
and a movie lover would be puzzled to be asked "which Heat?". Likewise "my kids loved Frozen"
is the animated Frozen, not the 2010 horror film of the same name. The title index alone
(``tools/resolve/title_resolution.py``) cannot know that: it sees one span. This stage runs
after the spans are found and before they are placed, and resolves an ambiguous span only when
exactly ONE of its films fits a cue in the message; otherwise the question stays (two Heats that
both star Al Pacino are still a question, and so is "It" with no cue at all).

Cues, strongest first:
1. a person named in the message who is in the film's cast or directed it;
2. children or family words ("kids", "family night") and a film that is animation or family.
A genre word is not a cue: "not a horror like Frozen" names a genre to avoid, and the polarity of
that clause is read later.

ReDial lists a few films twice under different years (Heat 1995 and 1996, both Michael Mann's
with Al Pacino); such twins -- same title, same directors, same leading cast -- count as one
film, the one mentioned most.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from tools.catalog.catalog import Item
from tools.resolve.title_resolution import Resolution, distinct_films
from tools.resolve.titles import SpanMatch
from tools.text import normalise_name

CHILD_WORDS = re.compile(r"\b(kids?|child|children|toddlers?|family|families|daughter|son|little ones?|"
                          r"grandkids|nephew|niece|[3-9][- ]?year[- ]?olds?)\b", re.I)
CHILD_GENRES = frozenset({"animation", "family"})


def _one(films: Iterable[Item], fits: Callable[[Item], bool]) -> Item | None:
    hits = [f for f in films if fits(f)]
    return hits[0] if len(hits) == 1 else None


def settle_by_context(spans: Sequence[SpanMatch], text: str, people: Sequence[str]) -> list[SpanMatch]:
    """``spans`` with each ambiguous one resolved when exactly one of its films fits a cue.

    ``people``: names the message mentions (the people index's canonical names). Spans that are
    resolved or unknown pass unchanged.
    """
    named = {normalise_name(p) for p in people if p}
    child = bool(CHILD_WORDS.search(text or ""))
    out = []
    for sm in spans:
        res = sm.resolution
        if res.status != "ambiguous" or not res.candidates:
            out.append(sm)
            continue
        films = distinct_films(sorted({c.item.item_id: c.item for c in res.candidates}.values(),
                                      key=lambda f: -f.popularity))
        if len(films) == 1:  # the namesakes were one film listed twice
            out.append(replace(sm, resolution=Resolution("resolved", films[0], res.candidates, res.score)))
            continue
        pick = None
        if named:
            pick = _one(films, lambda f: bool(named & {normalise_name(n) for n in (*f.cast, *f.directors)}))
        if pick is None and child:
            pick = _one(films, lambda f: bool(CHILD_GENRES & set(f.genres)))
        if pick is None:
            out.append(sm)
        else:
            out.append(replace(sm, resolution=Resolution("resolved", pick, res.candidates, res.score)))
    return out
