"""Typed claims: everything an explanation may say about one card, read off the ranker's account.

Why claims and not free facts: an explanation is only trustworthy if each statement (a) is about
this card's film, (b) gets the user's attitude right ("you liked Alien", not "you hated it"),
(c) names the right relation ("people who brought up Alien were pointed to it" is a different
claim from "its story is close to Alien") and (d) reflects what actually moved the ranker.
So each claim carries its subject, relation, object, the user's polarity towards the object,
and the summed LightGBM SHAP contribution of the features behind it. A claim exists only when
those features pushed the score up (or, for constraints, when the film meets a hard filter the
user set); "mainly" is reserved for the largest contributor (``top``).

The checker (tools/explain/claim_check.py) verifies sentences against these claims; the templates
(tools/explain/claim_text.py) write them; the LLM may only choose among a card's own claim keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

import numpy as np

from tools.catalog.catalog import Catalog, Item
from tools.catalog.movie_genres import genre_label, genre_parts
from tools.explain.evidence_builder import matched_terms
from tools.recsys.cooccurrence import CoSuggestionStats
from tools.recsys.item_space import ItemSpace, item_people
from tools.recsys.request import RankedItem, RecRequest
from tools.text import normalise_name


class Polarity(StrEnum):
    """The user's attitude towards a claim's object."""

    LIKED = "liked"
    DISLIKED = "disliked"
    ASKED_FOR = "asked_for"
    RULED_OUT = "ruled_out"
    MENTIONED = "mentioned"
    NONE = "none"


class Relation(StrEnum):
    LIKED_ALSO = "liked_also"        # conversations that brought up X went on to suggest this film
    SIMILAR_TO = "similar_to"        # its plot/content is close to X
    UNLIKE = "unlike"                # it is far from X, which the user disliked
    MATCHES_GENRE = "matches_genre"  # it has a genre the user asked for
    SHARES_GENRE = "shares_genre"    # it shares genres with the films the user liked
    HAS_PERSON = "has_person"        # a person the user asked for / from a liked film is in it
    MATCHES_WORDS = "matches_words"  # the user's own words match its description
    POPULAR = "popular"              # often suggested in past conversations
    ASKED_ALIKE = "asked_alike"      # suggested to people who asked in words like the user's (the talk source)
    SAME_ERA = "same_era"            # from the same years as the films the user liked
    IN_YEAR_RANGE = "in_year_range"  # inside the years the user asked for (constraint)
    AVOIDS = "avoids"                # lacks a genre/person the user ruled out (constraint)
    CAUSAL_EFFECT = "causal_effect"  # in its segment, being suggested raised the chance of being liked


#: ranker features behind each relation (their SHAP values summed are the claim's contribution)
RELATION_FEATURES: dict[Relation, tuple[str, ...]] = {
    # the LightGCN scores and the sources' ranks are smoothed forms of the same co-suggestion and co-mention
    # statistics, so their push is the "people who liked X went on to it" reason (named with X's own count)
    Relation.LIKED_ALSO: ("cosuggest", "cosuggest_max", "comention", "graph", "cosuggest_recent",
                          "comention_recent", "graph_max", "graph_recent", "rank_cosuggest", "rank_comention",
                          "rank_graph", "cosuggest_lift"),
    Relation.SIMILAR_TO: ("content", "content_mean", "content_recent", "rank_content"),
    Relation.UNLIKE: ("cosuggest_disliked", "content_disliked", "genre_disliked_overlap", "graph_disliked"),
    Relation.MATCHES_GENRE: ("genre_request_match", "genre_request_miss", "rank_attributes"),
    Relation.SHARES_GENRE: ("genre_liked_overlap", "genre_novel_share"),
    Relation.HAS_PERSON: ("people_request_match", "people_liked_overlap", "rank_people"),
    Relation.MATCHES_WORDS: ("query", "rank_query"),
    Relation.POPULAR: ("suggested_prior", "mentioned_prior", "suggest_rate"),
    Relation.ASKED_ALIKE: ("talk", "rank_talk", "talk_lift"),
    Relation.SAME_ERA: ("year_gap", "year"),
    Relation.IN_YEAR_RANGE: ("in_year_range",),
}
#: a reason must carry at least this share of the card's positive push to be claimed at all
MIN_SHARE = 0.05


@dataclass(frozen=True)
class Claim:
    """One statement an explanation may make about ``subject_id``."""

    key: str
    relation: Relation
    subject_id: str
    subject_title: str
    polarity: Polarity
    #: what the claim is about: a film title, genre names, person names, matched words, a segment
    objects: tuple[str, ...] = ()
    object_id: str | None = None
    #: the number the claim may state (a count, a similarity, a year, an effect), if any
    value: float | None = None
    interval: tuple[float, float] | None = None
    #: summed SHAP contribution of its features (0 for constraints and causal context)
    contribution: float = 0.0
    #: contribution / the card's total positive push
    share: float = 0.0
    top: bool = False
    constraint: bool = False
    features: tuple[str, ...] = ()
    #: e.g. "director"/"cast" for people, "comention" for a co-mention count, a via-film for people
    detail: str = ""

    def fact(self) -> dict[str, Any]:
        """What a sentence citing this claim may state (the checker's citable values)."""
        d: dict[str, Any] = {"about": self.subject_title}
        if self.objects:
            d["objects"] = list(self.objects)
        if self.value is not None:
            d["value"] = int(self.value) if float(self.value).is_integer() else round(self.value, 2)
        if self.interval is not None:
            d["interval"] = [round(self.interval[0], 2), round(self.interval[1], 2)]
            d["level"] = 95
        if self.relation is Relation.HAS_PERSON:
            role, _, via = self.detail.partition(":")
            # the words a sentence may use for the person's part in the film
            d["role"] = {"director": "director, directed by, made",
                         "author": "author, writer, wrote, written by, based on, book, novel, adapted from"}.get(
                role, "cast, stars, starring, actor, plays")
            if via:
                d["via"] = via
        return d

    def to_dict(self) -> dict[str, Any]:
        # the fields are flat values: a shallow copy is the same dict ``asdict`` builds, without its deep
        # copy of every value (measured: a third of a turn's serialisation time)
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["relation"] = self.relation.value
        d["polarity"] = self.polarity.value
        d["objects"] = list(self.objects)
        d["features"] = list(self.features)
        d["interval"] = None if self.interval is None else list(self.interval)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Claim:
        try:
            return cls(key=str(d["key"]), relation=Relation(d["relation"]), subject_id=str(d["subject_id"]),
                       subject_title=str(d["subject_title"]), polarity=Polarity(d["polarity"]),
                       objects=tuple(d.get("objects") or ()), object_id=d.get("object_id"),
                       value=None if d.get("value") is None else float(d["value"]),
                       interval=None if d.get("interval") is None else (float(d["interval"][0]),
                                                                        float(d["interval"][1])),
                       contribution=float(d.get("contribution") or 0.0), share=float(d.get("share") or 0.0),
                       top=bool(d.get("top")), constraint=bool(d.get("constraint")),
                       features=tuple(d.get("features") or ()), detail=str(d.get("detail") or ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a claim dict ({exc}); pass what Claim.to_dict() produced") from exc


@dataclass(frozen=True)
class ClaimContext:
    """What the claim builder reads besides the card: the recommender's item space and statistics."""

    space: ItemSpace
    stats: CoSuggestionStats
    catalog: Catalog
    #: optional ``(item) -> SegmentEffect | None`` giving the effect of its own segment
    segment_effect: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _title(cat: Catalog, item_id: str) -> str:
    return cat.get(item_id).title if item_id in cat else item_id


def _rows(space: ItemSpace, ids: Sequence[str]) -> np.ndarray:
    return np.array([space.index[i] for i in ids if i in space.index], dtype=np.int64)


def _display_people(item: Item) -> dict[str, tuple[str, str]]:
    """normalised name -> (name as credited, role): director, else cast, else author of the source."""
    out = {normalise_name(n): (n, "director") for n in item.directors}
    for n in item.cast:
        out.setdefault(normalise_name(n), (n, "cast"))
    for n in item.authors:
        out.setdefault(normalise_name(n), (n, "author"))
    return out


def _group_contributions(contrib: Mapping[str, float]) -> dict[Relation, float]:
    return {rel: float(sum(contrib.get(f, 0.0) for f in feats)) for rel, feats in RELATION_FEATURES.items()}


def build_claims(ranked: RankedItem, req: RecRequest, ctx: ClaimContext) -> tuple[Claim, ...]:
    """The claims of one ranked card, largest contributor first, constraints and context last."""
    cat, space, stats = ctx.catalog, ctx.space, ctx.stats
    item = cat.get(ranked.item_id)
    row = space.index.get(item.item_id)
    groups = _group_contributions(ranked.contributions)
    push = sum(v for v in groups.values() if v > 0) or 1.0
    reasons: list[Claim] = []

    def reason(rel: Relation, polarity: Polarity, objects: Sequence[str] = (), **kw: Any) -> None:
        c = groups.get(rel, 0.0)
        if c <= 0 or c / push < MIN_SHARE:
            return  # nothing is claimed that did not move the score up
        reasons.append(Claim(rel.value, rel, item.item_id, item.title, polarity, tuple(objects), contribution=c,
                             share=c / push, features=RELATION_FEATURES[rel], **kw))

    liked = set(req.liked)
    if row is not None:
        context = [i for i in req.context_items if i in space.index and i != item.item_id]
        # people who brought up X were pointed to this film: the strongest co-suggestion (or co-mention) count
        if context:
            crow = _rows(space, context)
            sug = stats.cells(stats.suggest, crow, row)
            com = stats.cells(stats.comention, crow, row)
            c = ranked.contributions
            # name the statistic that actually pushed: co-suggestion ("went on to suggest it") or co-mention
            sug_push = sum(c.get(f, 0.0) for f in ("cosuggest", "cosuggest_max", "cosuggest_recent"))
            com_push = sum(c.get(f, 0.0) for f in ("comention", "comention_recent"))
            use_sug = sug.max() > 0 and (sug_push >= com_push or com.max() == 0)
            best, kind, counts = (int(np.argmax(sug)), "suggested", sug) if use_sug else \
                (int(np.argmax(com)), "comention", com)
            if counts[best] > 0:
                x = context[best]
                reason(Relation.LIKED_ALSO, Polarity.LIKED if x in liked else Polarity.MENTIONED, (_title(cat, x),),
                       object_id=x, value=float(counts[best]), detail=kind)
        if space.vectors is not None:
            anchor = [i for i in (req.liked or req.context_items) if i in space.index and i != item.item_id]
            if anchor:
                sims = space.vectors[_rows(space, anchor)] @ space.vectors[row]
                best = int(np.argmax(sims))
                if sims[best] > space.close_story:
                    x = anchor[best]
                    reason(Relation.SIMILAR_TO, Polarity.LIKED if x in liked else Polarity.MENTIONED,
                           (_title(cat, x),), object_id=x, value=round(float(sims[best]), 2))
            disliked = [i for i in req.disliked if i in space.index]
            if disliked:
                sims = space.vectors[_rows(space, disliked)] @ space.vectors[row]
                best = int(np.argmax(sims))
                if sims[best] < 0.5:  # "far from what you disliked" only when it really is far
                    reason(Relation.UNLIKE, Polarity.DISLIKED, (_title(cat, disliked[best]),),
                           object_id=disliked[best])
    item_genres = {normalise_name(g): g for g in item.genres}
    asked = [item_genres[normalise_name(g)] for g in req.genres_include
             if normalise_name(g) in item_genres and g not in req.genres_implied_in]  # only what the user asked
    if asked:
        reason(Relation.MATCHES_GENRE, Polarity.ASKED_FOR, asked)
    liked_genres = {normalise_name(g) for i in req.liked if i in cat for g in cat.get(i).genres}
    shared = [g for n, g in item_genres.items() if n in liked_genres]
    if shared:
        reason(Relation.SHARES_GENRE, Polarity.LIKED, shared[:3])
    people = _display_people(item)
    wanted = [people[normalise_name(p)] for p in req.people_include if normalise_name(p) in people]
    asked_people: list[Claim] = []
    if wanted:  # a person the user asked for is a hard filter: claimed as met, whatever it contributed
        c = max(0.0, groups.get(Relation.HAS_PERSON, 0.0))
        asked_people.append(Claim("has_person", Relation.HAS_PERSON, item.item_id, item.title, Polarity.ASKED_FOR,
                                  tuple(n for n, _ in wanted), contribution=c, share=c / push, constraint=True,
                                  features=RELATION_FEATURES[Relation.HAS_PERSON], detail=wanted[0][1]))
    elif req.liked:
        for lid in req.liked:
            if lid not in cat or lid == item.item_id:
                continue
            common = [people[p] for p in item_people(cat.get(lid)) if p in people]
            if common:
                name, role = common[0]
                reason(Relation.HAS_PERSON, Polarity.LIKED, (name,), object_id=lid,
                       detail=f"{role}:{cat.get(lid).title}")
                break
    if req.query_text:
        # only the user's own words: "light" standing for "comedy family" is not something they wrote
        all_terms = matched_terms(req.said, item)
        said = {normalise_name(g) for g in (*req.genres_include, *asked)}
        named = {w for i in req.context_items if i in cat for w in normalise_name(cat.get(i).title).split()}
        # the genre claim already says the asked genres; words of a film the user named are that film, not a wish
        terms = tuple(t for t in all_terms if normalise_name(t) not in said and not set(normalise_name(t).split()) <= named)
        q = ranked.features.get("query")
        if terms or (q is not None and not all_terms):
            reason(Relation.MATCHES_WORDS, Polarity.ASKED_FOR, terms[:4],
                   value=None if terms or q is None else round(float(q), 2))
    if (ranked.features.get("talk") or 0.0) > 0:  # at least one past request near the user's words got it
        reason(Relation.ASKED_ALIKE, Polarity.NONE)
    if row is not None and stats.mentioned[row] > 0:
        reason(Relation.POPULAR, Polarity.NONE, value=float(int(stats.mentioned[row])))
    if item.year and "year_gap" in ranked.features and ranked.features["year_gap"] <= 8:
        reason(Relation.SAME_ERA, Polarity.LIKED, (f"{item.year // 10 * 10}s",), value=float(item.year))
    reasons.sort(key=lambda c: -c.contribution)
    if reasons:
        reasons[0] = _replace(reasons[0], top=True)
    return (*reasons, *asked_people, *_constraints(item, req, groups, push), *_causal(item, ctx))


def _replace(c: Claim, **kw: Any) -> Claim:
    from dataclasses import replace

    return replace(c, **kw)


def _constraints(item: Item, req: RecRequest, groups: Mapping[Relation, float], push: float) -> list[Claim]:
    """Hard filters the film meets: claimed because the user set them, whatever their contribution."""
    out: list[Claim] = []
    if item.year and (req.year_min is not None or req.year_max is not None):
        lo, hi = req.year_min, req.year_max
        rng = f"{lo}-{hi}" if lo and hi else (f"from {lo} on" if lo else f"up to {hi}")  # both ends included
        c = max(0.0, groups.get(Relation.IN_YEAR_RANGE, 0.0))
        out.append(Claim("in_year_range", Relation.IN_YEAR_RANGE, item.item_id, item.title, Polarity.ASKED_FOR,
                         (rng,), value=float(item.year), contribution=c, share=c / push, constraint=True,
                         features=RELATION_FEATURES[Relation.IN_YEAR_RANGE]))
    have = {normalise_name(g) for g in item.genres}
    said_out = [g for g in req.genres_exclude if g not in req.genres_implied_out]  # only what the user ruled out
    ruled = [genre_label(g) for g in said_out if not all(normalise_name(p) in have for p in genre_parts(g))]
    people = set(item_people(item))
    ruled_people = [p for p in req.people_exclude if normalise_name(p) not in people]
    for n, obj in enumerate([*ruled[:2], *ruled_people[:1]], 1):
        out.append(Claim(f"avoids_{n}", Relation.AVOIDS, item.item_id, item.title, Polarity.RULED_OUT, (obj,),
                         constraint=True, detail="person" if obj in ruled_people else "genre"))
    return out


def _causal(item: Item, ctx: ClaimContext) -> list[Claim]:
    """The effect of being suggested in this film's own segment, only when its interval excludes zero."""
    if ctx.segment_effect is None:
        return []
    eff = ctx.segment_effect(item)
    if eff is None or not (eff.low > 0 or eff.high < 0):
        return []
    return [Claim("causal_effect", Relation.CAUSAL_EFFECT, item.item_id, item.title, Polarity.NONE, (eff.label,),
                  value=round(float(eff.estimate), 2), interval=(float(eff.low), float(eff.high)),
                  detail=eff.segment)]


def contribution_table(ranked_features: Mapping[str, float], contributions: Mapping[str, float]) -> list[dict[str, Any]]:
    """Every feature the ranker used for this card: value, signed contribution, the claim it backs."""
    owner = {f: rel.value for rel, feats in RELATION_FEATURES.items() for f in feats}
    rows = [{"feature": f, "value": ranked_features.get(f), "contribution": round(float(c), 4),
             "claim": owner.get(f, "(context, not a reason)")}
            for f, c in contributions.items() if f != "_bias"]
    rows.sort(key=lambda r: -abs(r["contribution"]))
    if "_bias" in contributions:
        rows.append({"feature": "(baseline)", "value": None, "contribution": round(float(contributions["_bias"]), 4),
                     "claim": "(every card)"})
    return rows
