"""Evidence bundles and the template path: JSON round-trip, builder, and faithful-by-construction."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.catalog.catalog import Catalog, Item
from tools.explain.evidence import EvidenceBundle, causal_from_dict
from tools.explain.evidence_builder import build_evidence
from tools.explain.explainer import check_explanation
from tools.explain.faithfulness import TitleIndex
from tools.explain.templates import evidence_lines, format_facts, template_sentences
from tools.scoring import ScorerEvidence

CAT = Catalog((
    Item("1", "Toy Story", 1995, ("Animation", "Comedy"), ("pixar", "toys"), popularity=120),
    Item("2", "Monsters, Inc.", 2001, ("Animation",), ("pixar",)),
    Item("3", "Up", 2009, ("Animation",), ("balloons",)),
))
#: tricky other-catalog titles: everyday words and phrases the template's connectives use
TRICKY_TITLES = ["Up", "It", "Her", "Big", "Heat", "Seven", "Matches", "The Learning Policy", "Past Conversations",
                 "You Liked", "Similarity", "In Past Conversations", "Mentioned", "Recommended", "Found", "Value"]


def test_bundle_round_trips_through_json():
    b = build_evidence(
        CAT.get("1"), query="funny toys movie", hit={"vector_score": 0.8123},
        scorer_evidence=[ScorerEvidence("lightgcn", "1", 0.9, {"2": 0.5, "3": 0.25, "999": 0.2}),
                         ScorerEvidence("rl", "1", 1.5, details={"q_value": 1.5, "explored": True})],
        causal=[{"treatment": "genre_animation", "outcome": "liked", "effect": 0.2, "ci_low": 0.1, "ci_high": 0.3,
                 "edges": ["genre_animation -> liked"]}],
        filters={"year_min": 1990, "genres": ("Animation",), "empty": None},
        versions={"catalog": CAT.version, "prompt": "explain-v1"}, title_of=CAT,
    )
    again = EvidenceBundle.from_dict(json.loads(json.dumps(b.to_dict())))
    assert again == b
    f = b.facts()
    assert f["retrieval.matched_terms"] == ["toys", "funny"] or set(f["retrieval.matched_terms"]) >= {"toys"}
    assert f["retrieval.similarity"] == 0.8123
    # the unknown liked id 999 is dropped rather than shown as a number
    assert f["collab.liked_contributors"] == [{"title": "Monsters, Inc.", "share": 0.5}, {"title": "Up", "share": 0.25}]
    assert f["policy.q_value"] == 1.5 and f["policy.explored"] is True
    assert f["causal.effect"]["interval"] == [0.1, 0.3] and f["causal.effect"]["edges"] == ["genre_animation -> liked"]
    assert f["filters.year_min"] == 1990 and f["filters.genres"] == ["Animation"] and "filters.empty" not in f
    assert f["popularity.mentions"] == 120
    assert "versions.catalog" not in f and b.versions["catalog"] == CAT.version


def test_causal_dict_needs_an_estimate():
    import pytest

    from tools.errors import InputError

    with pytest.raises(InputError, match="estimate"):
        causal_from_dict({"treatment": "a", "outcome": "b"})


def test_template_and_lines_for_a_full_bundle():
    b = build_evidence(CAT.get("1"), query="toys", scorer_evidence=[ScorerEvidence("gcn", "1", 1.0, {"2": 0.6})],
                       versions={"catalog": "c"}, title_of=CAT)
    sents = template_sentences(b)
    assert 1 <= len(sents) <= 3
    assert sents[0].text == "It is recommended mainly because you liked Monsters, Inc. (60%)."
    assert check_explanation(sents, b, TitleIndex.from_catalog(CAT)).passed
    lines = evidence_lines(b)
    assert lines[0] == "Toy Story (1995)" and any("Monsters, Inc. (60% of the score)" in x for x in lines)
    assert "- collab.liked_contributors: Monsters, Inc. (60% of the score)" in format_facts(b)


_text = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -'&:"),
                min_size=1, max_size=24).filter(lambda s: s.strip())
_share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
_num = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)


@st.composite
def bundles(draw):
    title = draw(_text)
    liked_titles = draw(st.lists(_text, max_size=3, unique=True))
    contribs = {f"L{i}": draw(_share) for i in range(len(liked_titles))}
    lo = draw(_num)
    causal = draw(st.one_of(st.none(), st.builds(
        lambda est, w, lvl: {"treatment": "genre_x", "outcome": "accepted", "estimate": est,
                             "interval": [lo, lo + w], "level": lvl, "edges": [["genre_x", "accepted"]]},
        _num, st.floats(0, 5, allow_nan=False), st.sampled_from([0.9, 0.95, 0.99]))))
    item = Item("X", title, draw(st.one_of(st.none(), st.integers(1900, 2030))),
                tuple(draw(st.lists(st.sampled_from(["Drama", "Comedy", "Horror", "Science Fiction", "War"]),
                                    max_size=3, unique=True))),
                tuple(draw(st.lists(_text, max_size=4, unique=True))),
                popularity=draw(st.one_of(st.just(0.0), st.integers(1, 10_000).map(float),
                                          st.floats(0.001, 999, allow_nan=False))))
    policy = draw(st.one_of(st.just([]), st.builds(
        lambda q, e: [ScorerEvidence("rl", "X", q, details={"q_value": q, "explored": e})], _num, st.booleans())))
    titles = dict(zip(contribs, liked_titles, strict=True))
    return build_evidence(
        item, query=draw(st.one_of(st.just(""), _text)),
        hit=draw(st.one_of(st.none(), st.builds(lambda s: {"similarity": s}, st.floats(-1, 1, allow_nan=False)))),
        scorer_evidence=[ScorerEvidence("gcn", "X", 1.0, contribs), *policy], causal=causal,
        filters=draw(st.one_of(st.just({}), st.builds(lambda y: {"year_min": y}, st.integers(1900, 2030)))),
        versions={"catalog": "c"}, title_of=titles.get,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles(), st.lists(_text, max_size=8))
def test_template_is_always_faithful(bundle, other_titles):
    index = TitleIndex([*TRICKY_TITLES, *other_titles], vocabulary=["balloons", "heist", "pixar"])
    sents = template_sentences(bundle)
    assert 1 <= len(sents) <= 3
    result = check_explanation(sents, bundle, index)
    assert result.passed, (result.violations, [s.text for s in sents], bundle.facts())
    # every sentence of every template, not just the first three, is faithful
    for extra in template_sentences(bundle, max_sentences=10)[3:]:
        assert check_explanation([extra], bundle, index).passed, extra
