"""Deterministic reply texts: refusals, greetings, the lead sentence of a slate.

Why deterministic: what the user reads around the cards must never name an item that
is not on them, never leak the prompt, and read the same in limited mode. Titles in
these texts come from the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agent.types import RecCard
from tools.explain.claims import Polarity

#: the status line when no language model is configured at all (`whyrec chat --no-llm`, scripts): the
#: recommender and the checked templates answer; nothing is "unavailable" or "coming back"
NO_LLM_NOTE = "Running without a language model: built-in recommender and template explanations."
LIMITED_MODE_NOTE = ("(Limited mode: the language model is unavailable right now, so I'm using my built-in "
                     "recommender and template explanations. Full mode comes back automatically.)")

#: a turn admission refused the model (busy with other calls, or still writing the last answer's
#: explanations): nothing is down, so no "limited mode"
BUSY_NOTE = ("(The language model is busy with another request, so this answer comes from my built-in "
             "recommender with template explanations.)")
#: admission refused the model with nothing else in flight: on this machine it plans slower than a
#: turn may take, so it is not "busy with another request"
SLOW_NOTE = ("(To answer quickly, this reply comes from my built-in recommender with template explanations: "
             "the language model would have taken longer than a turn may.)")

REFUSE_PROMPT = ("I can't share my instructions or internal configuration, but I'm happy to help you find a "
                 "movie. Tell me one you loved, or a mood or genre.")
REFUSE_OTHER_DATA = ("I can only see this conversation — I can't look up or change other people's data, "
                     "sessions or passwords. Tell me what you'd like to watch and I'll find something.")
GREETING = ("Hi! I recommend movies and always tell you why. Tell me a movie you loved, or a mood "
            "(\"something scary from the 80s\"), and I'll suggest a few.")
THANKS = ("You're welcome — enjoy the movie! If you'd like more like these, or something different, just "
          "tell me.")
GOODBYE = "Enjoy the movie! Come back anytime for more."
_THANKS = re.compile(r"\b(thanks?|thank you|thx|ty|cheers|appreciate (it|that|this))\b", re.I)
_GOODBYE = re.compile(r"\b(bye|goodbye|see (you|ya)|good ?night|later)\b", re.I)


def small_talk(text: str) -> str:
    """The reply to small talk: thanks and goodbyes are answered as such, anything else is greeted (a
    "Hi! I recommend movies…" after "thanks!" reads as if the conversation had not happened)."""
    if _GOODBYE.search(text):
        return GOODBYE
    if _THANKS.search(text):
        return THANKS
    return GREETING


NONE_OF_THE_OPTIONS = ("Okay — then I'm not sure which film you meant. Type its full title (the year helps), or "
                       "tell me what you're in the mood for.")


def cannot_filter(facets: Sequence[str]) -> str:
    """The answer to a wish that is only about what the catalog does not record ("not french")."""
    return (f"Sorry — my catalog doesn't record a film's {_join(facets)}, so I can't choose films by that. "
            "Tell me a genre, a decade, an actor or director, or a film you liked, and I'll go from there.")


def unsupported_note(facets: Sequence[str]) -> str:
    """Said with a slate when part of the wish could not be honoured."""
    return f"(My catalog doesn't record a film's {_join(facets)}, so these aren't chosen by that.)"


def gore_note(wanted: bool) -> str:
    """Said with a slate when a wish about gore was read as its nearest recorded fact (slasher films)."""
    return ("(My catalog doesn't record how gory a film is, so these are its slasher and splatter films.)" if wanted
            else "(My catalog doesn't record how gory a film is, so I left out its slasher and splatter films.)")


def assumed_title(surface: str, title: str) -> str:
    """Said when the conversation itself settled which film an ambiguous title meant."""
    return f"(By “{surface}” I took you to mean {title}; tell me if you meant another.)"


def ask_again(question: str) -> str:
    """Our unanswered question once more ("Which “Heat” do you mean …?" answered with "hmm")."""
    return f"Sorry, I didn't catch which one you meant. {question}"


OFF_TOPIC = ("I'm a movie recommender, so I can't help with that — but tell me a movie you enjoyed or what "
             "you're in the mood for, and I'll find something to watch.")
EMPTY_MESSAGE = "Please type a message — for example, a movie you loved or a genre you're in the mood for."
NOTHING_FOUND = ("I couldn't find movies in the catalog that match all of that. Try loosening a constraint "
                 "(a wider year range or another genre).")


def too_long(limit: int) -> str:
    return f"That message is too long (over {limit:,} characters). Please shorten it and try again."


def _join(titles: Sequence[str]) -> str:
    titles = list(titles)
    if len(titles) <= 1:
        return "".join(titles)
    return ", ".join(titles[:-1]) + " and " + titles[-1]


def relaxed_note(strict: int, relaxed: int, left_out: Sequence[str]) -> str:
    """Said when the list was filled past the strict matches (``RankedItem.relaxed``): which wish the
    rest do not meet, so "with Tom Hanks" is never printed above a card without him."""
    what = _join(list(left_out)) or "part of what you asked"
    if not strict:
        return f"Nothing matches everything you asked, so these leave out {what}."
    return (f"Only {strict} of these {'matches' if strict == 1 else 'match'} everything you asked; "
            + ("the other one leaves" if relaxed == 1 else f"the other {relaxed} leave") + f" out {what}.")


def slate_lead(n: int, liked_titles: Sequence[str], anchor_title: str | None, constraints: str,
               unknown_titles: Sequence[str] = ()) -> str:
    parts = []
    if unknown_titles:
        parts.append(f"I couldn't find {_join([repr(t) for t in unknown_titles])} in the catalog.")
    picks, movies = ("is 1 pick", "is 1 movie") if n == 1 else (f"are {n} picks", f"are {n} movies")
    if anchor_title:
        basis = f"Here {movies} like {anchor_title}"
    elif liked_titles:
        basis = f"Since you liked {_join(list(liked_titles)[-3:])}, here {picks}"
    else:
        basis = f"Here {picks}"
    if n == 1:
        basis = "Only one film meets all of that. " + basis
    if constraints:
        basis += f" ({constraints})"
    parts.append(basis + ". Each card says why it was chosen — use 👍/👎 so I learn what you like.")
    return " ".join(parts)


def film_facts(item: Any) -> str:
    """What the catalog knows of a film a question asks about ("Is The Matrix any good?"): its genres,
    director and leading cast, for the user to judge -- no opinion, which nothing here could back."""
    kinds = _join(list(item.genres[:3]))
    what = f"{'an' if kinds[:1].lower() in tuple('aeiou') else 'a'} {kinds} film" if kinds else "a film"
    parts = [f"{item.display_title} is {what}"]
    if item.directors:
        parts.append(f"directed by {_join(list(item.directors[:2]))}")
    if item.cast:
        parts.append(f"with {_join(list(item.cast[:3]))}")
    return ", ".join(parts) + "."


def liked_films_cited(cards: Sequence[RecCard], liked: Sequence[str], said_now: Sequence[str] = ()) -> list[str]:
    """The liked films (in ``liked`` order) this message names as liked (``said_now``: the request is
    built on them) or that some card's evidence draws on: a film it came up with, is close to, or
    shares a person with. Why: the reply's "Since you liked Amélie" is a claim about the whole slate,
    so a film liked turns ago may be named only if the cards stand on it ("80s horror please" after
    Amélie gives horror films that owe Amélie nothing)."""
    cited = {c.object_id for card in cards for c in card.evidence["bundle"].claims
             if c.polarity is Polarity.LIKED and c.object_id} | set(said_now)
    return [i for i in liked if i in cited]


def unmet_wishes(shown: Sequence[Any], req: Any) -> tuple[int, list[str]]:
    """How many of the shown ranked films miss part of the request, and which wishes, in the user's
    terms. A film misses what its relaxed request dropped (``RankedItem.relaxed``) and, since an asked
    genre is a preference the slate orders by rather than a filter, an asked genre it has none of:
    "a documentary about food" may end with Ratatouille, and the reply must say it is not one."""
    def misses(r: Any) -> set[str]:
        out = set(r.relaxed)
        if req.genres_include and r.features.get("genre_request_match", 1.0) == 0:
            out.add("genres_include")
        return out

    per_film = [misses(r) for r in shown]
    unmet = set().union(*per_film) if per_film else set()
    labels = []
    if "genres_include" in unmet:
        labels.append("“" + ", ".join(req.genres_include) + "”")
    if "kinds" in unmet and req.kinds:
        labels.append("“" + ", ".join(req.kinds) + "”")
    if "people_include" in unmet and req.people_include:
        labels.append("“with " + ", ".join(p.title() for p in req.people_include) + "”")
    if unmet & {"year_min", "year_max"}:
        labels.append("the years")
    return (sum(1 for m in per_film if m), labels) if labels else (0, [])
