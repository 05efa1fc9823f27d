"""Deterministic parser: one user message -> one :class:`StateUpdate`.

Why rules and not only the LLM: state tracking must work when the LLM is down and must not
hinge on a 135M model; the LLM filler (``understand_llm``) may add to this result but
every field it adds is validated. The rules are general, not per-phrase:

1. title spans come from the catalog index (``TitleResolver.scan``) but are accepted only
   when they look like titles: quoted, followed by a year, title-cased (not a lone
   everyday word opening a sentence), right after a strong cue ("loved X", "seen X",
   "something like X"), or -- in lower case -- in a title slot with evidence about the film
   (``title_slots``: "loved alien and the thing", "avatar was sooo boring"); so "get out
   tonight", "up for", "i like it" or "the thing is" are never titles; typos in a slot
   resolve when sure and become a "did you mean ...?" question when not;
2. the text is cut into clauses (sentence marks, but/though/however/except, and "and"/","
   when a new clause starts), and every title, genre and person takes the polarity of the
   nearest cue before it in its clause, flipped by a negator ("don't like", "haven't
   seen"), or a negator alone ("no horror", "not directed by"), or a verdict after it
   ("Avatar was boring"); "liked it" in the next clause carries back to the titles before;
3. the act comes from the whole message (why-questions, slate rejection, "instead",
   comparatives, greetings), with prompt-leak / other-data checks first.

This module holds :func:`parse` and the placing of titles (rule 1 with rule 2); the rest lives
in one module per concept: the title acceptor and slots (``title_slots``), typos and unknown
titles (``title_typos``), the genre and mood words (``lexicon``), clauses and polarity (``polarity``, rule 2), the message's act and "why"
target (``message_act``, rule 3), and years, eras and audiences (``years``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.turn.card_refs import card_refs
from agent.turn.lexicon import (
    GENRE_RE,
    GENRE_WORDS,
    GORE_KIND,
    GORE_RE,
    GORE_WANTED,
    KIND_RE,
    KIND_WORDS,
    MOOD_RE,
    MOOD_WORDS,
    RESERVED,
    fix_taste_typos,
    unsupported_wishes,
)
from agent.turn.message_act import OTHER_DATA, PROMPT_LEAK, WHY, message_act, new_anchor, why_target_in
from agent.turn.polarity import ACCEPT_RX, CARRY, mask, polarity, split_clauses
from agent.turn.state_update import StateUpdate, TitleRef, UnresolvedTitle
from agent.turn.title_context import settle_by_context
from agent.turn.title_slots import VERDICT_NEG as _VERDICT_NEG
from agent.turn.title_slots import VERDICT_POS as _VERDICT_POS
from agent.turn.title_slots import make_acceptor
from agent.turn.title_typos import near_misses, typo_plausible, unknown_titles, unresolved_title
from agent.turn.years import audience_of, era_of, year_bounds
from tools.catalog.movie_genres import compound_genre
from tools.catalog.movie_kinds import KINDS
from tools.resolve.people import PeopleIndex
from tools.resolve.titles import SpanMatch, TitleResolver

_DESCRIBES = re.compile(r"\b(that movie|this movie|that one|it'?s|that'?s|(?:it|that|this|they)(?=\s*(?:was|is|were|are)\b))"
                        r"\s*(was|is|were|are)?\s+"
                        r"((so|really|very|pretty|also|still|just|a|an|good|and)\s+)*(\w+)", re.I)
#: "too scary", "too much action", "less romantic", "fewer explosions": the user wants less of the genre
#: or mood named next
_TOO = re.compile(r"\b(too|less|fewer)\s+(much\s+|many\s+)?$", re.I)
#: the later films of a series named without their titles ("hated the sequels", "the follow-ups were awful")
_SEQUELS = re.compile(r"\b(sequels?|follow[- ]ups?|later (?:ones|films|movies))\b", re.I)


def _wants_less(masked: str, start: int) -> bool:
    """Does a "too"/"less"/"fewer" just before ``start`` turn the genre or mood there around?"""
    return bool(_TOO.search(masked[max(0, start - 12):start]))


#: words that add a wish to the earlier ones ("also", "as well", "and some comedy", "... too") rather
#: than change it; "too" only closing a clause ("a comedy too"), never "too scary"
_ADDITIVE = re.compile(r"\b(also|as well|plus|besides|in addition|both|mix(ed)? (of|with)|combin\w+)\b|^\W*and\b|"
                       r"\btoo\b(?=\s*(?:[.!?,;)]|please\b|$))", re.I)


def genre_phrases(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Genre words as phrases: (start, end, genres). Adjacent genre words are one phrase
    ("romantic comedies", "horror comedy", "rom-coms"): a film that is all of them."""
    out: list[tuple[int, int, tuple[str, ...]]] = []
    for m in GENRE_RE.finditer(text):
        genres = GENRE_WORDS[m.group(1).lower()]
        if out and not text[out[-1][1]:m.start()].strip(" -"):
            s, _, prev = out.pop()
            out.append((s, m.end(), tuple(dict.fromkeys((*prev, *genres)))))
        else:
            out.append((m.start(), m.end(), genres))
    return out

def _ref(sm: SpanMatch) -> TitleRef:
    item = sm.resolution.item
    if item is None:
        raise ValueError("only resolved spans become TitleRefs")
    return TitleRef(item.item_id, sm.surface, item.title)


#: a mood the user turns down -> the mood they are asking for instead ("not too sad" -> light); moods
#: without a clear opposite ("not scary": a comedy? a drama?) ask for nothing
#: a wish said as how the films on the table should change ("funnier", "scarier"): with "instead" it still
#: changes those films rather than starting over (``_relative_to_slate``)
_COMPARATIVE = re.compile(r"\b(funnier|scarier|darker|lighter|sadder|happier|sillier|creepier|gorier|weirder)\b", re.I)
_OPPOSITE_MOOD = {"sad": "light", "dark": "light"}


def parse(text: str, resolver: TitleResolver, *, people: PeopleIndex | None = None,
          last_slate: Sequence[str] = ()) -> StateUpdate:
    """Read one message; ``last_slate`` holds the titles just shown (for "why the second one?")."""
    text = fix_taste_typos((text or "").strip())
    if not text:
        return StateUpdate(act="chit_chat")
    if PROMPT_LEAK.search(text):
        return StateUpdate(act="prompt_leak")
    if OTHER_DATA.search(text):
        return StateUpdate(act="other_data")
    person_hits = people.find(text) if people is not None else []
    person_spans = [(p.start, p.end) for p in person_hits]
    accept = make_acceptor(text, resolver, RESERVED)
    spans = [s for s in resolver.scan(text, lambda t, a, b, k, f: accept(t, a, b, k, f)
                                      and not any(a < pe and ps < b for ps, pe in person_spans))
             if typo_plausible(s, resolver)]
    typo_spans, typo_asks = near_misses(text, resolver, [(s.start, s.end) for s in spans] + person_spans, RESERVED)
    spans = settle_by_context(sorted(spans + typo_spans, key=lambda s: s.start), text, [p.name for p in person_hits])
    ask_spans = [sp for sp, _ in typo_asks]
    title_spans = [(s.start, s.end + (len(m.group(0)) if (m := re.match(r"\s*\(\d{4}\)", text[s.end:])) else 0))
                   for s in spans]
    masked = mask(text, title_spans + person_spans + ask_spans)
    clauses = split_clauses(text, title_spans)

    def clause_of(pos: int) -> tuple[int, int]:
        return next((c for c in clauses if c[0] <= pos < c[1]), (0, len(text)))

    buckets, unresolved = _place_titles(masked, spans, title_spans, clauses, clause_of)
    placed = {r.item_id for refs in buckets.values() for r in refs}
    refs = [] if WHY.search(text) else card_refs(text, masked, last_slate, resolver, clause_of)
    for pol, ref in refs:  # "more like the second one": the card's film, as if its title were typed
        if ref.item_id not in placed:
            placed.add(ref.item_id)
            buckets[pol].append(ref)
    unresolved += [u for _, u in typo_asks]
    unresolved += unknown_titles(text, resolver, title_spans + person_spans + ask_spans, unresolved, GENRE_WORDS)
    unknown = {u.surface for u in unresolved if u.reason == "unknown"}
    masked = mask(masked, [(m.start(), m.end()) for surface in unknown
                           for m in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", text)])
    # "Airplane was hilarious", "that movie is funny": a verdict on a film, not a wish for a genre
    verdicts = [(e + m.start(), e + m.end()) for _, e in title_spans
                for rx in (_VERDICT_POS, _VERDICT_NEG) if (m := rx.match(text[e:]))]
    verdicts += [m.span(5) for m in _DESCRIBES.finditer(masked)]
    masked_g = mask(masked, verdicts)
    genres_liked: list[str] = []
    genres_disliked: list[str] = []
    for start, end, genres in genre_phrases(masked_g):
        pol = polarity(masked, clause_of(start), start, end, "liked")
        if _wants_less(masked, start):
            pol = "disliked"  # "too scary for my gf": less of it, not more
        if pol == "disliked" and len(genres) > 1:
            # "I hate romantic comedies" rules out romantic comedies, not every romance and every comedy
            genres = (compound_genre(genres),)
        target = genres_disliked if pol == "disliked" else genres_liked
        for g in genres:
            if g not in genres_liked and g not in genres_disliked:
                target.append(g)
    moods = []
    for m in MOOD_RE.finditer(masked_g):
        mood = MOOD_WORDS[m.group(1).lower()]
        if (polarity(masked, clause_of(m.start()), m.start(), m.end(), "liked") == "disliked"
                or _wants_less(masked, m.start())):
            # "not too sad", "nothing dark", "less dark", "too scary": the wish is the other side of it
            mood = _OPPOSITE_MOOD.get(mood, "")
        if mood and mood not in moods:
            moods.append(mood)
    kinds, kinds_disliked = wished_kinds(masked_g, masked, clause_of)
    for k in kinds:  # "a mob movie", "a heist": the kind's own genre when no genre word names it
        if (g := KINDS[k].genre) and g not in genres_liked and g not in genres_disliked:
            genres_liked.append(g)
    people_liked: list[str] = []
    people_disliked: list[str] = []
    for p in person_hits:
        pol = polarity(masked, clause_of(p.start), p.start, p.end, "liked")
        (people_disliked if pol == "disliked" else people_liked).append(p.name)
    sequels_disliked = any(polarity(masked, clause_of(m.start()), m.start(), m.end(), "mentioned") == "disliked"
                           for m in _SEQUELS.finditer(masked))
    year_min, year_max = year_bounds(masked)
    era = era_of(masked)
    audience = audience_of(masked)
    why_rank, why_item = None, None
    said_about_films = bool(spans or refs or person_hits or genres_liked or genres_disliked or moods or kinds
                            or year_min or year_max or audience or unresolved or era)
    act = message_act(text, masked, said_about_films, bool(last_slate))
    if act == "refine" and (buckets["liked"] or buckets["more_like"]) and new_anchor(masked):
        act = "replace"
    if act == "replace" and _relative_to_slate(masked_g, era, bool(spans or refs or person_hits or kinds or year_min
                                                                 or year_max or audience or unresolved)):
        # "something older instead" after "I loved Amélie" listed Groundhog Day, Monty Python and Titanic, and
        # "something funnier instead" after "I loved Inception" Grown Ups and Zoolander: a wish said only
        # relative to the films on the table asks for their kind changed that way, as "The Godfather but
        # funnier" does; the wish, its words and the liked film stay ("80s horror", then "older instead": older horror)
        act = "refine"
    wishes = buckets["liked"] or buckets["disliked"] or buckets["more_like"] or genres_liked or genres_disliked or kinds
    if act == "recommend" and not wishes and re.search(ACCEPT_RX + r"\s+(out\s+)?_", masked, re.I):
        act = "chit_chat"  # "I'll check out Step Brothers, thanks": taking a suggestion, no new preference
    if act == "ask_why" or (WHY.search(text) and last_slate):
        why_rank, why_item = why_target_in(text, resolver, last_slate, spans)
        if why_rank is not None or why_item is not None or act == "ask_why":
            act = "ask_why"
    return StateUpdate(
        act=act, liked=tuple(buckets["liked"]), disliked=tuple(buckets["disliked"]), seen=tuple(buckets["seen"]),
        mentioned=tuple(buckets["mentioned"]), more_like=tuple(buckets["more_like"]),
        genres_liked=tuple(genres_liked), genres_disliked=tuple(genres_disliked), moods=tuple(moods),
        people_liked=tuple(dict.fromkeys(people_liked)), people_disliked=tuple(dict.fromkeys(people_disliked)),
        audience=audience, year_min=year_min, year_max=year_max, relative_era=era,  # type: ignore[arg-type]
        why_rank=why_rank, why_item=why_item, unresolved=tuple(unresolved), additive=bool(_ADDITIVE.search(text)),
        unsupported=unsupported_wishes(masked_g), sequels_disliked=sequels_disliked, kinds=kinds,
        kinds_disliked=kinds_disliked)


def _relative_to_slate(masked_g: str, era: str | None, said_absolute: bool) -> bool:
    """The message's only wish is relative to the films on the table: "older"/"newer" (``era``) or a
    comparative ("something funnier instead", "darker instead please") -- no film, person, kind, years or
    audience (``said_absolute``), and no genre or mood word besides the comparative."""
    if said_absolute or not (era in ("older", "newer") or _COMPARATIVE.search(masked_g)):
        return False
    rest = _COMPARATIVE.sub(" ", masked_g)
    return not genre_phrases(rest) and not MOOD_RE.search(rest)


def wished_kinds(masked_g: str, masked: str, clause_of) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(kinds asked for, kinds ruled out) (``lexicon.KIND_WORDS``).

    A kind turned down ("no slashers") asks for none (its genre word, if any, rules the genre out as
    before); a turned-down origin ("nothing with subtitles", "no French films") or a kind no genre word names
    ("tired of cop movies", "no time travel") is ruled out. Gore is not in the catalog, but its nearest facts are: "nothing with gore", "not too
    bloody" rule out slasher and splatter films, "something gory" asks for them (``lexicon.GORE_RE``)."""
    liked: list[str] = []
    disliked: list[str] = []

    def turned_down(m: re.Match[str]) -> bool:
        return polarity(masked, clause_of(m.start()), m.start(), m.end(), "liked") == "disliked" or _wants_less(
            masked, m.start())

    for m in KIND_RE.finditer(masked_g):
        k = KIND_WORDS[m.group(1).lower()]
        if not turned_down(m):
            if k not in liked:
                liked.append(k)
        elif KINDS[k].is_origin or m.group(1).lower() not in GENRE_WORDS:
            # "nothing with subtitles", "no French films", "tired of cop movies", "no time travel": no genre word
            # says it, so the kind itself is ruled out ("no heist movies" rules out crime by its genre word)
            disliked.append(k)
    for m in GORE_RE.finditer(masked_g):
        if turned_down(m):
            disliked.append(GORE_KIND)
        elif m.group(1).lower() in GORE_WANTED:
            liked.append(GORE_KIND)
    disliked = [k for k in dict.fromkeys(disliked) if k not in liked]
    return tuple(dict.fromkeys(liked)), tuple(disliked)


def _place_titles(masked: str, spans: Sequence[SpanMatch], title_spans: list[tuple[int, int]],
                  clauses: list[tuple[int, int]], clause_of) -> tuple[dict[str, list[TitleRef]], list[UnresolvedTitle]]:
    """Resolved spans into polarity buckets (rule 2); ambiguous/unknown spans into ``unresolved``."""
    buckets: dict[str, list[TitleRef]] = {k: [] for k in ("liked", "disliked", "seen", "mentioned", "more_like")}
    unresolved: list[UnresolvedTitle] = []
    placed: dict[str, tuple[str, tuple[int, int]]] = {}
    for sm, (_, end) in zip(spans, title_spans, strict=True):
        if sm.resolution.status != "resolved":
            unresolved.append(unresolved_title(sm.surface, sm.resolution))
            continue
        ref, clause = _ref(sm), clause_of(sm.start)
        pol = polarity(masked, clause, sm.start, end, "mentioned")
        if ref.item_id not in placed:
            placed[ref.item_id] = (pol, clause)
            buckets[pol].append(ref)
    # "I saw X, and loved it": a pronoun verdict in a title-less clause carries back to the clause before
    for i, clause in enumerate(clauses[1:], 1):
        m = CARRY.search(masked, clause[0], clause[1])
        if not m or any(c == clause for _, c in placed.values()):
            continue
        pol = polarity(masked, clause, m.end(), m.end(), "mentioned") if m.group(1) else (
            "disliked" if m.group(9).lower() in ("terrible", "awful", "boring", "bad") else "liked")
        if pol not in ("liked", "disliked"):
            continue
        for item_id, (old, c) in list(placed.items()):
            if c == clauses[i - 1] and old in ("seen", "mentioned"):
                ref = next(r for r in buckets[old] if r.item_id == item_id)
                buckets[old].remove(ref)
                buckets[pol].append(ref)
                placed[item_id] = (pol, c)
    return buckets, unresolved
