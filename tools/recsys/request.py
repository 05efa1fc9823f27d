"""What the recommender is asked, and what it answers.

Why frozen dataclasses of ids and words: the dialogue state (agent/) and the ReDial
benchmark (evals/) both reduce a conversation to the same ``RecRequest``, so the two
cannot drift apart; ``RankedItem`` carries the ranker's own account of each item
(per-feature contributions), which is the only evidence an explanation may cite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecRequest:
    """A conversation reduced to what the ranker may use (all ids are catalog ids)."""

    #: items the user liked (oldest first); "more like X" items are liked too
    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()
    #: every item named so far by either side whose sentiment is unknown (or the recommender's)
    mentioned: tuple[str, ...] = ()
    #: the user's recent words, for content retrieval (with the words their mood and genres stand for)
    query_text: str = ""
    #: the user's own recent words only: what a card may say "matches your words" against
    said: str = ""
    genres_include: tuple[str, ...] = ()
    genres_exclude: tuple[str, ...] = ()
    #: the part of ``genres_exclude`` the user never said: ruled out by the audience or a mood ("for my
    #: kids" -> no horror); a card must not claim the user ruled these out
    genres_implied_out: tuple[str, ...] = ()
    #: the part of ``genres_include`` the user never said: preferred by the audience ("something my grandma
    #: would enjoy" -> drama, comedy, romance); a card must not claim the user asked for these
    genres_implied_in: tuple[str, ...] = ()
    #: a hard any-of: the film must have one of these genres (a scary film for a 6-year-old is still
    #: a family or animation film); never relaxed
    genres_require: tuple[str, ...] = ()
    #: film kinds (``tools.catalog.movie_kinds.KINDS``) the film should be one of: "a heist movie"; relaxable
    #: (``constraints.RELAXABLE``) because the catalog's labels miss some films of each kind
    kinds: tuple[str, ...] = ()
    #: film kinds ruled out ("nothing with gore": slasher films); never relaxed
    kinds_exclude: tuple[str, ...] = ()
    people_include: tuple[str, ...] = ()
    people_exclude: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    #: "young_children" | "family" | "date_night" | "adults" | "older_viewers" | None
    audience: str | None = None
    #: items never to recommend (mentioned, shown, rejected, seen)
    exclude: frozenset[str] = frozenset()
    #: the last items named in the conversation (not disliked), newest last: what the talk is about now
    recent: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(f"year_min {self.year_min} is after year_max {self.year_max}; swap them or drop one")

    @property
    def context_items(self) -> tuple[str, ...]:
        """Items the collaborative sources condition on: liked first, then neutral mentions."""
        seen: dict[str, None] = {}
        for i in (*self.liked, *self.mentioned):
            seen.setdefault(i, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        return {"liked": list(self.liked), "disliked": list(self.disliked), "mentioned": list(self.mentioned),
                "query_text": self.query_text, "said": self.said, "genres_include": list(self.genres_include),
                "genres_exclude": list(self.genres_exclude),
                "genres_implied_out": list(self.genres_implied_out), "genres_implied_in": list(self.genres_implied_in),
                "genres_require": list(self.genres_require),
                "kinds": list(self.kinds), "kinds_exclude": list(self.kinds_exclude), "people_include": list(self.people_include),
                "people_exclude": list(self.people_exclude), "year_min": self.year_min, "year_max": self.year_max,
                "audience": self.audience, "exclude": sorted(self.exclude), "recent": list(self.recent)}


@dataclass(frozen=True)
class RankedItem:
    """One ranked item with the ranker's own account of why it stands where it does."""

    item_id: str
    score: float
    #: which candidate sources nominated it, with each source's raw score
    sources: dict[str, float]
    #: feature name -> value the ranker saw
    features: dict[str, float]
    #: feature name -> signed contribution to the score (LightGBM SHAP values; sum + bias = score)
    contributions: dict[str, float] = field(default_factory=dict)
    #: liked/mentioned item -> how much it supports this item (collaborative and content neighbours)
    supported_by: dict[str, float] = field(default_factory=dict)
    #: the request's wishes this item does not meet: it filled the list after every strict match
    #: (``constraints.relaxations``), e.g. ("people_include",)
    relaxed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "score": self.score, "sources": self.sources, "features": self.features,
                "contributions": self.contributions, "supported_by": self.supported_by, "relaxed": list(self.relaxed)}
