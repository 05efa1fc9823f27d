"""The tools the agent's LLM can call, in one explicit registry: names, implementations, and the
strict argument schemas of ``tool_args``.

Why a per-turn ``Toolbox``: tools need the turn's context (the session's preference
state and the candidate bus) but must stay plain functions with strict JSON-schema
arguments for the model. The toolbox binds them by closure, runs them with argument
validation and timing, and turns every failure into a ``ToolOutcome`` whose text goes
back to the model as a tool message — a tool error never crashes a turn. Tools are
looked up by exact name. The model is bound to ``tool_specs`` (schemas only) and every call it
makes is executed by ``Toolbox.run``; there are no separate LangChain tool objects.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ValidationError

from tools.catalog.catalog import Catalog
from tools.errors import WhyRecError
from tools.resolve.titles import TitleResolver
from tools.scoring import Scorer, ScoringContext
from tools.toolbox.candidate_bus import CandidateBus
from tools.toolbox.tool_args import (
    COMPACT,
    SCHEMAS,
    CausalEffectArgs,
    NoArgs,
    PreferenceArgs,
    RespondArgs,
    ScoreArgs,
    SearchArgs,
    SimilarArgs,
)

log = logging.getLogger(__name__)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the and or of to in on for with me my i some something movie movies film films like "
                  "want watch please good great recommend show find any".split())
TOOL_NAMES = ("search_items", "similar_items", "score_candidates", "record_preference",
              "causal_graph", "causal_effect", "respond")


class ToolConstraints(Protocol):
    """The session's standing constraints that the tools read (agent.state.Constraints satisfies it)."""

    @property
    def year_min(self) -> int | None: ...
    @property
    def year_max(self) -> int | None: ...
    @property
    def tags_include(self) -> list[str]: ...
    @property
    def tags_exclude(self) -> list[str]: ...


class PreferenceState(Protocol):
    """What tools may read/change of the session (agent.state.DialogueState satisfies it).

    Why a Protocol and not the class: tools/ sits below agent/ and must not import it; the toolbox
    names every field it touches here, so a renamed state field fails the type check, not a turn.
    """

    liked: list[str]
    disliked: list[str]
    seen: list[str]
    #: every title the user named in the session (grounding for the model's arguments)
    mentioned: list[str]
    turn_count: int

    @property
    def constraints(self) -> ToolConstraints: ...

    def like(self, item_id: str) -> None: ...
    def dislike(self, item_id: str) -> None: ...
    def mark_seen(self, item_id: str) -> None: ...
    def excluded_ids(self) -> set[str]: ...


class CausalService(Protocol):
    def graph_summary(self) -> dict[str, Any]: ...
    def effect(self, treatment: str, outcome: str) -> dict[str, Any]: ...


@dataclass
class ToolServices:
    """Long-lived dependencies shared by every turn (built in the composition root)."""

    catalog: Catalog
    resolver: TitleResolver
    retriever: Any | None  # tools.retrieval.retriever.Retriever
    scorers: Mapping[str, Scorer] = field(default_factory=dict)
    default_scorer: str = "popularity"
    causal: CausalService | None = None
    #: tools.recsys.recommender.Recommender: sources + constraints + ranker (trained, or tools.recsys.starter)
    recommender: Any | None = None
    #: tools.resolve.people.PeopleIndex for actor/director names in messages
    people: Any | None = None
    #: tools.resolve.series.SeriesIndex for series asked for by name ("a good James Bond movie")
    series: Any | None = None
    #: ``(item) -> SegmentEffect | None``: the suggested -> liked effect in the item's own segment
    #: (tools/studies/segment_effects.py); a card carries a causal claim only when its interval excludes zero
    segment_effect: Any | None = None


@dataclass
class ToolOutcome:
    name: str
    arguments: dict[str, Any]
    ok: bool
    content: str  # what the model sees
    data: Any = None
    duration_ms: float = 0.0
    error: str | None = None


class Toolbox:
    """The tools for one turn, bound to the session state and the candidate bus."""

    def __init__(self, services: ToolServices, state: PreferenceState, bus: CandidateBus,
                 default_query: str = "", user_text: str | None = None) -> None:
        self.services = services
        self.state = state
        self.bus = bus
        self.default_query = default_query
        #: when given, titles the model passes must have been mentioned by the user (grounding)
        self.user_text = user_text
        self._mentioned_ids: set[str] | None = None
        self.outcomes: list[ToolOutcome] = []
        self.final: RespondArgs | None = None
        self._impl: dict[str, Callable[[BaseModel], Any]] = {
            "search_items": self._search, "similar_items": self._similar, "score_candidates": self._score,
            "record_preference": self._record, "causal_graph": self._causal_graph,
            "causal_effect": self._causal_effect, "respond": self._respond,
        }

    # -- registry ------------------------------------------------------------------------------
    def names(self) -> list[str]:
        names = list(TOOL_NAMES)
        if self.services.causal is None:
            names = [n for n in names if not n.startswith("causal_")]
        if self.services.retriever is None:
            names = [n for n in names if n not in ("search_items", "similar_items")]
        return names

    def tool_specs(self, names: list[str] | None = None, compact: bool = False) -> list[dict[str, Any]]:
        """OpenAI-style tool specs (name, description, JSON-schema arguments) to bind to a chat model.

        Only the schemas go to the model; its calls come back to :meth:`run`, which validates and
        executes them (a LangChain tool object around ``run`` would add nothing but a second
        validation with different error messages). ``compact``: the small-model schemas (see
        ``tool_args.COMPACT``); calls are still validated against the full schema, of which each compact one
        is a subset.
        """
        from langchain_core.utils.function_calling import convert_to_openai_tool

        out = []
        for name in names or self.names():
            schema, description = SCHEMAS[name]
            if compact and name in COMPACT:
                schema = COMPACT[name]
            spec = convert_to_openai_tool(schema, strict=True)
            spec["function"].update(name=name, description=description)
            out.append(spec)
        return out

    def run(self, name: str, arguments: Mapping[str, Any] | str | None) -> ToolOutcome:
        """Validate, execute and time one tool call; never raises."""
        start = time.perf_counter()
        args: dict[str, Any] = {}
        try:
            if isinstance(arguments, str):
                arguments = json.loads(arguments or "{}")
            args = dict(arguments or {})
            if name not in self._impl or name not in self.names():
                raise WhyRecError(f"unknown tool {name!r}; available tools: {', '.join(self.names())}")
            schema = SCHEMAS[name][0]
            parsed = schema.model_validate(args)
            data = self._impl[name](parsed)
            outcome = ToolOutcome(name, args, True, _render(data), data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()[:5])
            outcome = ToolOutcome(name, args, False, f"error: invalid arguments for {name}: {problems}", error=problems)
        except (WhyRecError, ValueError, json.JSONDecodeError) as exc:
            outcome = ToolOutcome(name, args, False, f"error: {exc}", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a tool bug must not crash the turn
            log.exception("tool %s failed", name)
            outcome = ToolOutcome(name, args, False, f"error: the {name} tool failed internally ({type(exc).__name__})",
                                  error=repr(exc))
        outcome.duration_ms = (time.perf_counter() - start) * 1000
        self.outcomes.append(outcome)
        return outcome

    # -- implementations ------------------------------------------------------------------------
    def _filters(self, year_min: int | None, year_max: int | None) -> dict[str, Any]:
        c = self.state.constraints
        y0 = year_min if year_min is not None else c.year_min
        y1 = year_max if year_max is not None else c.year_max
        if y0 is not None and y1 is not None and y0 > y1:
            y0, y1 = y1, y0
        return {k: v for k, v in {"year_min": y0, "year_max": y1}.items() if v is not None}

    def _genre_ok(self, item_id: str, include: list[str], exclude: list[str]) -> bool:
        it = self.services.catalog.get(item_id)
        labels = {x.lower() for x in (*it.genres, *it.tags)}
        text = " ".join(labels)
        if any(g.lower() in text for g in exclude):
            return False
        return not include or any(g.lower() in text for g in include)

    def grounded_query(self, query: str) -> str:
        """The model's query if it shares a content word with the conversation, else the conversation's.

        Why: a 135M model fills the argument with placeholders ("movie_name") or unrelated text;
        searching for that would silently derail the turn. The tool result says which was used.
        """
        if not self.default_query:
            return query
        words = {w for w in _WORD.findall(query.lower()) if w not in _STOP}
        context = {w for w in _WORD.findall(self.default_query.lower()) if w not in _STOP}
        return query if words & context else self.default_query

    def _search(self, a: SearchArgs) -> dict[str, Any]:
        c = self.state.constraints
        include = list(dict.fromkeys([*a.genres, *c.tags_include]))
        exclude = list(c.tags_exclude)
        base = self.grounded_query(a.query)
        query = base if not include else f"{base} {' '.join(g for g in include if g.lower() not in base.lower())}"
        hits = self.services.retriever.search(query, self._filters(a.year_min, a.year_max),
                                              exclude_ids=self.state.excluded_ids(), k=min(100, a.k * 3))
        # genre words are soft: prefer items that carry them, fall back when the catalog has too few
        preferred = [h for h in hits if self._genre_ok(h.item_id, include, exclude)]
        chosen = preferred if len(preferred) >= min(a.k, 5) else preferred + [
            h for h in hits if h not in preferred and self._genre_ok(h.item_id, [], exclude)]
        chosen = chosen[: a.k]
        for h in chosen:
            self.bus.add(h.item_id, source=f"search_items:{a.query[:60]}", retrieval_score=h.vector_score or 0.0,
                         matched_fields=h.matched_fields, query=query)
        note = {} if base == a.query else {"query_used": base, "note": "the given query did not match the conversation"}
        return {"found": len(chosen), **note, "candidates": self.bus.summary(limit=8)}

    def mentioned_by_user(self, item_id: str) -> bool:
        """Did the user name this item (this message, or earlier in the session)?"""
        if self.user_text is None:
            return True
        if self._mentioned_ids is None:
            self._mentioned_ids = {m.item_id for m in self.services.resolver.find(self.user_text)}
            st = self.state
            self._mentioned_ids.update((*st.mentioned, *st.liked, *st.disliked, *st.seen))
        return item_id in self._mentioned_ids

    def _similar(self, a: SimilarArgs) -> dict[str, Any]:
        match = self.services.resolver.lookup(a.title)
        if match is None and a.title in self.services.catalog:
            seed = a.title
        elif match is None:
            raise WhyRecError(f"no catalog movie matches {a.title!r}; ask the user to check the title")
        else:
            seed = match.item_id
        if not self.mentioned_by_user(seed):
            raise WhyRecError(f"the user did not mention {a.title!r}; use search_items with what they asked for")
        hits = self.services.retriever.similar(seed, k=a.k, filters=self._filters(None, None) or None,
                                               exclude_ids=self.state.excluded_ids() | {seed})
        seed_title = self.services.catalog.get(seed).display_title
        for h in hits:
            self.bus.add(h.item_id, source=f"similar_items:{seed}", retrieval_score=h.vector_score or 0.0,
                         matched_fields=h.matched_fields, query=f"similar to {seed_title}")
        return {"seed": seed_title, "found": len(hits), "candidates": self.bus.summary(limit=8)}

    def scoring_context(self) -> ScoringContext:
        feats: dict[str, dict[str, float]] = {"retrieval": {c: self.bus.get(c).retrieval_score for c in self.bus.ids()}}
        query = " ".join([self.default_query, *self.state.constraints.tags_include]).strip()
        return ScoringContext(liked_ids=tuple(self.state.liked), disliked_ids=tuple(self.state.disliked),
                              seen_ids=tuple(self.state.seen), query=query, turn_index=self.state.turn_count,
                              features=feats)

    def _score(self, a: ScoreArgs) -> dict[str, Any]:
        if not len(self.bus):
            raise WhyRecError("there are no candidates yet: call search_items or similar_items first")
        ids = self.bus.ids()
        ctx = self.scoring_context()
        features = {k: dict(v) for k, v in ctx.features.items()}
        for name, channel in (("popularity", "popularity"), ("lightgcn", "gcn")):
            scorer = self.services.scorers.get(name)
            if scorer is not None:
                vals = scorer.score(ctx, ids)
                features[channel] = {i: float(v) for i, v in zip(ids, vals, strict=True)}
                for i, v in zip(ids, vals, strict=True):
                    self.bus.get(i).scores[name] = float(v)
        ctx = ScoringContext(**{**ctx.__dict__, "features": features})
        which = self.services.default_scorer if a.scorer == "default" else a.scorer
        scorer = self.services.scorers.get(which) or self.services.scorers.get("popularity")
        if scorer is None:
            final = np.array([self.bus.get(i).retrieval_score for i in ids])
            which = "retrieval"
        else:
            final = scorer.score(ctx, ids)
        # blend in retrieval relevance so the slate answers *this* request, not only the user's taste
        rel = np.array([self.bus.get(i).retrieval_score for i in ids], dtype=float)
        blended = _rank01(final) * 0.6 + _rank01(rel) * 0.4
        for i, raw, b in zip(ids, final, blended, strict=True):
            cand = self.bus.get(i)
            cand.scores[which] = float(raw)
            cand.final_score = float(b)
        return {"scorer": which, "ranked": self.bus.summary(limit=8)}

    def _record(self, a: PreferenceArgs) -> dict[str, Any]:
        recorded: dict[str, list[str]] = {"liked": [], "disliked": [], "seen": []}
        unknown: list[str] = []
        not_mentioned: list[str] = []
        for kind, titles in (("liked", a.liked), ("disliked", a.disliked), ("seen", a.seen)):
            for t in titles:
                m = self.services.resolver.lookup(t)
                if m is None:
                    unknown.append(t)
                    continue
                if not self.mentioned_by_user(m.item_id):  # the model may not invent the user's taste
                    not_mentioned.append(t)
                    continue
                {"liked": self.state.like, "disliked": self.state.dislike, "seen": self.state.mark_seen}[kind](m.item_id)
                recorded[kind].append(self.services.catalog.get(m.item_id).display_title)
        out: dict[str, Any] = {"recorded": recorded, "not_in_catalog": unknown}
        if not_mentioned:
            out["ignored_not_mentioned_by_user"] = not_mentioned
        return out

    def _causal_graph(self, _a: NoArgs) -> dict[str, Any]:
        return self.services.causal.graph_summary()  # type: ignore[union-attr]

    def _causal_effect(self, a: CausalEffectArgs) -> dict[str, Any]:
        return self.services.causal.effect(a.treatment, a.outcome)  # type: ignore[union-attr]

    def _respond(self, a: RespondArgs) -> dict[str, Any]:
        valid = [i for i in a.item_ids if i in self.bus]
        self.final = RespondArgs(message=a.message, item_ids=valid)
        dropped = [i for i in a.item_ids if i not in self.bus]
        return {"accepted_item_ids": valid, "dropped_non_candidates": dropped}


def _rank01(values: Any) -> np.ndarray:
    """Rank-normalise to [0, 1] so scores on different scales can be blended."""
    v = np.asarray(values, dtype=float)
    if v.size <= 1:
        return np.ones_like(v)
    order = v.argsort(kind="stable").argsort(kind="stable")
    return order / (v.size - 1)


def _render(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= 3000 else text[:2990] + "...}"
