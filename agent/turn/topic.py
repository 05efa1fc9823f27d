"""What a wish is about, when that is a subject rather than a genre: "a movie about dogs".

Why: asked for "a movie about dogs", WhyRec listed Black Panther, Jumanji, It, Get Out and Coco. The
ranker learned from ReDial, where seekers name films and genres, so with nothing else to go on it
ranks by what is suggested most, and the user's own words (the dense query over each film's plot,
``tools.recsys.sources.QuerySource``) weigh little. The words do find the films -- Hotel for Dogs, A
Dog's Purpose, Cats & Dogs, Isle of Dogs -- so a subject the user names is read here and the slate
puts the films whose plots match the words best first (``subject_films``, called by ``agent.turn.runner``).

A subject is what follows "about"/"involving" after a word for a film ("movies about",
"something involving"), or a plot keyword the catalog knows named before "movie" or after "with"
("a shark movie", "something with robots": they listed Black Panther, It and Get Out), and only when
it is not a genre, a mood or a kind the rest of the parser reads ("documentaries about music" is the
genres documentary and music; "a movie about time travel" and "a zombie movie" are kinds).
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from agent.turn.lexicon import GENRE_WORDS, KIND_WORDS, MOOD_WORDS
from tools.text import singular

#: a wish that names a subject ("about dogs"): the films whose plots the words find best, this many,
#: are ranked on their own and lead the list -- the ranker, trained on ReDial's titles and genres,
#: put them below every popular film (Black Panther and Jumanji for "a movie about dogs")
TOPIC_TOP = 60

_TOPIC_RE = re.compile(
    r"\b(?:movies?|films?|flicks?|something|anything|documentar(?:y|ies)|docs?|ones?|stuff)\s+"
    r"(?:about|involving|centered on|centred on)\s+(?:an?\s+|the\s+|some\s+)?"
    r"(?P<topic>[a-z0-9][a-z0-9' -]{1,40}?)"
    r"(?=\s*(?:[,.;:!?)]|$)|\s+(?:but|and(?!\s+(?:his|her|their|its|an?|the)\b)|that|which|who|from|for|please|"
    r"set|in|with|to|like|or|not|no|instead|too|tonight|now|maybe)\b)",
    re.I)
#: words that make a phrase no subject ("movies about it", "something about that one")
_EMPTY = frozenset({"it", "this", "that", "them", "those", "these", "one", "ones", "something", "anything",
                    "stuff", "things", "life", "nothing", "everything", "what", "me", "us", "you"})


#: a subject named before "movie" ("a shark movie", "any other shark movies?", "shark movies please") or after
#: "with" ("something with robots"): lower-case words only (a capitalised run is a name or a title), and only a word the catalog's plot
#: keywords know (``keyword_vocabulary``): "a Tom Hanks movie" and "a good date movie" are no subjects
_NOUN_RE = re.compile(r"(?:^\W*(?!(?i:an?|any|some|another|more|other)\s)|\b(?i:an?|any|some|another|more|other)\s+)(?:(?:good|great|scary|funny|fun|cool|decent|"
                      r"classic|old|new|recent|nice|cute|real|true|other|more)\s+){0,2}(?P<topic>[a-z][a-z-]{2,}(?:\s+[a-z][a-z-]{2,})?)\s+"
                      r"(?:movies?|films?|flicks?)\b")
_WITH_RE = re.compile(r"\b(?:something|anything|movies?|films?|ones?)\s+(?:with|featuring)\s+(?:an?\s+|some\s+|"
                      r"lots\s+of\s+)?(?P<topic>[a-z][a-z-]{2,})\b")
#: words for who watches or when, never what a film is about ("a date movie", "a kids movie")
_NOT_SUBJECTS = frozenset({"date", "kid", "kids", "children", "child", "family", "teen", "teenager", "adult", "girl",
                           "girls", "guy", "guys", "night", "weekend", "rainy", "day", "sunday", "popcorn", "cult",
                           "foreign", "indie", "hollywood", "bollywood", "movie", "film", "good", "bad", "long", "short"})
#: a plot keyword names a subject when this many films have it
MIN_KEYWORD_FILMS = 3
#: per catalog object (id -> a weak reference to it and its words): an id alone could hand a later catalog an
#: earlier one's words once the first is gone and its id reused
_VOCABULARY: dict[int, tuple[weakref.ref[Any], frozenset[str]]] = {}


def keyword_vocabulary(cat: Any) -> frozenset[str]:
    """The singular plot keywords (``Item.keywords``) at least ``MIN_KEYWORD_FILMS`` catalog films have;
    computed once per catalog."""
    cached = _VOCABULARY.get(id(cat))
    if cached is None or cached[0]() is not cat:
        counts = Counter(k for it in cat.items
                         for k in {" ".join(singular(w) for w in kw.lower().split()) for kw in it.keywords})
        cached = (weakref.ref(cat), frozenset(k for k, n in counts.items() if n >= MIN_KEYWORD_FILMS))
        _VOCABULARY[id(cat)] = cached
    return cached[1]


def topic_of(text: str, known: Collection[str] = ()) -> str | None:
    """The subject ``text`` asks films to be about, in the user's words, else None. With ``known`` (the
    catalog's plot keywords, ``keyword_vocabulary``), a subject may also be named without "about":
    "a shark movie", "something with robots"."""
    for m in _TOPIC_RE.finditer(text or ""):
        topic = " ".join(m.group("topic").lower().split()).strip(" '-")
        words = topic.split()
        if not words or all(w in _EMPTY for w in words):
            continue
        if topic in GENRE_WORDS or topic in MOOD_WORDS or topic in KIND_WORDS:
            continue  # read by the parser as a genre, mood or kind
        if all(w in GENRE_WORDS or w in _EMPTY for w in words):
            continue
        return topic
    if known:
        for m in (*_NOUN_RE.finditer(text or ""), *_WITH_RE.finditer(text or "")):
            topic = " ".join(m.group("topic").split())
            words = topic.split()
            if any(w in _NOT_SUBJECTS or w in _EMPTY or w in GENRE_WORDS or w in MOOD_WORDS for w in words) or (
                    topic in KIND_WORDS or words[-1] in KIND_WORDS):
                continue
            if " ".join(singular(w) for w in words) in known:
                return topic
    return None


def wish_topic(wish_text: Sequence[str], known: Collection[str] = ()) -> str | None:
    """The subject of the current wish: the newest of its messages that names one ("none of those"
    after "a movie about dogs" is still about dogs; "… instead" starts the wish afresh)."""
    for text in reversed(wish_text):
        if topic := topic_of(text, known):
            return topic
    return None


def subject_films(recommender: Any, cat: Any, req: Any, topic: str) -> frozenset[str]:
    """The ``TOPIC_TOP`` films whose plots the subject's words find best (the recommender's own dense
    query source asked about the subject alone); empty when that source has nothing to say."""
    scores = recommender.source_scores(replace(req, query_text=f"about {topic}"), "query") \
        if any(s.name == "query" for s in recommender.sources) else None
    if scores is None:
        return frozenset()
    ids = recommender.space.ids
    words = {singular(w) for w in re.findall(r"[a-z0-9]+", topic.lower()) if len(w) > 2}
    # the vectors are computed from Wikipedia's text, which opens with the title: "Office Space" and
    # "Ocean's Twelve" came up for space and the ocean. A title word is never the match: a film whose
    # title shares the subject's word stays only if its plot keywords have it too
    order = np.argsort(-scores, kind="stable")[: TOPIC_TOP * 3]
    out: list[str] = []
    for j in order:
        item = cat.get(ids[int(j)]) if ids[int(j)] in cat else None
        if item is not None and words & {singular(w) for w in re.findall(r"[a-z0-9]+", item.title.lower())} and not (
                words & {singular(w) for k in item.keywords for w in k.lower().split()}):
            continue
        out.append(ids[int(j)])
        if len(out) >= TOPIC_TOP:
            break
    return frozenset(out)
