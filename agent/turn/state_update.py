"""The typed result of reading one user message: a ``StateUpdate``.

Why a frozen, JSON round-trippable type: the parser and the LLM filler must produce the
same thing (so they can be merged and compared field by field), the store persists it
with the turn, and the benchmark compares it with gold labels. Tuples, not lists, keep
instances hashable and immutable once built.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from tools.errors import InputError

Act = Literal["recommend", "refine", "replace", "reject_slate", "ask_why", "chit_chat", "off_topic",
              "prompt_leak", "other_data"]
ACTS: tuple[str, ...] = get_args(Act)
AUDIENCES: tuple[str, ...] = ("young_children", "family", "date_night", "adults", "older_viewers")
MOODS: tuple[str, ...] = ("dark", "feel-good", "funny", "scary", "mind-bending", "sad", "light")
UNRESOLVED_REASONS: tuple[str, ...] = ("unknown", "ambiguous", "typo")


@dataclass(frozen=True)
class TitleRef:
    """A catalog item the user named: catalog id, the user's words, the catalog title."""

    item_id: str
    surface: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "surface": self.surface, "title": self.title}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TitleRef:
        return cls(str(d["item_id"]), str(d.get("surface", "")), str(d.get("title", "")))


@dataclass(frozen=True)
class UnresolvedTitle:
    """A title-like span that did not resolve to one item; the reply should ask or say so.

    ``reason``: "ambiguous" (several films share the title), "typo" (a near miss the parser is not
    sure enough of to take: "did you mean ...?"), or "unknown" (no film close enough).
    """

    surface: str
    candidates: tuple[TitleRef, ...]
    reason: Literal["unknown", "ambiguous", "typo"]

    def to_dict(self) -> dict[str, Any]:
        return {"surface": self.surface, "candidates": [c.to_dict() for c in self.candidates], "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnresolvedTitle:
        reason = d.get("reason")
        if reason not in UNRESOLVED_REASONS:
            raise InputError(f"unresolved title reason must be one of {UNRESOLVED_REASONS}, got {reason!r}")
        return cls(str(d["surface"]), tuple(TitleRef.from_dict(c) for c in d.get("candidates") or ()), reason)


_REF_FIELDS = ("liked", "disliked", "seen", "mentioned", "more_like", "left_out")
_STR_FIELDS = ("genres_liked", "genres_disliked", "moods", "people_liked", "people_disliked", "kinds",
               "kinds_disliked", "series")


@dataclass(frozen=True)
class StateUpdate:
    """What one message changes in the dialogue state (see ``agent/turn/understand.py``)."""

    act: Act
    liked: tuple[TitleRef, ...] = ()
    disliked: tuple[TitleRef, ...] = ()
    seen: tuple[TitleRef, ...] = ()
    mentioned: tuple[TitleRef, ...] = ()
    more_like: tuple[TitleRef, ...] = ()  # "something like X" (also counted as liked)
    #: films left out of every slate without a verdict on them: the rest of a liked film's series the
    #: message turns down ("something like Star Wars but no Star Wars movies"; agent/turn/sequels.py)
    left_out: tuple[TitleRef, ...] = ()
    genres_liked: tuple[str, ...] = ()
    genres_disliked: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    #: film kinds asked for (``tools.catalog.movie_kinds.KINDS``: "heist", "psychological thriller")
    kinds: tuple[str, ...] = ()
    #: film kinds ruled out ("nothing with gore": slasher films); alone they are no wish to recommend from
    #: (``has_preferences``): "something that isn't too bloody" gets "tell me a genre …", not any non-slasher
    kinds_disliked: tuple[str, ...] = ()
    people_liked: tuple[str, ...] = ()
    people_disliked: tuple[str, ...] = ()
    #: film series asked for by name ("a good James Bond movie"; agent/turn/series_wish.py)
    series: tuple[str, ...] = ()
    audience: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    relative_era: Literal["older", "newer", "not_old"] | None = None
    why_rank: int | None = None
    why_item: TitleRef | None = None
    unresolved: tuple[UnresolvedTitle, ...] = ()
    #: "also", "as well", "... too": the message adds to the wish instead of changing it (a new genre
    #: without it replaces the genres asked before: "80s horror" then "something funny" is a comedy)
    additive: bool = False
    #: what was asked that the catalog cannot tell (``lexicon.UNSUPPORTED``: "not french" -> country or
    #: language); the reply says so instead of pretending the list honours it
    unsupported: tuple[str, ...] = ()
    #: "I loved The Matrix but hated the sequels": the liked films' sequels are disliked (agent/turn/sequels.py
    #: finds them in the catalog; understanding reads words only)
    sequels_disliked: bool = False
    source: Literal["parser", "llm"] = "parser"

    def __post_init__(self) -> None:
        if self.act not in ACTS:
            raise InputError(f"act must be one of {ACTS}, got {self.act!r}")
        if self.audience is not None and self.audience not in AUDIENCES:
            raise InputError(f"audience must be one of {AUDIENCES} or None, got {self.audience!r}")
        if self.relative_era not in (None, "older", "newer", "not_old"):
            raise InputError(f"relative_era must be 'older', 'newer', 'not_old' or None, got {self.relative_era!r}")
        if self.source not in ("parser", "llm"):
            raise InputError(f"source must be 'parser' or 'llm', got {self.source!r}")

    @property
    def all_liked_ids(self) -> tuple[str, ...]:
        """Liked plus more-like ids, in order, without repeats."""
        return tuple(dict.fromkeys(r.item_id for r in self.liked + self.more_like))

    @property
    def has_preferences(self) -> bool:
        return any(getattr(self, f) for f in _REF_FIELDS + _STR_FIELDS if f != "kinds_disliked") or any(
            v is not None for v in (self.audience, self.year_min, self.year_max, self.relative_era))

    def with_(self, **changes: Any) -> StateUpdate:
        """A copy with ``changes`` applied (``dataclasses.replace``)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in _REF_FIELDS:
                out[f.name] = [r.to_dict() for r in v]
            elif f.name == "unresolved":
                out[f.name] = [u.to_dict() for u in v]
            elif f.name == "why_item":
                out[f.name] = v.to_dict() if v is not None else None
            elif f.name in _STR_FIELDS:
                out[f.name] = list(v)
            else:
                out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StateUpdate:
        if "act" not in d:
            raise InputError("a StateUpdate needs an 'act'")
        kw: dict[str, Any] = {"act": d["act"]}
        for name in _REF_FIELDS:
            kw[name] = tuple(TitleRef.from_dict(r) for r in d.get(name) or ())
        for name in _STR_FIELDS:
            kw[name] = tuple(str(s) for s in d.get(name) or ())
        for name in ("year_min", "year_max", "why_rank"):
            kw[name] = int(d[name]) if d.get(name) is not None else None
        kw["audience"] = d.get("audience")
        kw["relative_era"] = d.get("relative_era")
        kw["why_item"] = TitleRef.from_dict(d["why_item"]) if d.get("why_item") else None
        kw["unresolved"] = tuple(UnresolvedTitle.from_dict(u) for u in d.get("unresolved") or ())
        kw["additive"] = bool(d.get("additive", False))
        kw["source"] = d.get("source", "parser")
        return cls(**kw)
