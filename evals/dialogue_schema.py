"""Typed, validated scripted dialogues (YAML); the schema is documented in dialogues/README.md.

Why pydantic with ``extra="forbid"``: a typo in an expectation key (``reply_contain``) must
fail loudly when the file is loaded, not silently check nothing. Every problem is reported
as ``file: turns[2].expect.in_top_k[0].k: <what is wrong>`` so the author can fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.turn.state_update import ACTS
from tools.errors import InputError

#: what ``act`` may expect: the understood acts plus what the turn itself decides
#: ("clarify": a question about an unknown or ambiguous title, no search)
ACT_NAMES: tuple[str, ...] = (*ACTS, "clarify")

CATEGORIES = ("cold_start", "more_like", "refinement", "rejection", "multi_constraint", "ambiguous_title",
              "off_topic", "injection", "degraded", "feedback", "other")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemRef(_Strict):
    """A catalog item by title (optionally with year) or by id."""

    title: str | None = None
    year: int | None = None
    item_id: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ItemRef:
        if not self.title and not self.item_id:
            raise ValueError("give either `title` (optionally with `year`) or `item_id`")
        return self

    def label(self) -> str:
        if self.item_id:
            return f"id {self.item_id}"
        return f"{self.title} ({self.year})" if self.year else str(self.title)


class TopK(ItemRef):
    k: int = Field(5, ge=1, le=100)


#: the dialogue-state lists a ``not_in_recs`` item may be required to be in (``because``);
#: "disliked" also accepts the state's ``rejected`` list (dislike feedback, "not that one")
BECAUSE = ("disliked", "liked", "seen")


class NotInRecs(ItemRef):
    """An item that must not be recommended, and optionally why (``because``).

    Why ``because``: the agent excludes every title the user names, liked or hated, so
    "absent from the slate" passes whether or not the sentiment was understood. With
    ``because: disliked`` the check also requires the agent's dialogue state, read after the
    turn, to hold the item as disliked (or rejected); a title parsed as liked, or not parsed
    at all, fails it.
    """

    because: Literal[BECAUSE] | None = None  # type: ignore[valid-type]


class GenreShare(_Strict):
    """At least ``min`` (a fraction) of the turn's cards have one of ``genres`` (catalog genres/tags)."""

    genres: list[str] = Field(min_length=1)
    min: float = Field(ge=0.0, le=1.0)


class Feedback(_Strict):
    """Feedback on this turn's card at 1-based ``rank``, given after the turn's checks."""

    rank: int = Field(ge=1, le=50)
    kind: Literal["like", "dislike", "accept", "watched"]


class Expect(_Strict):
    """Expectations on one turn's result; every key is optional."""

    tool_called: list[str] = Field(default_factory=list)
    tool_not_called: list[str] = Field(default_factory=list)
    in_top_k: list[TopK] = Field(default_factory=list)
    #: absent from the slate; with ``because``, also in that list of the agent's dialogue state
    not_in_recs: list[NotInRecs] = Field(default_factory=list)
    #: every recommendation satisfies these (unknown year counts as a violation)
    year_min: int | None = None
    year_max: int | None = None
    #: every recommendation has at least one of these genres/tags (catalog data, case-insensitive)
    genre_any: list[str] = Field(default_factory=list)
    #: no recommendation has any of these genres/tags
    genre_none: list[str] = Field(default_factory=list)
    #: every recommendation credits each of these people (catalog directors, cast or source authors,
    #: case-insensitive)
    person_all: list[str] = Field(default_factory=list)
    #: no recommendation credits any of these people ("nothing with Nicholas Sparks")
    person_none: list[str] = Field(default_factory=list)
    #: every recommendation is of at least one of these film kinds (``tools.catalog.movie_kinds``:
    #: "heist", "Korean", "foreign-language"), by the catalog's labels, keywords, languages and countries
    kind_any: list[str] = Field(default_factory=list)
    #: no recommendation is of any of these film kinds ("nothing with subtitles": foreign-language)
    kind_none: list[str] = Field(default_factory=list)
    #: every card's shown explanation passes the faithfulness checker against the card's own evidence
    #: (re-run here on the text, not taken from the agent's ``check_passed``), and the agent's check passed
    explanations_faithful: bool | None = None
    min_recs: int | None = Field(None, ge=0)
    max_recs: int | None = Field(None, ge=0)
    reply_contains: list[str] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)
    degraded: bool | None = None
    #: share of the cards having any of these genres/tags; a turn without cards fails it
    genre_share: GenreShare | None = None
    #: the act the turn reports (``intent`` of its final event), e.g. reject_slate, ask_why, replace
    act: Literal[ACT_NAMES] | None = None  # type: ignore[valid-type]
    #: the reply contains the title of card N (1-based) of the previous turn's slate
    reply_names_card: int | None = Field(None, ge=1, le=50)
    #: no franchise (``agent.turn.franchise.franchise_key`` of the title) has more cards than this
    max_per_franchise: int | None = Field(None, ge=1)
    max_latency_ms: float | None = Field(None, gt=0)
    #: nothing disliked earlier in the session (feedback or "I hated X") is recommended
    no_disliked: bool = True
    #: always checked unless switched off: every card's id is in the catalog and its title/year are the
    #: catalog's (what the user reads), checked against the catalog, not the agent's candidate bus
    catalog_only: bool = True
    #: always checked unless switched off: nothing recommended twice in the session
    no_repeats: bool = True


class ScriptTurn(_Strict):
    user: str = Field(min_length=1, max_length=4000)
    expect: Expect = Field(default_factory=Expect)
    feedback: list[Feedback] = Field(default_factory=list)


class DialogueScript(_Strict):
    name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.-]+$")
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    description: str = ""
    #: "off" runs this script with the LLM disabled (the deterministic, limited-mode path)
    llm: Literal["on", "off"] = "on"
    turns: list[ScriptTurn] = Field(min_length=1, max_length=20)
    #: set by the loader, not by the YAML
    source: str = ""

    @model_validator(mode="after")
    def _rejections_say_why(self) -> DialogueScript:
        """A rejection script's ``not_in_recs`` must say ``because``: without it the check passes
        whether or not the rejection was understood (every named title is excluded anyway)."""
        if self.category == "rejection":
            for i, t in enumerate(self.turns):
                for j, ref in enumerate(t.expect.not_in_recs):
                    if ref.because is None:
                        raise ValueError(f"turns[{i}].expect.not_in_recs[{j}] ({ref.label()}) needs `because` "
                                         f"({' | '.join(BECAUSE)}) in a rejection script")
        return self


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_script(data: object, source: str = "<memory>") -> DialogueScript:
    """Validate one parsed YAML document; errors name the file and the path of the bad field."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: a dialogue script must be a mapping with name, category and turns "
                         f"(got {type(data).__name__})")
    try:
        script = DialogueScript.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = "; ".join(f"{_loc(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()[:8])
        raise InputError(f"{source}: invalid dialogue script — {problems}. See evals/dialogues/README.md "
                         "for the schema.") from None
    return script


def load_script(path: Path) -> DialogueScript:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the dialogue script ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        raise InputError(f"{path}: not valid YAML{at} ({getattr(exc, 'problem', None) or exc})") from None
    return parse_script(data, str(path))


def discover(paths: list[Path] | list[str]) -> list[Path]:
    """YAML files under the given files/folders, sorted; folders are searched one level deep."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file())
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(f"{p}: no such dialogue file or folder (try evals/dialogues)")
    if not found:
        raise InputError(f"no .yaml dialogue scripts found in {', '.join(map(str, paths))}")
    return found


def load_scripts(paths: list[Path] | list[str]) -> tuple[list[DialogueScript], list[str]]:
    """(valid scripts, error lines): one bad file never stops the others from running."""
    scripts: list[DialogueScript] = []
    errors: list[str] = []
    names: dict[str, str] = {}
    for path in discover(paths):
        try:
            s = load_script(path)
        except InputError as exc:
            errors.append(str(exc))
            continue
        if s.name in names:
            errors.append(f"{path}: duplicate script name {s.name!r} (also in {names[s.name]})")
            continue
        names[s.name] = str(path)
        scripts.append(s)
    return scripts, errors
