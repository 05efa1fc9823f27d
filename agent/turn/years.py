"""When and for whom: decades, year ranges, "older"/"newer", and the audience a message names.

Why a module of its own: these slots are read off the masked message independently of titles
and polarity, each by its own small grammar ("the late 80s", "between 1990 and 1995", "for my
6 year old"); they are the parser's constraints rather than its preferences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

ERA = (("older", re.compile(r"\b(older|classics?|old[- ]school|vintage|old (?:movies?|films?|ones|stuff)|"
                            r"(?:too|very|really|that) old|golden age)\b", re.I)),
        ("newer", re.compile(r"\b(newer|more recent|recent|latest|modern|new releases?|newest|"
                            r"not (?:too|that|so) long ago|(?:the )?(?:last|past) (?:few|couple(?: of)?) years)\b",
                            re.I)))
_DECADE = re.compile(r"\b(?:(early|mid|late)[- ])?(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b|"
                     r"\b(?:(early|mid|late)[- ])?(fifties|sixties|seventies|eighties|nineties)\b", re.I)
_DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
_YEAR_RANGES = (
    ("between", re.compile(r"\b(?:between|from)\s+((?:19|20)\d\d)\s*(?:and|to|-|–)\s*((?:19|20)\d\d)\b", re.I)),
    ("min", re.compile(r"\b(?:after|since|newer than|post|later than)\s+((?:19|20)\d\d)\b|"
                       r"\b((?:19|20)\d\d)\s*(?:or later|or newer|onwards?|and (?:later|up|newer)|\+)", re.I)),
    ("max", re.compile(r"\b(?:before|older than|pre|prior to|until|up to|earlier than)\s+((?:19|20)\d\d)\b|"
                       r"\b((?:19|20)\d\d)\s*(?:or (?:earlier|older|before))", re.I)),
    ("exact", re.compile(r"\b(?:from|in|of)\s+((?:19|20)\d\d)\b(?!\s*(?:and|to|-|or|onwards?))", re.I)),
)
_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_AUDIENCE = (
    ("young_children", re.compile(r"\b(toddlers?|preschool\w*|little ones|(young|small|little) (kids|children|ones)|"
                                  r"([1-9]|one|two|three|four|five|six|seven|eight|nine)[- ]?(year|yr)s?[- ]old|"
                                  r"[1-9] ?(yo|y/o)\b|ages? [1-8]\b)", re.I)),
    ("family", re.compile(r"\b((with|for) (the|my|our) (kids|children|family|son|daughter)|family (movie )?night|"
                          r"whole family|kid[- ]friendly|all ages|(my|our) kids|1[0-5][- ]?(year|yr)s?[- ]old|(a|for) kids|"
                          r"kids['’]? (movie|film)s?)\b", re.I)),
    ("date_night", re.compile(r"\b(date night|a date|on a date|(with|for) my (girlfriend|boyfriend|wife|husband|partner|"
                              r"date)|romantic evening|date (movie|film|flick)s?|"
                              # "my girlfriend and I loved ...", "me and my wife": a couple choosing together
                              r"my (girlfriend|boyfriend|wife|husband|partner|fianc[eé]e?) and (i|me)|"
                              r"(i|me) and my (girlfriend|boyfriend|wife|husband|partner|fianc[eé]e?))\b", re.I)),
    ("adults", re.compile(r"\b(adults? only|grown[- ]ups|no kids|for adults|mature)\b", re.I)),
    # "something my grandma would enjoy" listed Black Panther, It and Get Out
    ("older_viewers", re.compile(r"\b(grand(ma|pa|mother|father|parents?|mom|dad|ad)s?|nana|granny|grannies|elderly|"
                                 r"seniors?|senior citizens?|retirement (home|community)|nursing home|old folks?)\b",
                                 re.I)),
)


#: a negation just before a year cue turns its direction around: "nothing older than 2000",
#: "I don't want anything before 1990" ask for films from 2000 / 1990 on (at most three words between)
_NEGATED = re.compile(r"(?:\b(?:nothing|no|not|none|never|without|dont|anything but|except)|n't)"
                      r"(?:\s+[\w-]+){0,3}\s*$", re.I)
_YEAR_AHEAD = re.compile(r"\s+than\s+(?:19|20)\d\d\b", re.I)


def _negated(masked: str, start: int) -> bool:
    return bool(_NEGATED.search(masked[:start]))


def era_of(masked: str) -> str | None:
    """"older"/"newer" when the message asks for old or new films without naming a year, and "older than
    2000" is a year bound, not an era. A negated "old" ("nothing too old", "no old movies") is "not_old":
    it rules out old films, it does not ask for newer ones than those just shown; a negated "new"
    ("nothing too recent") asks for older ones."""
    for name, rx in ERA:
        for m in rx.finditer(masked):
            if _YEAR_AHEAD.match(masked, m.end()):
                continue
            if _negated(masked, m.start()):
                return "not_old" if name == "older" else "older"
            return name
    return None


def year_bounds(masked: str) -> tuple[int | None, int | None]:
    lo: int | None = None
    hi: int | None = None
    for m in _DECADE.finditer(masked):
        if m.group(6):
            base, part = _DECADE_WORDS[m.group(6).lower()], m.group(5)
        elif m.group(2):
            base, part = int(m.group(2) + m.group(3) + "0"), m.group(1)
        else:
            d = int(m.group(4))
            base, part = (2000 + d * 10 if d <= 2 else 1900 + d * 10), m.group(1)
        a, b = base, base + 9
        part = (part or "").lower()
        a, b = (base, base + 4) if part == "early" else (base + 5, base + 9) if part == "late" else (
            (base + 3, base + 7) if part == "mid" else (a, b))
        lo, hi = min(a, lo or a), max(b, hi or b)
    for kind, rx in _YEAR_RANGES:
        for m in rx.finditer(masked):
            vals = [int(g) for g in m.groups() if g]
            if kind == "between":
                lo, hi = min(vals), max(vals)
            elif kind == "min" and _negated(masked, m.start()):
                hi = vals[0] - (1 if m.group(0).lower().startswith("since") else 0)  # "nothing after 1990"
            elif kind == "min":
                lo = vals[0] + (1 if m.group(0).lower().startswith("after") else 0)
            elif kind == "max" and _negated(masked, m.start()):
                lo = vals[0]  # "nothing older than 2000", "not before 1990"
            elif kind == "max":
                hi = vals[0] - (1 if m.group(0).lower().startswith("before") else 0)
            elif kind == "exact" and lo is None and hi is None:
                lo = hi = vals[0]
    return lo, hi


#: a film said not to be for children: "a christmas movie that isn't for kids" asked for family films
#: ("for kids" matched); "not just for kids" still is a family film
_NOT_FOR_KIDS = re.compile(r"\b(?:not|isn['’]?t|aren['’]?t|nothing|no)\s+(?:(?:really|meant|made|suitable|appropriate)\s+)?"
                           r"(?:for\s+(?:the\s+|my\s+|our\s+)?(?:kids|children|little ones)|(?:a\s+)?kids['’]?\s+"
                           r"(?:movie|film)s?|kid[- ]friendly|family[- ]friendly)\b", re.I)


def audience_of(masked: str) -> str | None:
    """Who the film is for: a named audience, or one implied by a child's age ("for my 6 year old")."""
    if _NOT_FOR_KIDS.search(masked):
        return "adults"
    audience = next((name for name, rx in _AUDIENCE if rx.search(masked)), None)
    m_age = re.search(r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
                      r"(?:[- ]?(?:year|yr)s?[- ]old| ?(?:yo|y/o)\b)", masked, re.I)
    if m_age:
        age = int(m_age.group(1)) if m_age.group(1).isdigit() else _NUMBER_WORDS[m_age.group(1).lower()]
        audience = "young_children" if age <= 9 else "family" if age <= 15 else audience
    return audience


def slate_years(catalog: Any, ids: Sequence[str]) -> list[int]:
    """The known years of the films ``ids`` (a slate): what "older"/"newer" move past when the user
    asked for no years (``dialogue.apply_update``), read the same way by a live turn and a replay."""
    return [y for i in ids if i in catalog and (y := catalog.get(i).year)]
