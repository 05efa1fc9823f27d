"""A film series asked for by name ("a good James Bond movie"), and what the slate is about.

Why a stage of its own, after understanding: the parser reads words; which names are series, and
which films they hold, is a catalog question (``tools.resolve.series.SeriesIndex``, from the series
Wikipedia names). Without it "a good James Bond movie" asked which of two obscure films titled
"James Bond" was meant. The title the resolver found inside the asked-for series' name is dropped
(no question, no "you liked"), and the series is the slate's subject for as long as the wish lasts:
its films lead the ranked list, and the two-per-franchise cap gives way (five Bond films were asked for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent.turn.state_update import StateUpdate
from agent.turn.topic import subject_films, wish_topic


def with_series_wish(u: StateUpdate, text: str, index: Any) -> StateUpdate:
    """``u`` with the series ``text`` asks for a film of (``StateUpdate.series``), and without the titles
    and unresolved names found inside that series' name; ``u`` itself when it asks for none."""
    found = index.find(text) if index is not None else []
    if not found:
        return u
    spans = [(m.start, m.end) for m in found]
    lowered = text.casefold()

    def inside(surface: str) -> bool:
        s = surface.casefold()
        at = [i for i in range(len(lowered)) if lowered.startswith(s, i)]
        return bool(at) and all(any(a <= i and i + len(s) <= b for a, b in spans) for i in at)

    def keep(refs: tuple) -> tuple:
        return tuple(r for r in refs if not inside(r.surface))

    return u.with_(liked=keep(u.liked), disliked=keep(u.disliked), seen=keep(u.seen), mentioned=keep(u.mentioned),
                   more_like=keep(u.more_like), unresolved=keep(u.unresolved),
                   series=tuple(dict.fromkeys((*u.series, *(m.name for m in found)))),
                   act="recommend" if u.act == "chit_chat" else u.act)


@dataclass(frozen=True)
class SlateSubject:
    """What the slate is about beyond the ranking: a series asked for, else a subject ("about dogs")."""

    label: str = ""  # for the reply's lead: "James Bond films", "about dogs"
    films: frozenset[str] = frozenset()  # the films that lead the ranked list
    series: bool = False  # a series was asked for: the franchise cap gives way

    def note(self, card_ids: Sequence[str]) -> str:
        """Said after the lead when the series' films did not fill the slate (" Only 1 of these is one of
        the James Bond films; ..."), so "(James Bond films)" is never printed above other films alone.
        A subject's films ("about dogs") are only the ones its words find first, so no note for those."""
        n = sum(1 for i in card_ids if i in self.films)
        if not self.series or not card_ids or n == len(card_ids):
            return ""
        if not n:
            return f" None of the {self.label} I know fits that (or I have shown them all), so these are other picks."
        rest = len(card_ids) - n
        others = "the other one is another pick" if rest == 1 else f"the other {rest} are other picks"
        return f" Only {n} of these {'is one of' if n == 1 else 'are'} the {self.label}; {others}."


def slate_subject(recommender: Any, cat: Any, req: Any, wish_text: Sequence[str], index: Any) -> SlateSubject:
    """The newest wish message's series (``index.find``), else the subject its words name (``wish_topic``)."""
    for text in reversed(wish_text):
        found = index.find(text) if index is not None else []
        if found:
            films = frozenset().union(*(m.films for m in found))
            return SlateSubject(" and ".join(dict.fromkeys(m.name for m in found)) + " films", films, True)
    topic = wish_topic(wish_text)
    if not topic:
        return SlateSubject()
    return SlateSubject(f"about {topic}", subject_films(recommender, cat, req, topic))
