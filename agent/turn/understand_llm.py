"""LLM filler: ask the chat model for the same ``StateUpdate``, keep only what checks out.

Why: the parser misses phrasings its rules do not cover ("a flick that makes me laugh out
loud"); a model can read those, but a small model also invents titles, people and years.
So the model fills a strict JSON schema (enums for act, genres, moods, audience -- the
request goes through :func:`agent.llm.structured.structured_call`, the one structured-output
helper), and then every field is validated before it may touch the dialogue state:

- a title must resolve to exactly one catalog film AND appear in the user's own words
  (fuzzy), so a film the model "remembers" but the user never named is dropped;
- a person must be in the catalog's people index and in the user's words;
- genres/moods must be in the vocabulary; a year must be one the user wrote (+-1) or lie in a
  decade the user wrote -- a film's "(1979)" does not count (measured: SmolLM2 otherwise
  copies title years into year constraints); ``why_rank`` must point into the last slate.

The result is merged with the parser's: the parser wins every conflict (same title with
another polarity, a genre liked by one and disliked by the other, a year or act it set),
validated LLM fields only fill what the parser left empty. If the server is down or
answers garbage, the parser's result comes back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from rapidfuzz import fuzz

from agent.llm.structured import LLMOutputError, structured_call
from agent.turn.state_update import ACTS, AUDIENCES, MOODS, StateUpdate, TitleRef, UnresolvedTitle
from tools.catalog.movie_genres import CLEAN_GENRES, genre_parts
from tools.errors import LLMUnavailableError
from tools.resolve.people import PeopleIndex
from tools.resolve.title_resolution import normalise
from tools.resolve.titles import TitleResolver

MAX_ITEMS = 6
#: How closely a title/name the model returns must match some part of the user's text (rapidfuzz partial ratio).
TEXT_MATCH = 85.0
_TITLE_SLOTS = ("liked", "disliked", "seen", "more_like")
_LIST_SLOTS = _TITLE_SLOTS + ("genres_liked", "genres_disliked", "moods", "people_liked", "people_disliked")
_DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}

SYSTEM_PROMPT = (
    "You read one message from a user of a movie recommender and fill a JSON object describing it. "
    "act: recommend (asks for movies or states tastes), refine (changes the last request: scarier, older, more X), "
    "replace (drops the earlier request: 'instead'), reject_slate (rejects the suggestions shown), ask_why (asks why "
    "a suggestion was made), chit_chat, off_topic, prompt_leak, other_data. Titles and names exactly as the user "
    "wrote them; only titles the user wrote. liked/disliked/seen: films the user liked, disliked, has seen. "
    "more_like: films the user wants something similar to. Years only if the user gave them. Empty lists and "
    "null when the message does not say."
)


def llm_schema() -> dict[str, Any]:
    """The JSON schema the model must fill (strict: every key present, enums for closed sets)."""
    def strings(max_len: int = 80) -> dict:
        return {"type": "array", "maxItems": MAX_ITEMS, "items": {"type": "string", "maxLength": max_len}}

    def enum_list(values: Sequence[str]) -> dict:
        return {"type": "array", "maxItems": MAX_ITEMS, "items": {"type": "string", "enum": list(values)}}

    props: dict[str, Any] = {
        "act": {"type": "string", "enum": list(ACTS)},
        **{slot: strings() for slot in _TITLE_SLOTS},
        "genres_liked": enum_list(CLEAN_GENRES), "genres_disliked": enum_list(CLEAN_GENRES),
        "moods": enum_list(MOODS), "people_liked": strings(60), "people_disliked": strings(60),
        "audience": {"type": ["string", "null"], "enum": [*AUDIENCES, None]},
        "year_min": {"type": ["integer", "null"]}, "year_max": {"type": ["integer", "null"]},
        "why_rank": {"type": ["integer", "null"]},
    }
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _in_text(name: str, text: str) -> bool:
    a, b = normalise(name), normalise(text)
    return bool(a) and (a in b or fuzz.partial_ratio(a, b) >= TEXT_MATCH)


def _year_check(text: str):
    """A predicate: is this year one the user's words give (a year +-1, or inside a named decade)?"""
    plain = re.sub(r"\(\s*\d{4}\s*\)", " ", text)
    years = {int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", plain)}
    decades = set()
    for m in re.finditer(r"\b(?:(19|20)(\d)0|'?(\d)0)'?s\b|\b(fifties|sixties|seventies|eighties|nineties)\b", plain,
                         re.I):
        if m.group(4):
            decades.add(_DECADE_WORDS[m.group(4).lower()])
        elif m.group(1):
            decades.add(int(m.group(1) + m.group(2) + "0"))
        else:
            d = int(m.group(3))
            decades.add(2000 + 10 * d if d <= 2 else 1900 + 10 * d)

    def ok(value: Any) -> int | None:
        if not isinstance(value, int) or not 1880 <= value <= date.today().year + 2:
            return None
        if any(abs(value - y) <= 1 for y in years) or any(b <= value <= b + 9 for b in decades):
            return value
        return None

    return ok


def validate_llm_update(raw: dict[str, Any], text: str, resolver: TitleResolver, *,
                        people: PeopleIndex | None = None, last_slate: Sequence[str] = ()) -> StateUpdate:
    """The model's JSON as a ``StateUpdate`` holding only fields that pass the checks above."""
    if not isinstance(raw, dict):
        raise LLMOutputError(f"the model returned {type(raw).__name__}, not a JSON object")
    out: dict[str, Any] = {"act": raw.get("act") if raw.get("act") in ACTS else "recommend", "source": "llm"}
    unresolved: list[UnresolvedTitle] = []
    for slot in _TITLE_SLOTS:
        refs = []
        for title in (raw.get(slot) or [])[:MAX_ITEMS]:
            if not isinstance(title, str) or not _in_text(title, text):
                continue
            res = resolver.resolve(title)
            if res.status == "resolved" and res.item is not None:
                refs.append(TitleRef(res.item.item_id, title, res.item.title))
            elif res.status == "ambiguous":
                unresolved.append(UnresolvedTitle(title, tuple(TitleRef(c.item.item_id, title, c.item.display_title)
                                                               for c in res.candidates[:5]), "ambiguous"))
        out[slot] = tuple(refs)
    for slot, vocab in (("genres_liked", CLEAN_GENRES), ("genres_disliked", CLEAN_GENRES), ("moods", MOODS)):
        out[slot] = tuple(dict.fromkeys(g for g in raw.get(slot) or () if g in vocab))
    for slot in ("people_liked", "people_disliked"):
        names = []
        for name in raw.get(slot) or ():
            canon = people.canonical(name) if (people is not None and isinstance(name, str)) else None
            if canon and _in_text(name, text):
                names.append(canon)
        out[slot] = tuple(dict.fromkeys(names))
    out["audience"] = raw.get("audience") if raw.get("audience") in AUDIENCES else None
    year_ok = _year_check(text)
    out["year_min"], out["year_max"] = year_ok(raw.get("year_min")), year_ok(raw.get("year_max"))
    if out["year_min"] and out["year_max"] and out["year_min"] > out["year_max"]:
        out["year_min"] = out["year_max"] = None
    rank = raw.get("why_rank")
    out["why_rank"] = rank if isinstance(rank, int) and last_slate and 1 <= rank <= len(last_slate) else None
    out["unresolved"] = tuple(unresolved)
    return StateUpdate(**out)


def merge(parsed: StateUpdate, llm: StateUpdate) -> StateUpdate:
    """Parser first; validated LLM fields only where the parser said nothing (see module docstring).

    A title the parser only saw as "mentioned" may take the model's polarity (that is not a conflict).
    """
    placed = {r.item_id for slot in _TITLE_SLOTS for r in getattr(parsed, slot)}
    changes: dict[str, Any] = {}
    # a title the parser saw without a verdict ("mentioned") is no conflict: the model may give it one
    upgraded = {r.item_id for slot in _TITLE_SLOTS for r in getattr(llm, slot)} - placed
    if upgraded & {r.item_id for r in parsed.mentioned}:
        changes["mentioned"] = tuple(r for r in parsed.mentioned if r.item_id not in upgraded)
    for slot in _TITLE_SLOTS:
        extra = tuple(r for r in getattr(llm, slot) if r.item_id not in placed)
        placed |= {r.item_id for r in extra}
        if extra:
            changes[slot] = getattr(parsed, slot) + extra
    decided_genres = set(parsed.genres_liked) | set(parsed.genres_disliked)
    decided_genres |= {p for g in decided_genres for p in genre_parts(g)}  # "comedy+romance" decides both
    for slot in ("genres_liked", "genres_disliked", "moods", "people_liked", "people_disliked"):
        other = {"genres_liked": "genres_disliked", "genres_disliked": "genres_liked",
                 "people_liked": "people_disliked", "people_disliked": "people_liked"}.get(slot)
        taken = set(getattr(parsed, slot)) | (set(getattr(parsed, other)) if other else set())
        if slot.startswith("genres"):
            taken |= decided_genres
        extra = tuple(v for v in getattr(llm, slot) if v not in taken)
        if extra:
            changes[slot] = getattr(parsed, slot) + extra
    for slot in ("audience", "why_rank"):
        if getattr(parsed, slot) is None and getattr(llm, slot) is not None:
            changes[slot] = getattr(llm, slot)
    if parsed.year_min is None and parsed.year_max is None and (llm.year_min or llm.year_max):
        changes["year_min"], changes["year_max"] = llm.year_min, llm.year_max
    known = {normalise(u.surface) for u in parsed.unresolved}
    extra_un = tuple(u for u in llm.unresolved if normalise(u.surface) not in known)
    if extra_un:
        changes["unresolved"] = parsed.unresolved + extra_un
    # the act: the parser's, except its no-content fallbacks when the model found validated content
    if parsed.act in ("off_topic", "chit_chat") and llm.act not in ("off_topic", "chit_chat") and changes:
        changes["act"] = llm.act if llm.act not in ("prompt_leak", "other_data") else "recommend"
    if not changes:
        return parsed
    return parsed.with_(source="llm", **changes)


def messages_for(text: str, last_slate: Sequence[str] = ()) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    slate = f"Suggestions just shown: {json.dumps(list(last_slate))}\n" if last_slate else ""
    return [SystemMessage(SYSTEM_PROMPT), HumanMessage(f"{slate}User message: {text}")]


def understand_with_llm(text: str, chat_model: Any, resolver: TitleResolver, *, people: PeopleIndex | None = None,
                        last_slate: Sequence[str] = (), parsed: StateUpdate | None = None,
                        retries: int = 0) -> StateUpdate:
    """Parser result merged with the model's validated reading; the parser's alone if the model fails."""
    if parsed is None:
        from agent.turn.understand import parse

        parsed = parse(text, resolver, people=people, last_slate=last_slate)
    if parsed.act in ("prompt_leak", "other_data"):
        return parsed  # never hand an injection attempt to the model
    try:
        raw = structured_call(chat_model, messages_for(text, last_slate), llm_schema(), name="state_update",
                              retries=retries)
        llm = validate_llm_update(raw, text, resolver, people=people, last_slate=last_slate)
    except (LLMOutputError, LLMUnavailableError):
        return parsed
    return merge(parsed, llm)
