"""Deterministic reading of a user message: preferences, constraints, intent.

Why deterministic: state tracking must work when the LLM is down (degraded mode) and
must not depend on a 135M model's accuracy; the LLM's ``record_preference`` calls add
to it but never replace it. Rules are simple and tested: the sentiment of the clause a
title appears in ("loved X", "hated Y", "more like Z"), decades and year bounds,
genre words ("scarier" -> horror), and a few intents (greeting, off-topic, asking for
the system prompt or other people's data).

Only the no-ranker turn (agent/turn/scorer_turn.py) reads messages this way; the live turn
uses the parser in agent/turn/understand.py. ``apply_understanding`` folds the result into the
``DialogueState`` and ``default_query`` turns it into the retrieval query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.errors import InputError
from tools.resolve.title_resolution import TitleMatch
from tools.resolve.titles import TitleResolver

_POS = re.compile(
    r"\b(lov(e|ed|es|ing)|lik(e|ed|es)|enjoy(ed|s)?|adore[ds]?|favou?rite|great|awesome|amazing|fantastic|"
    r"brilliant|fan of|big fan|into|more like|similar to|something like|like|such as)\b", re.I)
_NEG = re.compile(
    r"\b(hat(e|ed|es)|dislik(e|ed|es)|didn'?t (like|enjoy)|did not (like|enjoy)|don'?t (like|want)|"
    r"do not (like|want)|not a fan|can'?t stand|boring|awful|terrible|worst|no more|not (that|this)|"
    r"not into|nothing like|sick of|tired of)\b", re.I)
_SEEN = re.compile(r"\b(already (saw|seen|watched)|have seen|i'?ve seen|watched it|seen it|saw it)\b", re.I)

#: user words -> canonical genre/tag words used in the catalog
GENRE_WORDS: dict[str, str] = {
    "scary": "horror", "scarier": "horror", "horror": "horror", "creepy": "horror", "spooky": "horror",
    "frightening": "horror", "terrifying": "horror",
    "funny": "comedy", "funnier": "comedy", "comedy": "comedy", "comedies": "comedy", "hilarious": "comedy",
    "laugh": "comedy",
    "romantic": "romance", "romance": "romance", "romcom": "romance", "love story": "romance",
    "action": "action", "explosions": "action",
    "animated": "animation", "animation": "animation", "cartoon": "animation", "pixar": "animation",
    "disney": "animation",
    "sci-fi": "science fiction", "scifi": "science fiction", "science fiction": "science fiction",
    "space": "science fiction",
    "thriller": "thriller", "thrillers": "thriller", "suspense": "thriller", "suspenseful": "thriller",
    "documentary": "documentary", "documentaries": "documentary",
    "family": "family", "kids": "family", "children": "family",
    "superhero": "superhero", "superheroes": "superhero", "marvel": "superhero",
    "war": "war", "western": "western", "westerns": "western", "musical": "musical", "musicals": "musical",
    "crime": "crime", "mystery": "mystery", "mysteries": "mystery", "fantasy": "fantasy", "drama": "drama",
    "dramas": "drama", "sad": "drama", "adventure": "adventure",
}
_GENRE_RE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in GENRE_WORDS), key=len, reverse=True)) + r")\b", re.I)
_NEG_GENRE_RE = re.compile(r"\b(no|not|nothing|without|less|too|isn'?t|aren'?t|non)\s+(too\s+|very\s+|so\s+)?(\w+[- ]?\w*)", re.I)
_DECADE_RE = re.compile(r"\b(?:the\s+)?(?:(19|20)?(\d)0)'?s\b", re.I)
_AFTER_RE = re.compile(r"\b(?:after|since|newer than|from|post)\s+(\d{4})\b", re.I)
_BEFORE_RE = re.compile(r"\b(?:before|older than|pre|until|up to|prior to)\s+(\d{4})\b", re.I)
_BETWEEN_RE = re.compile(r"\bbetween\s+(\d{4})\s+(?:and|-)\s+(\d{4})\b", re.I)

_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|evening|afternoon)|thanks|thank you|bye|goodbye)\b[\s!.?]*$", re.I)
_PROMPT_LEAK = re.compile(
    r"(system prompt|your (instructions|prompt|rules)|ignore (all |the |your |previous |prior )*(instructions|rules)|"
    r"developer mode|jailbreak|reveal .*prompt|print .*prompt|repeat .*(instructions|prompt)|"
    r"you are now|act as (an? )?(unrestricted|dan)|disregard .*instructions)", re.I)
_OTHER_DATA = re.compile(
    r"(other (users?|people|customers)'?s?|another user|someone else'?s|all users|every user|user id|"
    r"session id|sessions? of|their (history|data|chats?)|support password|admin password|password|"
    r"database|sql|drop table|delete (all|the) (data|rows|records)|write to the (store|database))", re.I)
_MOVIE_WORDS = re.compile(
    r"\b(movie|movies|film|films|watch|watched|recommend|recommendation|suggest|suggestion|show me|something|"
    r"seen|cinema|genre|actor|director|like|liked|love|loved|more|another|else|older|newer|recent|classic)\b", re.I)
_OLDER = re.compile(r"\b(older|classic|classics|old school|vintage)\b", re.I)
_NEWER = re.compile(r"\b(newer|recent|latest|modern|new release|new ones?)\b", re.I)


@dataclass
class Understanding:
    liked: list[TitleMatch] = field(default_factory=list)
    disliked: list[TitleMatch] = field(default_factory=list)
    seen: list[TitleMatch] = field(default_factory=list)
    mentioned: list[TitleMatch] = field(default_factory=list)
    tags_include: list[str] = field(default_factory=list)
    tags_exclude: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    older: bool = False
    newer: bool = False
    intent: str = "recommend"  # recommend | greeting | off_topic | prompt_leak | other_data | more_like
    anchor: TitleMatch | None = None  # "more like X"

    @property
    def has_preferences(self) -> bool:
        return bool(self.liked or self.disliked or self.seen or self.tags_include or self.tags_exclude
                    or self.year_min or self.year_max or self.older or self.newer)


def _clause(text: str, span: tuple[int, int]) -> str:
    """The clause around a title: split on sentence marks and 'but'/'though'."""
    left = max(text.rfind(sep, 0, span[0]) for sep in (".", "!", "?", ";", " but ", " though ", " however "))
    right_candidates = [text.find(sep, span[1]) for sep in (".", "!", "?", ";", " but ", " though ", " however ")]
    right = min([r for r in right_candidates if r != -1], default=len(text))
    return text[left + 1 if left >= 0 else 0 : right]


def understand(text: str, resolver: TitleResolver) -> Understanding:
    u = Understanding()
    if _PROMPT_LEAK.search(text):
        u.intent = "prompt_leak"
        return u
    if _OTHER_DATA.search(text):
        u.intent = "other_data"
        return u
    matches = resolver.find(text)
    for m in matches:
        clause = _clause(text, m.span)
        local = clause.replace(m.surface, " ")
        if _SEEN.search(local) and not _POS.search(local):
            u.seen.append(m)
        elif _NEG.search(local):
            u.disliked.append(m)
        elif _POS.search(local):
            u.liked.append(m)
        else:
            u.mentioned.append(m)
        if re.search(r"\b(more like|similar to|something like|movies like|films like|like)\s*$",
                     text[: m.span[0]], re.I):
            u.anchor = u.anchor or m
    # genre words; a negation right before the word excludes it
    negated_spans = []
    for neg in _NEG_GENRE_RE.finditer(text):
        word = neg.group(3).lower()
        canon = GENRE_WORDS.get(word) or GENRE_WORDS.get(word.split()[0])
        if canon and neg.group(1).lower() != "less" and not (neg.group(1).lower() == "too" and neg.group(2)):
            u.tags_exclude.append(canon)
            negated_spans.append(neg.span())
        elif canon and neg.group(1).lower() in ("less", "too"):
            u.tags_exclude.append(canon)
            negated_spans.append(neg.span())
    title_spans = [m.span for m in matches]
    for g in _GENRE_RE.finditer(text):
        if any(s <= g.start() < e for s, e in negated_spans + title_spans):
            continue
        canon = GENRE_WORDS[g.group(1).lower()]
        if canon not in u.tags_include and canon not in u.tags_exclude:
            u.tags_include.append(canon)
    # years
    if (m := _BETWEEN_RE.search(text)):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        u.year_min, u.year_max = a, b
    else:
        for m in _DECADE_RE.finditer(text):
            century, decade = m.group(1), int(m.group(2))
            base = int(century + str(decade) + "0") if century else (2000 + decade * 10 if decade <= 2 else 1900 + decade * 10)
            u.year_min, u.year_max = base, base + 9
        if (m := _AFTER_RE.search(text)):
            u.year_min = int(m.group(1))
        if (m := _BEFORE_RE.search(text)):
            u.year_max = int(m.group(1))
    u.older = bool(_OLDER.search(text))
    u.newer = bool(_NEWER.search(text))
    if u.anchor is not None and not u.disliked:
        u.intent = "more_like"
    elif not matches and not u.has_preferences:
        if _GREETING.match(text):
            u.intent = "greeting"
        elif not _MOVIE_WORDS.search(text):
            u.intent = "off_topic"
    return u


def apply_understanding(state: Any, u: Understanding, catalog: Any) -> None:
    """Fold a legacy ``Understanding`` into the state (likes, years, "older"/"newer", tags)."""
    for m in u.liked:
        state.like(m.item_id)
    for m in u.disliked:
        state.dislike(m.item_id)
    for m in u.seen:
        state.mark_seen(m.item_id)
    for m in u.mentioned:
        state.mention(m.item_id)
    c = state.constraints
    if u.year_min is not None or u.year_max is not None:
        c.year_min, c.year_max = u.year_min, u.year_max
    shown_years = sorted(y for y in (catalog.get(i).year for i in state.shown[-10:]) if y)
    if u.older and not u.year_max:
        c.year_max = (shown_years[len(shown_years) // 2] - 1) if shown_years else 1995
        c.year_min = None if c.year_min and c.year_min > c.year_max else c.year_min
    if u.newer and not u.year_min:
        c.year_min = (shown_years[len(shown_years) // 2] + 1) if shown_years else 2010
        c.year_max = None if c.year_max and c.year_max < c.year_min else c.year_max
    for t in u.tags_exclude:
        if t in c.tags_include:
            c.tags_include.remove(t)
        if t not in c.tags_exclude:
            c.tags_exclude.append(t)
    for t in u.tags_include:
        if t in c.tags_exclude:
            c.tags_exclude.remove(t)
        if t not in c.tags_include:
            c.tags_include.append(t)
    c.tags_include[:] = c.tags_include[-3:]
    try:
        c.validate()
    except InputError:
        c.year_min, c.year_max = c.year_max, c.year_min


def default_query(text: str, state: Any, catalog: Any) -> str:
    """The message plus genre/tag words of the last liked films and the asked-for tags (≤ 500 chars)."""
    liked = [catalog.get(i) for i in state.liked[-3:]]
    extra: list[str] = []
    for it in liked:
        extra.extend((*it.genres[:2], *it.tags[:3]))
    extra.extend(state.constraints.tags_include)
    seen = set(text.lower().split())
    words = [w for w in dict.fromkeys(extra) if w and w.lower() not in seen]
    return " ".join([text, *words]).strip()[:500]
