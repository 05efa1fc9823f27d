"""The planner's tool arguments: one strict pydantic model per tool (no extra keys), with the
description the model reads, and the compact variants bound for small models.

Why apart from the toolbox: these are the model-facing contract (what ``Toolbox.tool_specs`` sends
and ``Toolbox.run`` validates against); the toolbox holds what each call does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchArgs(_Strict):
    query: str = Field(..., min_length=1, max_length=500, description="What the user wants, in words (genres, moods, themes, titles).")
    year_min: int | None = Field(None, ge=1870, le=2100, description="Earliest release year, or null.")
    year_max: int | None = Field(None, ge=1870, le=2100, description="Latest release year, or null.")
    genres: list[str] = Field(default_factory=list, max_length=5, description="Genre words such as horror, comedy.")
    k: int = Field(20, ge=1, le=100)


class SimilarArgs(_Strict):
    title: str = Field(..., min_length=1, max_length=200, description="A movie title from the conversation.")
    k: int = Field(20, ge=1, le=100)


class ScoreArgs(_Strict):
    scorer: Literal["default", "popularity", "lightgcn", "rl"] = "default"


class PreferenceArgs(_Strict):
    liked: list[str] = Field(default_factory=list, max_length=20, description="Titles the user liked.")
    disliked: list[str] = Field(default_factory=list, max_length=20, description="Titles the user disliked.")
    seen: list[str] = Field(default_factory=list, max_length=20, description="Titles the user has already seen.")


class CausalEffectArgs(_Strict):
    treatment: str = Field("suggested", max_length=64)
    outcome: str = Field("liked", max_length=64)


class RespondArgs(_Strict):
    message: str = Field(..., max_length=2000, description="The reply shown to the user.")
    item_ids: list[str] = Field(default_factory=list, max_length=10, description="Ids of candidates to recommend.")


class NoArgs(_Strict):
    pass


SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "search_items": (SearchArgs, "Search the movie catalog by description, mood, genre or title. Use for new requests."),
    "similar_items": (SimilarArgs, "Find movies similar to one the user named ('more like X')."),
    "score_candidates": (ScoreArgs, "Rank the candidates found so far for this user (collaborative + RL policy)."),
    "record_preference": (PreferenceArgs, "Remember titles the user liked, disliked or has seen."),
    "causal_graph": (NoArgs, "Summarise the causal graph discovered from past conversations."),
    "causal_effect": (CausalEffectArgs, "Estimated causal effect of being suggested on being liked, from past data."),
    "respond": (RespondArgs, "Send the final reply to the user, with the ids of the candidates to recommend."),
}


class PlanSearchArgs(_Strict):
    query: str = Field(..., min_length=1, max_length=200, description="What the user wants, in a few words.")


class PlanSimilarArgs(_Strict):
    title: str = Field(..., min_length=1, max_length=120, description="The movie title the user named.")


class PlanPreferenceArgs(_Strict):
    liked: list[str] = Field(default_factory=list, max_length=5, description="Titles the user liked.")
    disliked: list[str] = Field(default_factory=list, max_length=5, description="Titles the user disliked.")


#: compact argument schemas for small models: every optional field is one more thing to get wrong
#: (and more tokens to decode); years and genres come from the deterministic understanding instead
COMPACT: dict[str, type[BaseModel]] = {
    "search_items": PlanSearchArgs, "similar_items": PlanSimilarArgs, "record_preference": PlanPreferenceArgs,
}
