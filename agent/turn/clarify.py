"""Answers to our own question: "Did you mean The Matrix?" → "yes".

Why a stage of its own: when a title does not resolve, the turn asks ("Did you mean …?", "Which
“It” do you mean: It (1990) or It (2017)?") and remembers what it asked. The user's answer —
"yes", "the second one", "the 2017 one", "It (1990)" — carries no preference by itself; its meaning
is the *earlier* message with the title settled. So the answer is turned back into that message,
with the user's words for the film replaced by the chosen catalog title, and the ordinary parser
reads it: "i loved teh matrx" + "yes" is understood exactly as "i loved The Matrix (1999)",
polarity and all, without a second set of sentiment rules.

A message that is not an answer (a new request) simply drops the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agent.turn.message_act import WHY
from agent.turn.state_update import UnresolvedTitle
from agent.turn.wish_genres import audience_requires
from tools.text import fold, normalise_name

_YES = re.compile(r"^\s*(?:yes|yeah|yea|yep|yup|ya|y|sure|right|correct|exactly|indeed|ok(?:ay)?|that(?:'s| is) "
                  r"(?:it|the one|right|correct)|that one|(?:yes,? )?(?:i|I) did|of course)\b", re.I)
_NO = re.compile(r"^\s*(?:no|nope|nah|neither|none of (?:them|those)|not (?:that|those|really))\b", re.I)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "last": -1}
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|last)\b|(?:^|\s|#|number\s)([1-4])\s*$", re.I)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
#: an option's closing "(1996)": stripped to compare titles, read to compare years
_PAREN_YEAR = re.compile(r"\s*\(((?:19|20)\d\d)\)\s*$")
#: an answer is short; a long message is a new request even if it starts with "yes"
MAX_ANSWER_WORDS = 8


@dataclass(frozen=True)
class PendingClarification:
    """What we asked about: the message it came from, the user's words for the film, the options."""

    text: str
    surface: str
    options: tuple[tuple[str, str], ...]  # (item_id, display title), in the order the question listed them

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "surface": self.surface, "options": [list(o) for o in self.options]}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> PendingClarification | None:
        if not d or not d.get("options"):
            return None
        return cls(str(d.get("text", "")), str(d.get("surface", "")),
                   tuple((str(i), str(t)) for i, t in d["options"]))


def pending_for(text: str, unresolved: Sequence[UnresolvedTitle], max_options: int = 4) -> PendingClarification | None:
    """The question to remember for ``text`` (only one unclear title per question, with options)."""
    for u in unresolved:
        if u.candidates and u.surface:
            return PendingClarification(text, u.surface, tuple((c.item_id, c.title) for c in u.candidates[:max_options]))
    return None


def answer_to(text: str, pending: PendingClarification | None,
              credits: Callable[[str], Sequence[str]] | None = None) -> str | None:
    """The earlier message with the title settled, when ``text`` answers ``pending``; else ``None``.

    "yes" settles a question with one option (with several it is no choice, and we ask again by
    returning None). An ordinal ("the second one"), a year ("the 2017 one"), an option's own
    title or a person in only one option's ``credits`` (item id -> cast and directors: "the one
    with Al Pacino", "the Pacino one") picks that option. "no"/"neither" is an answer too, but
    settles nothing (None).
    A why-question ("why the second one?") is never an answer: it asks about a card already
    shown, and its ordinal names that card, not one of our options.
    """
    if pending is None or not pending.options:
        return None
    words = text.split()
    if not words or len(words) > MAX_ANSWER_WORDS or _NO.match(text) or WHY.search(text):
        return None
    chosen = (_by_title(text, pending.options) or _by_year(text, pending.options)
              or (_by_person(text, pending.options, credits) if credits else None) or _by_ordinal(text, pending.options))
    if chosen is None and _YES.match(text) and len(pending.options) == 1:
        chosen = pending.options[0]
    if chosen is None:
        return None
    return settle(pending.text, pending.surface, chosen[1])


def declines(text: str) -> bool:
    """"no", "neither", "none of them": none of the options we offered."""
    return bool(_NO.match(text))


def _by_title(text: str, options: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    low = _norm(text)
    hits = [o for o in options if _norm(o[1]) and _norm(o[1]) in low]
    if len(hits) > 1:  # "It (2017)" names both "It" and "It (2017)" loosely: the longest match wins
        hits = [h for h in hits if _norm(h[1]) == max((_norm(x[1]) for x in hits), key=len)]
    if len(hits) == 1:
        return hits[0]
    bare = [o for o in options if _norm(_PAREN_YEAR.sub("", o[1])) and low == _norm(_PAREN_YEAR.sub("", o[1]))]
    return bare[0] if len(bare) == 1 else None


def _by_year(text: str, options: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """The option from the year the user names, or from the year next to it when no option has that
    year: catalogs date a film by its release in one country or another ("the 1995 one" is the
    Heat ReDial dates 1996), so a year off by one still picks the one option it is near."""
    years = {int(y) for y in _YEAR.findall(text)}
    if not years:
        return None
    for slack in (0, 1):
        hits = [o for o in options if (m := _PAREN_YEAR.search(o[1])) and any(abs(int(m.group(1)) - y) <= slack
                                                                                 for y in years)]
        if hits:
            return hits[0] if len(hits) == 1 else None
    return None


def _by_person(text: str, options: tuple[tuple[str, str], ...],
               credits: Callable[[str], Sequence[str]]) -> tuple[str, str] | None:
    """The one option whose cast or directors include someone the answer names, in full or by a
    surname of four letters or more ("Pacino"); None when nobody or several options match."""
    said = normalise_name(text)
    words, low = set(said.split()), f" {said} "

    def named(person: str) -> bool:
        full = normalise_name(person)
        last = full.split()[-1] if full else ""
        return bool(full) and (f" {full} " in low or (len(last) >= 4 and last in words))

    hits = [o for o in options if any(named(p) for p in credits(o[0]) or ())]
    return hits[0] if len(hits) == 1 else None


def _by_ordinal(text: str, options: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    m = _ORDINAL.search(text.strip())
    if not m:
        return None
    n = _ORDINALS[m.group(1).lower()] if m.group(1) else int(m.group(2))
    if n == -1:
        return options[-1]
    return options[n - 1] if 1 <= n <= len(options) else None


def settle(text: str, surface: str, title: str) -> str:
    """``text`` with the user's words for the film replaced by the catalog title (case-insensitive)."""
    pattern = re.compile(re.escape(surface), re.I)
    if pattern.search(text):
        return pattern.sub(lambda _m: title, text, count=1)
    return f"{text} ({title})"


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9() ]+", "", fold(s)).strip()


def pick_by_context(unresolved: Sequence[UnresolvedTitle], audience: str | None, genres: Sequence[str],
                    genres_of: Callable[[str], Sequence[str] | None]) -> tuple[str, str] | None:
    """(the user's words, the display title) of the one option of an ambiguous title that the wish
    itself picks, else None: then we ask.

    Why: "something to watch with my 6 year old", then "she loved Frozen" asked which Frozen --
    the 2013 Disney film, a 2010 horror film or a 2007 drama -- though only one of them is a film
    for a child. The audience (else the asked genres) must leave exactly one option; "I liked It"
    with nothing else said still gets the question. ``genres_of``: item id -> its genres (None if
    not in the catalog).
    """
    wanted = frozenset(audience_requires(audience)) or frozenset(g.lower() for g in genres)
    if not wanted:
        return None
    for u in unresolved:
        if u.reason != "ambiguous" or len(u.candidates) < 2:
            continue
        fit = [c for c in u.candidates if wanted & {g.lower() for g in (genres_of(c.item_id) or ())}]
        if len(fit) == 1:
            return u.surface, fit[0].title
    return None
