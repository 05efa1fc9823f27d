"""What an audience or a mood means in catalog genres, and the words a mood adds to the content query.

Why a module of its own: the dialogue state (``dialogue.apply_update``), the ranker's request
(``dialogue.request_for``), the slate's genre fit (``slate``) and the choice between two same-named
films (``clarify``) read the same tables; one place keeps them agreeing.
"""

from __future__ import annotations

#: audience -> (genres preferred, genres ruled out)
AUDIENCE_GENRES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "young_children": (("family", "animation"), ("horror", "thriller", "crime", "war")),
    # "family" in a catalog's genres also tags family sagas ("The Godfather": crime, drama, family)
    "family": (("family",), ("horror", "crime", "war")),
    "date_night": (("romance", "comedy"), ()),
    # "an animated movie for adults" is Anomalisa or Persepolis, not Moana
    "adults": ((), ("family",)),
    # a grandparent's evening: the gentler genres first, no horror (a genre named outranks both)
    "older_viewers": (("drama", "comedy", "romance"), ("horror",)),
}
#: "nothing too old" / "no old movies": films from this year on (a fixed line, not relative to the slate
#: just shown: after a slate of 2017 films "nothing too old" must not mean "2018 or later")
NOT_OLD_FROM = 1990
#: moods -> (genres preferred, genres ruled out), as for an audience: "something lighter" after
#: Aliens is not another horror film; a genre the user names outranks both
MOOD_GENRES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # not "adventure": the catalog tags most action films adventure (Die Hard, Children of Men), and
    # "something lighter" after Inception listed them
    "light": (("comedy", "family", "animation"), ("horror", "war")),
    "feel-good": (("comedy", "family", "romance"), ("horror", "war")),
    "funny": (("comedy",), ()),
    "scary": (("horror",), ()),
    # preferred, not required: "a darker comedy" keeps the comedy (asked genres outrank moods); no rule-out,
    # or a card would claim the user "ruled out" family films
    "dark": (("thriller", "crime", "horror", "drama"), ()),
    "sad": (("drama",), ()),
    "mind-bending": (("science fiction", "mystery", "thriller"), ()),
}
#: moods -> words added to the content query (what the film should feel like)
MOOD_QUERY_WORDS: dict[str, str] = {
    "dark": "dark grim disturbing", "feel-good": "uplifting heartwarming feel-good", "funny": "funny comedy",
    "scary": "scary horror terrifying", "mind-bending": "mind-bending twist reality puzzle",
    "sad": "sad tragic emotional", "light": "light fun easygoing",
}

#: a film for children or for family night has one of these genres, whatever else was asked
_AUDIENCE_REQUIRES = ("family", "animation")


def audience_requires(audience: str | None) -> tuple[str, ...]:
    """The genres a film must have to suit the audience ((): any film); the ranker's hard
    constraint (``RecRequest.genres_require``) and what settles which of two same-named films
    a child "loved" (``clarify.pick_by_context``)."""
    return _AUDIENCE_REQUIRES if audience in ("young_children", "family") else ()
