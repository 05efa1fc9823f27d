"""Dialogue state ← a message's ``StateUpdate``; dialogue state → the recommender's ``RecRequest``.

Why both directions in one module: a live turn applies each message as it arrives and
the ReDial benchmark replays a whole dialogue through the very same two functions, so the
request the ranker sees is built identically in both (issue: "one code path").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agent.state import Constraints, DialogueState
from agent.turn.state_update import StateUpdate
from agent.turn.wish_genres import (
    AUDIENCE_GENRES,
    MOOD_GENRES,
    MOOD_QUERY_WORDS,
    NOT_OLD_FROM,
    audience_requires,
)
from tools.catalog.movie_kinds import KINDS
from tools.recsys.request import RecRequest
from tools.text import normalise_name


def _merge(target: list[str], add: Iterable[str], remove_from: list[str]) -> None:
    for g in add:
        if g in remove_from:
            remove_from.remove(g)
        if g not in target:
            target.append(g)


def _wished_genres(genres: Iterable[str], moods: Iterable[str]) -> set[str]:
    """The genres a wish points at: those named, and those its moods prefer."""
    return set(genres) | {g for m in moods for g in MOOD_GENRES.get(m, ((), ()))[0]}


def switches_genres(c: Constraints, u: StateUpdate) -> bool:
    """Does ``u`` ask for other genres than the ones on the table, without saying "also"?

    "80s horror please", then "something funny": a comedy from the 80s, not a horror comedy (the
    years, people and audience stay; only what kind of film changes). "Something funny too" or "a
    scary one that is also funny" adds instead; a wish sharing a genre with the old one ("scary"
    after horror, "a darker comedy" after comedies) refines it.
    """
    if u.additive or u.act not in ("recommend", "refine"):
        return False
    # a kind with no genre of its own ("coming-of-age" after "80s horror") is a new kind of film too
    new = _wished_genres(u.genres_liked, u.moods) | {f"kind:{k}" for k in u.kinds if k in KINDS and not KINDS[k].genre}
    old = _wished_genres(c.tags_include, c.moods)
    return bool(new and old and not new & old)


def new_anchor_only(u: StateUpdate) -> bool:
    """"Something like Pineapple Express" and nothing else: the film is the whole wish, so the genres,
    years and people asked for before (80s horror) no longer apply; "like Alien but from the 90s" or
    "... too" keeps them."""
    return bool(u.more_like) and u.act in ("recommend", "refine") and not _says_more_than_a_film(u)


def _says_more_than_a_film(u: StateUpdate) -> bool:
    """The message wishes for something besides the film it names (a genre, mood, kind, person, years,
    audience, or "... too")."""
    return bool(u.genres_liked or u.moods or u.kinds or u.people_liked or u.year_min is not None
                or u.year_max is not None or u.relative_era or u.audience or u.additive)


def asks_about_one_film(u: StateUpdate, question: bool) -> bool:
    """"Is The Matrix any good?" and nothing else: the talk turns to that film, and the reply's slate is
    "movies like The Matrix", so the genres, moods and years wished for before (classic horror for
    grandma) no longer describe it; what was ruled out (and the audience) still holds."""
    return question and len(u.mentioned) == 1 and u.act in ("recommend", "refine") and not (
        u.liked or u.more_like or u.disliked or _says_more_than_a_film(u))


def apply_update(state: DialogueState, u: StateUpdate, shown_years: Sequence[int] = (), *,
                 question: bool = False) -> bool:
    """Fold one message's update into the state (in place).

    ``shown_years``: years of the films on the last slate, for "older"/"newer" with no year given;
    ``question``: the message asks something ("...?"), so one film named alone is what it asks about.
    Returns whether the message starts a fresh wish ("…instead", a switch to other genres, or
    "something like X" alone): the earlier messages' words then no longer describe what the user wants.
    """
    c = state.constraints
    switch = switches_genres(c, u)
    if switch:
        c.tags_include.clear()
        c.moods.clear()
        c.kinds.clear()
    anchor = new_anchor_only(u) or asks_about_one_film(u, question)
    if anchor:
        c.tags_include.clear()
        c.moods.clear()
        c.kinds.clear()
        c.people_include.clear()
        c.year_min = c.year_max = None
    if u.audience and u.audience != c.audience:
        # "80s horror", later "my 6 year old loved Frozen": the child outranks the earlier wish (a genre
        # named in the same message still counts: "a scary movie for my 10 year old")
        ruled = set(AUDIENCE_GENRES.get(u.audience, ((), ()))[1]) - set(u.genres_liked)
        c.tags_include[:] = [g for g in c.tags_include if g not in ruled]
        c.moods[:] = [m for m in c.moods if m in u.moods or not set(MOOD_GENRES.get(m, ((), ()))[0]) <= ruled]
    if u.act == "replace":
        # "…instead" replaces the wish, not the taste: genres and people the user can't stand stay out
        kept_genres, kept_people, kept_kinds = list(c.tags_exclude), list(c.people_exclude), list(c.kinds_exclude)
        c.clear()
        c.tags_exclude[:], c.people_exclude[:], c.kinds_exclude[:] = kept_genres, kept_people, kept_kinds
    if u.more_like and u.act in ("recommend", "refine"):
        # the film the wish is like anchors the slate, with or without more words ("The Godfather but
        # funnier": films like it among comedies, the crime comedies first)
        state.focus = list(dict.fromkeys(r.item_id for r in u.more_like))
    elif u.liked or u.more_like or switch or u.act == "replace" or (
            (u.people_liked or (u.audience and u.audience != c.audience)) and not u.additive):
        # a new taste or a new wish ("something with Tom Hanks", "something for my kids"): the anchor no
        # longer describes it; "... too" adds to the anchored wish instead
        state.focus = []
    for ref in (*u.liked, *u.more_like):
        state.like(ref.item_id)
    for ref in u.disliked:
        state.dislike(ref.item_id)
    for ref in u.seen:
        state.mark_seen(ref.item_id)
    for ref in u.left_out:
        state.leave_out(ref.item_id)
    for ref in u.mentioned:
        state.mention(ref.item_id)
    if u.additive and u.genres_liked:
        # "something funny", then "some horror too": asked genres outrank moods, so the mood's own
        # genre joins them or the comedy would be lost
        _merge(c.tags_include, (MOOD_GENRES[m][0][0] for m in c.moods
                                if m in MOOD_GENRES and len(MOOD_GENRES[m][0]) == 1), c.tags_exclude)
    _merge(c.tags_exclude, u.genres_disliked, c.tags_include)
    _merge(c.tags_include, u.genres_liked, c.tags_exclude)
    c.tags_include[:] = c.tags_include[-3:]
    _merge(c.people_exclude, (normalise_name(p) for p in u.people_disliked), c.people_include)
    _merge(c.people_include, (normalise_name(p) for p in u.people_liked), c.people_exclude)
    for m in u.moods:
        if m not in c.moods:
            c.moods.append(m)
    c.moods[:] = c.moods[-3:]
    if u.kinds:  # "a heist movie", then "a gangster one": the newer kind, unless "... too"
        if not u.additive:
            c.kinds.clear()
        _merge(c.kinds, u.kinds, c.kinds_exclude)
        c.kinds[:] = c.kinds[-3:]
    _merge(c.kinds_exclude, u.kinds_disliked, c.kinds)
    if u.audience:
        c.audience = u.audience
    if u.year_min is not None or u.year_max is not None:
        c.year_min, c.year_max = u.year_min, u.year_max
    elif u.relative_era == "not_old":  # "nothing too old": what most viewers call old goes, the rest stays
        c.year_min = max(c.year_min or NOT_OLD_FROM, NOT_OLD_FROM)
        if c.year_max is not None and c.year_max < c.year_min:
            c.year_max = None
    elif u.relative_era is not None:
        # older / newer than the years asked for ("80s horror", then "older": before 1980), else than the
        # films of ``era_reference`` (their median year); "80s horror" after an Amélie slate and "older" gave
        # films up to 1998
        years = sorted(shown_years)
        mid = years[len(years) // 2] if years else None
        if u.relative_era == "older":
            edge = c.year_min if c.year_min is not None else mid
            c.year_max, c.year_min = (edge - 1 if edge else 1995), None
        else:
            edge = c.year_max if c.year_max is not None else mid
            c.year_min, c.year_max = (edge + 1 if edge else 2010), None
    if c.year_min is not None and c.year_max is not None and c.year_min > c.year_max:
        c.year_min, c.year_max = c.year_max, c.year_min
    if u.act == "reject_slate":
        state.reject_slate()
    return switch or anchor or u.act == "replace"


def era_reference(state: DialogueState, u: StateUpdate) -> list[str]:
    """The films "older"/"newer" move past (``apply_update``'s ``shown_years`` are theirs): the film ``u`` is
    anchored on ("something like Alien but newer"), else the liked films the last slate was like, else that
    slate. "something like Jurassic Park" (1993), then "older instead", gave Waterworld and Independence Day:
    the slate's median year (its sequels', 1997) was the edge."""
    return ([r.item_id for r in u.more_like] or [i for i in state.slate_liked if i in state.liked]
            or list(state.last_slate))


def liked_the_slate_fits(state: DialogueState, u: StateUpdate, fresh: bool) -> list[str]:
    """The liked films the slate is like (``DialogueState.slate_liked``, after ``apply_update``): the anchor of a
    "something like X" wish, else the films this message says were loved; a refinement naming no film, or
    "none of those", keeps the last slate's: "I loved Inception", then "something funnier instead" listed
    Game Night, Bad Moms and The Hangover, comedies owing Inception nothing."""
    return [i for i in state.focus if i in state.liked] or [
        r.item_id for r in u.liked if r.item_id in state.liked] or (
        [i for i in state.slate_liked if i in state.liked]
        if u.act in ("refine", "reject_slate") and not fresh else [])


def request_for(state: DialogueState, recent_user_text: Sequence[str], *, exclude_mentioned: bool = True) -> RecRequest:
    """The ranker's request for this state; ``recent_user_text`` are the user's last messages, newest last."""
    c = state.constraints
    audience_prefer, rule_out = AUDIENCE_GENRES.get(c.audience or "", ((), ()))
    # an audience's genres stand in for a wish that names no film: after "something my grandma would enjoy",
    # "Is The Matrix any good?" listed About Time, The Proposal and Click (its rule-outs still hold)
    if state.liked or state.focus or state.mentioned:
        audience_prefer = ()
    prefer, mood_prefer = audience_prefer, ()
    for m in c.moods:
        p, r = MOOD_GENRES.get(m, ((), ()))
        prefer, rule_out, mood_prefer = (*prefer, *p), (*rule_out, *r), (*mood_prefer, *p)
    prefer = tuple(dict.fromkeys(prefer))
    # genres the user asked for outrank what the audience or mood suggests ("a romantic movie for date night")
    include = [g for g in (c.tags_include or prefer)
               if g not in c.tags_exclude and (c.tags_include or g not in rule_out)]
    exclude_genres = [g for g in (*c.tags_exclude, *rule_out) if g not in c.tags_include]
    # a film for children or for family night is a family or animation film whatever else was asked:
    # "a comedy for family night" is Paddington, not Bad Moms; "a scary movie for my 10 year old" is
    # Coraline, never It or Get Out
    require = audience_requires(c.audience)
    if require and set(c.tags_include) & set(AUDIENCE_GENRES[c.audience][1]) and "thriller" not in c.tags_include:
        exclude_genres.append("thriller")  # catalogs tag some adult horror as "family" too
    words = " ".join(recent_user_text[-2:])
    mood = " ".join(MOOD_QUERY_WORDS.get(m, m) for m in c.moods)
    never = set(state.excluded_ids()) if exclude_mentioned else set(state.disliked) | set(state.rejected)
    # "something like X" alone: X is the film the slate is like; the films liked earlier stay in the
    # collaborative context as mentions, and the newest talk is X alone
    focus = tuple(i for i in state.focus if i in state.liked)
    liked = focus or tuple(state.liked)
    neutral = tuple(i for i in state.mentioned if i not in liked and i not in state.disliked)
    return RecRequest(
        liked=liked, disliked=tuple(state.disliked), mentioned=neutral,
        # the newest words, capped: MiniLM reads 256 tokens and its cost grows with them
        query_text=" ".join(x for x in (words[-300:], mood, " ".join(include)) if x).strip(), said=words[-300:].strip(),
        genres_include=tuple(dict.fromkeys(include)), genres_exclude=tuple(dict.fromkeys(exclude_genres)),
        genres_implied_out=tuple(dict.fromkeys(g for g in exclude_genres if g not in c.tags_exclude)),
        genres_implied_in=tuple(g for g in dict.fromkeys(include)
                                if not c.tags_include and g in audience_prefer and g not in mood_prefer),
        genres_require=require, kinds=tuple(c.kinds), kinds_exclude=tuple(c.kinds_exclude),
        people_include=tuple(c.people_include), people_exclude=tuple(c.people_exclude),
        year_min=c.year_min, year_max=c.year_max, audience=c.audience, exclude=frozenset(never),
        recent=focus or tuple(i for i in state.mentioned if i not in state.disliked)[-2:])


def without_titles(texts: Sequence[str], titles: Iterable[str]) -> list[str]:
    """``texts`` with every ``titles`` string taken out (whole words, any case).

    Why: the content query is the wish's words, and "I hated La La Land but loved Whiplash" put
    The Greatest Showman second: the words "La La Land" found the films written about like it. A
    film turned down says what to avoid, which the ranker reads from the disliked ids, not what to
    search for. A short one-word title ("Up", "It") is taken out only as written in the catalog, so
    "cheer me up" keeps its words."""
    names = sorted({t.strip() for t in titles if t and t.strip()}, key=len, reverse=True)
    if not names:
        return list(texts)
    loose = [n for n in names if " " in n or len(n) >= 5]
    strict = [n for n in names if n not in loose]
    patterns = [re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in group) + r")(?!\w)", flags)
                for group, flags in ((loose, re.I), (strict, 0)) if group]
    out = []
    for t in texts:
        for p in patterns:
            t = p.sub(" ", t)
        out.append(re.sub(r"\s{2,}", " ", t).strip())
    return out


#: acts a turn answers without touching the wish when the message carries no preference
#: (agent/turn/runner.py replies to them and returns)
ANSWER_ONLY_ACTS = frozenset({"prompt_leak", "other_data", "chit_chat", "off_topic"})
#: how many of the user's messages the content query keeps (it reads their last 300 characters anyway)
MAX_WISH_TEXTS = 12


def updates_wish(u: StateUpdate) -> bool:
    """Whether a turn folds this message into the state: a "why …?" asks about a card already
    shown, and a greeting or an off-topic line without a preference answers nothing about films."""
    return u.act != "ask_why" and not (u.act in ANSWER_ONLY_ACTS and not u.has_preferences)


def note_wish(state: DialogueState, text: str, fresh: bool, u: StateUpdate | None = None) -> None:
    """Remember ``text`` as words of the current wish; ``fresh`` (``apply_update``'s answer) forgets the
    earlier ones first. A message that only moves the years (``u`` says so: "older", "even older",
    "something more recent") adds no words: the years are a constraint already, and its words were the
    content query's and the talk memory's -- "something like Inception", "older", "even older" listed
    E.T., Rush Hour and Groundhog Day, what past requests for "older" movies were pointed to.

    Why in the state and not read back from the transcript: the transcript also holds the
    why-questions, greetings and clarification answers ("yes", "the second one") that describe no
    film, and after "…instead" only the later messages describe the wish — on every later turn too.
    """
    if fresh:
        state.wish_text.clear()
    if u is not None and moves_years_only(u) and state.wish_text:
        return
    state.wish_text.append(text)
    del state.wish_text[:-MAX_WISH_TEXTS]


def moves_years_only(u: StateUpdate) -> bool:
    """Whether ``u`` says nothing but "older" / "newer" about the films wished for."""
    return u.relative_era is not None and not u.with_(relative_era=None).has_preferences
