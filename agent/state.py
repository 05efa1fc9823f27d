"""Per-session dialogue state, persisted in the store after every turn.

Why a dataclass with explicit lists: the agent, the degraded pipeline and the audit
trail all need the same facts — what the user liked, disliked, has seen, which
constraints hold, what was already recommended (never repeated in a session) — and
they must round-trip through JSON in ``sessions.state``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from tools.catalog.movie_genres import genre_label
from tools.catalog.movie_kinds import KINDS
from tools.errors import InputError

#: the moods that stand for one genre (``agent.turn.wish_genres.MOOD_GENRES``)
_MOOD_GENRE = {"funny": "comedy", "scary": "horror"}


@dataclass
class Constraints:
    year_min: int | None = None
    year_max: int | None = None
    tags_include: list[str] = field(default_factory=list)
    tags_exclude: list[str] = field(default_factory=list)
    people_include: list[str] = field(default_factory=list)
    people_exclude: list[str] = field(default_factory=list)
    #: "young_children" | "family" | "date_night" | "adults" | "older_viewers" | None
    audience: str | None = None
    moods: list[str] = field(default_factory=list)
    #: film kinds asked for (``tools.catalog.movie_kinds.KINDS``): "a heist movie" is not any crime film
    kinds: list[str] = field(default_factory=list)
    #: film kinds ruled out ("nothing with gore": slashers); kept through "…instead" like tags_exclude
    kinds_exclude: list[str] = field(default_factory=list)

    def validate(self) -> None:
        for name in ("year_min", "year_max"):
            v = getattr(self, name)
            if v is not None and not 1870 <= v <= 2100:
                raise InputError(f"{name}={v} is out of range; use a year between 1870 and 2100")
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise InputError(
                f"year_min {self.year_min} is after year_max {self.year_max}; swap them or drop one"
            )

    def describe(self, spelling: Callable[[str], str | None] | None = None) -> str:
        """The wish in a few words, as the slate's lead says it; ``spelling`` gives a person's name as
        the catalog writes it (people are kept normalised: "leonardo dicaprio" read "Leonardo Dicaprio")."""
        def name(p: str) -> str:
            return (spelling(p) if spelling else None) or p.title()

        parts = []
        if self.year_min and self.year_max:
            parts.append(f"from {self.year_min} to {self.year_max}")
        elif self.year_min:
            parts.append(f"from {self.year_min} on")
        elif self.year_max:
            parts.append(f"up to {self.year_max}")
        # a kind says more than its genre: "(psychological thriller)", not "(thriller; psychological thriller)"
        covered = {KINDS[k].genre for k in self.kinds if k in KINDS}
        if wished := [*self.kinds, *(g for g in self.tags_include if g not in covered)]:
            parts.append(", ".join(wished))
        # a mood that is its genre ("funny" is comedy) is already said; "light" or "dark" is not
        if moods := [m for m in self.moods if _MOOD_GENRE.get(m) not in self.tags_include]:
            parts.append(", ".join(moods))
        if self.tags_exclude or self.kinds_exclude:
            parts.append("not " + ", ".join([*(genre_label(g) for g in self.tags_exclude), *self.kinds_exclude]))
        if self.people_include:
            parts.append("with " + ", ".join(name(p) for p in self.people_include))
        if self.people_exclude:
            parts.append("without " + ", ".join(name(p) for p in self.people_exclude))
        if self.audience:
            parts.append("for " + self.audience.replace("_", " "))
        return "; ".join(parts)

    def clear(self) -> None:
        """"…instead": the earlier genre, year, people and mood constraints no longer hold."""
        self.year_min = self.year_max = None
        self.tags_include.clear()
        self.tags_exclude.clear()
        self.people_include.clear()
        self.people_exclude.clear()
        self.moods.clear()
        self.kinds.clear()


@dataclass
class DialogueState:
    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)
    #: every item recommended in this session (never recommended again)
    shown: list[str] = field(default_factory=list)
    #: recommendations the user rejected (dislike feedback or "not that")
    rejected: list[str] = field(default_factory=list)
    constraints: Constraints = field(default_factory=Constraints)
    last_query: str = ""
    #: the user's messages that describe the current wish, newest last: the content query's words
    #: (``agent.turn.dialogue.note_wish``). A "why the second one?" or a greeting is not among them;
    #: "…instead" starts the list afresh.
    wish_text: list[str] = field(default_factory=list)
    #: the last slate, in card order (item ids), for "why the second one?" and "none of those"
    last_slate: list[str] = field(default_factory=list)
    #: the films a "something like X" wish is about (X alone): while set, the request anchors on them and
    #: the films liked before stay only context (a Pineapple Express wish is not pulled toward Alien)
    focus: list[str] = field(default_factory=list)
    #: the liked films the last slate was fit to (the anchor, or the films that message loved): a refinement
    #: naming no film ("something older", "funnier instead") changes that slate, so it fits them still
    slate_liked: list[str] = field(default_factory=list)
    #: a question asked and not yet answered (unknown or ambiguous title), as shown to the user
    pending_question: str = ""
    #: what that question was about, so "yes" / "the second one" can settle it (agent/turn/clarify.py)
    pending_clarification: dict[str, Any] = field(default_factory=dict)
    turn_count: int = 0
    degraded_turns: int = 0

    # -- updates (idempotent, order-preserving) -------------------------------------
    def _add(self, name: str, item_id: str) -> None:
        lst: list[str] = getattr(self, name)
        if item_id not in lst:
            lst.append(item_id)

    def _remove(self, name: str, item_id: str) -> None:
        lst: list[str] = getattr(self, name)
        if item_id in lst:
            lst.remove(item_id)

    def like(self, item_id: str) -> None:
        self._add("liked", item_id)
        self._add("mentioned", item_id)
        self._remove("disliked", item_id)

    def dislike(self, item_id: str) -> None:
        self._add("disliked", item_id)
        self._add("mentioned", item_id)
        self._remove("liked", item_id)

    def mark_seen(self, item_id: str) -> None:
        self._add("seen", item_id)
        self._add("mentioned", item_id)

    def leave_out(self, item_id: str) -> None:
        """Never show it, without taking it for a taste ("... but no Star Wars movies")."""
        self._add("seen", item_id)

    def mention(self, item_id: str) -> None:
        self._add("mentioned", item_id)

    def reject(self, item_id: str) -> None:
        self._add("rejected", item_id)
        self.dislike(item_id)

    def record_shown(self, item_ids: list[str]) -> None:
        for i in item_ids:
            self._add("shown", i)
        if item_ids:
            self.last_slate = list(item_ids)

    def reject_slate(self) -> list[str]:
        """"None of those": every card of the last slate is rejected (and never shown again)."""
        rejected = list(self.last_slate)
        for i in rejected:
            self._add("rejected", i)
            self._add("seen", i)
        return rejected

    def excluded_ids(self) -> set[str]:
        """Items never to recommend again in this session."""
        return set(self.liked) | set(self.disliked) | set(self.seen) | set(self.shown) | set(self.rejected) | set(
            self.mentioned
        )

    # -- persistence -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DialogueState:
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known and k != "constraints"}
        c = data.get("constraints") or {}
        ckeys = {f.name for f in fields(Constraints)}
        return cls(**kwargs, constraints=Constraints(**{k: v for k, v in c.items() if k in ckeys}))
