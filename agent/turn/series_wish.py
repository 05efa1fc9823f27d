"""A film series or studio asked for by name ("a good James Bond movie", "a Pixar movie"), and what the slate is about.

Why a stage of its own, after understanding: the parser reads words; which names are series, and
which films they hold, is a catalog question (``tools.resolve.series.SeriesIndex``, from the series
Wikipedia names). Without it "a good James Bond movie" asked which of two obscure films titled
"James Bond" was meant. The title the resolver found inside the asked-for series' name is dropped
(no question, no "you liked"), and the series is the slate's subject for as long as the wish lasts:
its films lead the ranked list, and the two-per-franchise cap gives way (five Bond films were asked for).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agent.turn.state_update import StateUpdate, TitleRef
from agent.turn.topic import keyword_vocabulary, subject_films, wish_topic

#: how many of a series' films seen in full count as films the user talked about
SEEN_ALL_CONTEXT = 3


def with_series_wish(u: StateUpdate, text: str, index: Any) -> StateUpdate:
    """``u`` with the series and studios ``text`` asks for a film of (``StateUpdate.series``), without the
    titles and unresolved names found inside those names, with the films of a studio or series it turns down
    ("no Disney movies") left out, and with the films of a series it wants more *like* left out
    (``with_series_liked_whole``); ``u`` itself when it names none."""
    return with_series_liked_whole(_with_series_named(u, text, index), index)


def with_series_liked_whole(u: StateUpdate, index: Any) -> StateUpdate:
    """``u`` with the films of each series it asks for more like by the series' name left out of the slate, its
    best-known ones as films seen (the talk the ranking reads); ``u`` itself when there is none.

    Why: "something like Harry Potter" opened with Harry Potter and the Philosopher's Stone and the Chamber of
    Secrets: whoever names a series as the measure knows its films and asks for others. Only a name no film of
    the series has counts -- it resolves to the catalog's row titled the name ("Harry Potter", "The Lord of the
    Rings" as ReDial users wrote it), which can only mean the series. "like The Matrix" or "like Die Hard" may
    mean the first film, whose sequels are fair picks (two at most: the slate's franchise cap), and a series
    liked outright ("I loved Harry Potter") is a taste the title path reads as before.
    """
    if index is None or not u.more_like:
        return u
    placed = {r.item_id for r in (*u.liked, *u.more_like, *u.disliked, *u.left_out, *u.seen)}
    seen: dict[str, TitleRef] = {}
    out: dict[str, TitleRef] = {}
    for ref in u.more_like:
        name = ref.surface
        if re.search(r"\d", name) or not index.is_series(name):
            continue
        films = index.films(name)
        if ref.item_id in films or ref.item_id not in index.titled(name):
            continue  # a film titled the name itself (Star Wars, The Matrix) may be meant; or none of the series
        films |= index.titled(name)
        # the films the user means by the name carry it in their titles: Harry Potter and the Goblet of Fire is
        # talk of Harry Potter, Fantastic Beasts (of the series by Wikipedia) is not "which you mentioned"
        words = name.lower().removeprefix("the ").strip()
        talk = [i for i in index.best_known(name) if i not in placed and words in index.titles[i].lower()]
        for i in talk[:SEEN_ALL_CONTEXT]:
            seen.setdefault(i, TitleRef(i, name, index.titles[i]))
        for i in sorted(films):
            if i not in placed and i not in seen:
                out.setdefault(i, TitleRef(i, name, index.titles[i]))
    if not seen and not out:
        return u
    return u.with_(seen=u.seen + tuple(seen.values()), left_out=u.left_out + tuple(out.values()))


def _with_series_named(u: StateUpdate, text: str, index: Any) -> StateUpdate:
    """``u`` with the series and studios ``text`` asks for or turns down (see ``with_series_wish``)."""
    found = index.find(text) if index is not None else []
    # a title read as liked or disliked is a taste the title path turns into the series'; one seen ("I watched
    # all of the Harry Potter films") is one more film of the series to leave out
    titled = [(r.surface, r.item_id) for r in (*u.liked, *u.more_like, *u.disliked)]

    def names_a_title(m: Any) -> bool:  # "no Star Wars movies": a title turned down, the whole series with it
        # ... when the film read is of the series: "a heist movie, not Ocean's" read "Ocean's" as Oceans, a
        # documentary, and showed Ocean's Thirteen
        return any(_within(i, j, [(m.start, m.end)]) for surface, item in titled
                   if item in m.films or item in index.titled(m.name) for i, j in _places(surface, text))

    # a series turned down by a name no film has ("no Ocean's movies" listed Ocean's Eleven and Twelve) is
    # left out here; one named by its title is a disliked title (``agent.turn.sequels.with_series_ruled_out``)
    refused = [m for m in (index.find_refused(text) if index is not None else [])
               if m.kind == "studio" or not names_a_title(m)]
    if not found and not refused:
        return u
    spans = [(m.start, m.end) for m in (*found, *refused)]

    def inside(surface: str) -> bool:  # every place the message says it lies inside a series' name
        at = _places(surface, text)
        return bool(at) and all(_within(i, j, spans) for i, j in at)

    def keep(refs: tuple) -> tuple:
        return tuple(r for r in refs if not inside(r.surface))

    wished = {i for m in found for i in m.films}
    placed = {r.item_id for r in (*u.liked, *u.more_like, *u.disliked, *u.left_out)}
    left_out = tuple(TitleRef(i, m.name, index.titles[i]) for m in refused
                     for i in sorted(m.films | index.titled(m.name)) if i not in placed and i not in wished)
    # a series seen in full says what the user watches: "I watched all of the Harry Potter films, something
    # similar" listed Black Panther and It once the films were left out; its best-known films are seen films,
    # talk the ranking reads (``SEEN_ALL_CONTEXT`` of them: a studio has hundreds), the rest only left out
    seen_all = tuple(TitleRef(i, m.name, index.titles[i]) for m in refused if m.seen_all
                     for i in [i for i in index.best_known(m.name) if i not in placed and i not in wished][
                         :SEEN_ALL_CONTEXT])
    left_out = tuple(r for r in left_out if r not in seen_all)
    return u.with_(liked=keep(u.liked), disliked=keep(u.disliked), seen=keep(u.seen) + seen_all,
                   mentioned=keep(u.mentioned),
                   more_like=keep(u.more_like), unresolved=keep(u.unresolved), left_out=u.left_out + left_out,
                   series=tuple(dict.fromkeys((*u.series, *(m.name for m in found)))),
                   # the studio is recorded now: no "my catalog doesn't record a film's studio"
                   unsupported=tuple(f for f in u.unsupported if f != "studio"),
                   act="recommend" if u.act == "chit_chat" and found else u.act)


def _places(surface: str, text: str) -> list[tuple[int, int]]:
    """Every (start, end) where ``text`` says ``surface``, in any case."""
    return [m.span() for m in re.finditer(re.escape(surface), text, re.I)]


def _within(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether [start, end) lies inside one of ``spans``."""
    return any(a <= start and end <= b for a, b in spans)


@dataclass(frozen=True)
class SlateSubject:
    """What the slate is about beyond the ranking: a series or studio asked for, else a subject ("about dogs")."""

    label: str = ""  # for the reply's lead: "James Bond films", "about dogs"
    films: frozenset[str] = frozenset()  # the films that lead the ranked list
    kind: Literal["", "topic", "series", "studio"] = ""

    @property
    def series(self) -> bool:
        """A series was asked for: the franchise cap gives way (five Bond films were asked for; five
        Pixar films were not five Toy Story films)."""
        return self.kind == "series"

    def per_franchise(self, size: int) -> int:
        """How many films of one franchise a slate of ``size`` may hold: all of them for a series asked for
        (five Bond films were asked for), one for a studio (a studio has many franchises, and "any Pixar movie
        my 5 year old hasn't seen? he's seen Cars and Up" showed Toy Story 3, Cars 3, Cars 2, Coco and Toy Story:
        two franchises twice, no Finding Nemo), else two."""
        return size if self.kind == "series" else 1 if self.kind == "studio" else 2

    def note(self, card_ids: Sequence[str]) -> str:
        """Said after the lead when the series' or studio's films did not fill the slate (" Only 1 of these is
        one of the James Bond films; ..."), so "(James Bond films)" is never printed above other films alone.
        A subject's films ("about dogs") are only the ones its words find first, so no note for those."""
        n = sum(1 for i in card_ids if i in self.films)
        if self.kind not in ("series", "studio") or not card_ids or n == len(card_ids):
            return ""
        if not n:
            return f" None of the {self.label} I know fits that (or I have shown them all), so these are other picks."
        rest = len(card_ids) - n
        others = "the other one is another pick" if rest == 1 else f"the other {rest} are other picks"
        # "I know of": the catalog's studio and series facts come from Wikipedia's paragraphs and miss films
        # (Spirited Away has none: "Only 2 of these are the Studio Ghibli films" was said over Totoro and Kiki)
        return f" Only {n} of these {'is one of' if n == 1 else 'are'} the {self.label} I know of; {others}."


def slate_subject(recommender: Any, cat: Any, req: Any, wish_text: Sequence[str], index: Any) -> SlateSubject:
    """The newest wish message's series or studio (``index.find``), else the subject its words name (``wish_topic``)."""
    for text in reversed(wish_text):
        found = index.find(text) if index is not None else []
        if found:
            films = frozenset().union(*(m.films for m in found))
            kind = "series" if any(m.kind == "series" for m in found) else "studio"
            return SlateSubject(" and ".join(dict.fromkeys(m.name for m in found)) + " films", films, kind)
    topic = wish_topic(wish_text, keyword_vocabulary(cat))
    if not topic:
        return SlateSubject()
    return SlateSubject(f"about {topic}", subject_films(recommender, cat, req, topic), "topic")
