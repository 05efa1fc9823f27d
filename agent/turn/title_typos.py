"""Near misses and unknown titles: what the parser turns into a question instead of a guess.

Why a module of its own: resolving a span (agent/turn/title_slots.py) decides *where* a title
may stand; this module decides what to do when the words there match no film exactly -- a
confident typo resolves, a close phrase becomes "did you mean ...?", a title-shaped name after a
strong cue that matches nothing becomes "I don't know that film" -- so nothing the user named
is silently replaced by a look-alike.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from agent.turn.state_update import TitleRef, UnresolvedTitle
from agent.turn.title_slots import CHAT_WORDS, EVERYDAY, MAX_ITEM_WORDS, SEP_SPLIT, SMALL, TASTE_ANY
from tools.resolve.title_resolution import (
    _COMMON_WORDS,
    ASK_CUTOFF,
    FUZZY_CUTOFF,
    Resolution,
    distinct_films,
    normalise,
)
from tools.resolve.titles import SpanMatch, TitleResolver

_LEAD = re.compile(r"\s*(?:(?:both|all|the movies?|the films?|movies?|films?)\s+)*", re.I)
_REGION_END = re.compile(r"[.!?;:()]|\bbut\b", re.I)
#: a word no title in a taste list runs into ("loved X so much", "saw X with my dad", "liked X, what next?")
_ITEM_STOP = re.compile(r"(?:^|\s+)(?=(?:but|because|cause|since|so|when|what|how|is|was|were|are|too|also|a lot|lol|"
                        r"haha\w*|again|last|yesterday|twice|more|better|ever|with|i|i'm|we|it|you|any|anything|"
                        r"something|please|pls|plz|thanks)\b)", re.I)


def _segments(text: str) -> list[tuple[int, int]]:
    """The items of every list a taste verb opens ("loved X and Y, what next?": X, Y)."""
    out: list[tuple[int, int]] = []
    for cue in TASTE_ANY.finditer(text):
        stop_at = m.start() if (m := _REGION_END.search(text, cue.end())) else len(text)
        pos = cue.end()
        for sep in [*SEP_SPLIT.finditer(text, pos, stop_at), None]:
            s, e = pos, sep.start() if sep else stop_at
            s = _LEAD.match(text, s, e).end()  # type: ignore[union-attr]  # (it matches the empty string)
            cut = _ITEM_STOP.search(text[s:e])
            e = s + cut.start() if cut else e
            if e > s:
                out.append((s, e))
            if cut or sep is None:
                break
            pos = sep.end()
    return out


#: the article typed fast ("i loved teh matrx"): read as "the" before a taste-list item is matched, since a
#: typo match must agree on the title's first letter and "teh" would hide it
_ARTICLE_TYPO = re.compile(r"^(?:teh|hte|tge|thw)\b", re.I)


def _distinctive(key: str) -> bool:
    return any(w not in EVERYDAY and w not in SMALL for w in key.split())


def near_misses(text: str, resolver: TitleResolver, covered: list[tuple[int, int]],
                reserved: Collection[str]) -> tuple[list[SpanMatch], list[tuple[tuple[int, int], UnresolvedTitle]]]:
    """Typos in taste lists that ``scan`` left: (confident, unambiguous matches as resolved spans,
    "did you mean ...?" questions with their spans for the rest). Only distinctive phrases are
    tried, against distinctive titles: "the otters" is not The Others, "the ending" is not asked about."""
    spans: list[SpanMatch] = []
    asks: list[tuple[tuple[int, int], UnresolvedTitle]] = []
    for s, e in _segments(text):
        if any(s < ce and cs < e for cs, ce in covered):
            continue
        surface = text[s:e]
        fixed = _ARTICLE_TYPO.sub("the", surface)
        key = normalise(fixed)
        content = _content(key)
        # one short word is as often an ordinary word ("stories" ~ Stripes) -- unless an article makes it a title
        lone_short = len(content) == 1 and len(content[0]) < 6 and not key.startswith("the ")
        if (not content or len(key.split()) > MAX_ITEM_WORDS or not _distinctive(key) or key in reserved
                or lone_short or (resolver.exact(key) and fixed == surface)
                or any(w in ("movie", "movies", "film", "films") for w in content)):
            continue
        res = resolver.resolve(fixed, nearest=False)
        if res.status == "resolved" and res.score >= FUZZY_CUTOFF:
            sm = SpanMatch(s, e, surface, None, res)
            if typo_plausible(sm, resolver, any_case=True):
                spans.append(sm)
            continue
        # one word close to a title is as often another word ("stories" ~ Stripes): only phrases are asked about
        near = [(k, sc) for k, sc in resolver.near(key, cutoff=ASK_CUTOFF) if _distinctive(k)]
        if len(content) < 2 or not near:
            continue
        reason = "ambiguous" if res.status == "ambiguous" else "typo"
        films = [c.item for c in res.candidates] if reason == "ambiguous" else [resolver.exact(k)[0] for k, _ in near]
        refs = tuple({f.item_id: TitleRef(f.item_id, surface, f.display_title) for f in films}.values())[:3]
        asks.append(((s, e), UnresolvedTitle(surface, refs, reason)))  # type: ignore[arg-type]
    return spans, asks


def typo_plausible(sm: SpanMatch, resolver: TitleResolver, *, any_case: bool = False) -> bool:
    """May a typo match stand? A tie between two films is worth a question only for a phrase (one
    word, "Bridges", is as close to Brides as to The Bridge); a lower-case one must land on a
    distinctive title ("the otters" is not The Others), a one-word one on a popular film ("the
    trailer" is not The Thriller); and a plural is a word, not a typo ("spiders" is not Spider)."""
    res = sm.resolution
    if res.score >= 100 or resolver.short_name(sm.surface) is not None:
        return True  # the title as written, or a film's short name ("Shawshank", "LOTR"): no typo to doubt
    key = normalise(sm.surface)
    if res.item is None:
        return len(_content(key)) >= 2
    if not any_case and sm.surface != sm.surface.lower():
        return True
    title = normalise(res.item.title)
    if any(_plural_of(key, v) or _plural_of(v, key) for v in (title, title.removeprefix("the "))):
        return False
    return _distinctive(title) and (len(_content(title)) >= 2 or res.item.popularity >= resolver.popular_floor)


def _plural_of(a: str, b: str) -> bool:
    """``a`` is ``b`` with a plural "s" ("spiders"/"spider"); "expres" is not a singular of "express"
    (lower-case "something like pineapple expres" is a typo of Pineapple Express)."""
    return a == b + "s" and not b.endswith("s")


def _content(key: str) -> list[str]:
    return [w for w in key.split() if w not in SMALL]


def unresolved_title(surface: str, res: Resolution) -> UnresolvedTitle:
    """An ambiguous or unknown span as the question's input: what the user wrote, the films to offer."""
    films = [c.item for c in res.candidates]
    if res.status == "ambiguous":  # the same film listed twice is offered once ("Frozen (2010)" or "Frozen (2010)"?)
        films = distinct_films(films)
    cands = tuple(TitleRef(f.item_id, surface, f.display_title) for f in films[:5])
    return UnresolvedTitle(surface, cands, "ambiguous" if res.status == "ambiguous" else "unknown")


#: a capitalised run after a strong cue ("recommend me Zorbulax Returns 3"), a quoted phrase (double
#: quotes, or single ones that open after a space and close before a non-letter: "I'm" and "don't" are no
#: quotes), or a message that is nothing but a title-cased run (a user typing just a title)
UNKNOWN_RUN = re.compile(r"(?:\b(?i:recommend me|loved|liked|love|like|enjoyed|adored|hated|seen|saw|watched|similar to|"
                         r"called|titled|"
                         r"such as)\s+(?i:the\s+)?)((?:[A-Z0-9][\w'’:-]*)(?:\s+(?:(?:of|the|a|and|in|on|to)\s+)?"
                         r"[A-Z0-9][\w'’:-]*)*)|[\"“]([^\"”]{2,60})[\"”]|(?:(?<=^)|(?<=[\s(]))['‘]([^\s'’][^'’\n]{1,59})['’](?!\w)"
                         # a whole message that is only a title-cased run of two words or more ("Zorbulax Returns 3")
                         r"|^\s*((?:[A-Z0-9][\w'’:-]*)(?:\s+(?:(?:of|the|a|and|in|on|to)\s+)?[A-Z0-9][\w'’:-]*)+)\s*[.!?]*\s*$")


#: words that join titles in a run, never the ends of an unknown title ("Zorbulax Returns 3 and Heat")
_JOINERS = re.compile(r"^(?:(?:and|or)\s+)+|(?:\s+(?:and|or|of|in|on|to|the|a))+$", re.I)


#: "and"/"or"/"&" between two capitalised words of a run
_RUN_JOIN = re.compile(r"\s+(?:(?i:and|or)|&)\s+(?=[A-Z0-9])")  # "And" too: a message typed in title case


def _uncovered(s: int, e: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[s, e) without the spans already read as titles or names, as pieces."""
    pieces, pos = [], s
    for cs, ce in sorted((max(s, cs), min(e, ce)) for cs, ce in covered if s < ce and cs < e):
        if cs > pos:
            pieces.append((pos, cs))
        pos = max(pos, ce)
    if pos < e:
        pieces.append((pos, e))
    return pieces


def unknown_titles(text: str, resolver: TitleResolver, covered: list[tuple[int, int]],
                   known: list[UnresolvedTitle], reserved: Collection[str]) -> list[UnresolvedTitle]:
    """Title-shaped words after a strong cue ("recommend me X", "loved X") or in quotes that name no
    film: the reply says it does not know them instead of recommending something else silently.

    A run that holds a known title too ("I loved Zorbulax Returns 3 and Heat") is read without it:
    what is left ("Zorbulax Returns 3") is judged on its own, the joining "and" dropped."""
    out: list[UnresolvedTitle] = []
    for m in UNKNOWN_RUN.finditer(text):
        g = next(n for n in (1, 2, 3, 4) if m.group(n))
        for s, e in _uncovered(m.start(g), m.end(g), covered):
            surface = _JOINERS.sub("", text[s:e].strip(" ,;")).strip(" ,;")
            words = normalise(surface).split()
            if (not words or (g == 1 and not surface[:1].isupper() and not surface[:1].isdigit())
                    or all(w in _COMMON_WORDS for w in words)
                    # a bare message: "Hello There", "Horror Movies" and "Thanks Again" are no titles
                    or (g == 4 and (any(w in reserved or w in CHAT_WORDS for w in words) or len(words) < 2))
                    or normalise(surface) in reserved or surface in {u.surface for u in known + out}):
                continue
            res = resolver.resolve(surface, fuzzy=False)
            if res.status == "resolved":
                continue
            pieces = _joined_pieces(surface) if g in (1, 4) else []
            if not pieces:
                out.append(unresolved_title(surface, res))
                continue
            for piece in pieces:
                if normalise(piece) in reserved or piece in {u.surface for u in known + out}:
                    continue
                part = resolver.resolve(piece, fuzzy=False)
                if part.status != "resolved":
                    out.append(unresolved_title(piece, part))
    return out


def _joined_pieces(surface: str) -> list[str]:
    """The capitalised pieces of an unknown run joined by "and"/"or" ("Parasite and Knives Out"), or [].

    Why: neither film is in the catalog, and "I don't know a film called “Parasite and Knives
    Out”" reads as if WhyRec took two films for one. A run whose whole is a catalog title ("Pride
    and Prejudice") never gets here; an unknown single title with "and" in it is named in pieces,
    which still says plainly that WhyRec does not know it."""
    pieces = [p.strip(" ,;") for p in _RUN_JOIN.split(surface)]
    if len(pieces) < 2 or not all(p[:1].isupper() or p[:1].isdigit() for p in pieces) \
            or any(all(w in _COMMON_WORDS for w in normalise(p).split()) for p in pieces):
        return []
    return pieces
