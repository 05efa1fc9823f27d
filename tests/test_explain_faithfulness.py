"""Known-answer tests for the faithfulness checker: planted hallucinations are caught, grounded text passes."""

from __future__ import annotations

import pytest

from tools.catalog.catalog import Item
from tools.explain.evidence_builder import build_evidence
from tools.explain.faithfulness import Sentence, TitleIndex, check_sentences

ITEMS = {
    "1": Item("1", "Toy Story", 1995, ("Animation", "Comedy"), ("pixar", "toys"), popularity=120),
    "2": Item("2", "Monsters, Inc.", 2001, ("Animation",), ("pixar",)),
    "3": Item("3", "Up", 2009, ("Animation",), ()),
    "4": Item("4", "Heat", 1995, ("Crime", "Thriller"), ()),
    "5": Item("5", "The Matrix", 1999, ("Science Fiction",), ()),
    "6": Item("6", "It", 2017, ("Horror",), ()),
    "7": Item("7", "Her", 2013, ("Romance",), ()),
    "8": Item("8", "Finding Nemo", 2003, ("Animation",), ()),
}
INDEX = TitleIndex([i.title for i in ITEMS.values()], ["pixar", "toys", "heist"])


@pytest.fixture()
def bundle():
    return build_evidence(
        ITEMS["1"], query="a funny pixar movie about toys",
        scorer_evidence=[{"scorer": "lightgcn", "item_id": "1", "score": 0.8, "contributions": {"2": 0.4166, "3": 0.2}}],
        causal={"treatment": "genre_animation", "outcome": "accepted", "estimate": 0.12, "interval": [0.03, 0.21],
                "edges": [["genre_animation", "accepted"]]},
        filters={"year_min": 1990}, versions={"catalog": "c1"}, title_of=lambda i: ITEMS[i].title,
    )


def check(bundle, text, keys):
    return check_sentences([Sentence(text, tuple(keys))], bundle.facts(), INDEX, display_title="Toy Story (1995)")


@pytest.mark.parametrize("text,keys", [
    ("Toy Story (1995) is an animated comedy about pixar toys.", ["item.title", "item.year", "item.genres", "item.tags"]),
    ("You liked Monsters, Inc. (42%) and Up (20%), so we picked it.", ["collab.liked_contributors"]),
    ("It was mentioned 120 times in past conversations.", ["popularity.mentions"]),
    ("It matches what you asked for: pixar, toys.", ["retrieval.matched_terms"]),
    ("Animated films like this raised acceptance by 0.12 (95% interval 0.03 to 0.21).", ["causal.effect", "item.genres"]),
    ("It is a 1990s classic released after 1990.", ["item.year", "filters.year_min"]),
    ("Two of the movies you liked point to it.", ["collab.liked_contributors"]),
    ("Released in 1995, Toy Story fits your request for a funny pixar movie about toys.",
     ["item.year", "retrieval.query"]),
])
def test_grounded_text_passes(bundle, text, keys):
    r = check(bundle, text, keys)
    assert r.passed, r.violations
    assert r.claims_total >= 1 and r.claims_supported == r.claims_total


@pytest.mark.parametrize("text,keys,fragment", [
    ("Toy Story was released in 1994.", ["item.year"], "'1994'"),                         # wrong year
    ("It is a lot like Finding Nemo.", ["item.title"], "Finding Nemo"),                    # unmentioned title
    ("You liked Monsters, Inc. (55%).", ["collab.liked_contributors"], "55%"),             # made-up share
    ("It was mentioned 300 times.", ["popularity.mentions"], "'300'"),                      # made-up count
    ("It is a pixar film.", ["item.director"], "unknown evidence key"),                     # nonexistent key
    ("It is a pixar film.", [], "cites no evidence key"),                                   # uncited
    ("Tom Hanks voices the lead.", ["item.title"], "Tom Hanks"),                           # actor not in evidence
    ("It is directed by John Lasseter.", ["item.title"], "cast/crew"),                    # crew claim
    ("It is a horror movie.", ["item.genres"], "'horror'"),                                 # genre not in evidence
    ("A classic from 1995, it won an Oscar.", ["item.title"], "'1995'"),                  # number from an uncited fact
    ("Fans of 'Up' and Heat love it.", ["collab.liked_contributors"], "Heat"),             # other item among real ones
    ("Toy Story ranks 3 times higher than The Matrix.", ["item.title"], "The Matrix"),
    ("It is a comedy.", ["item.year"], "'comedy'"),                                         # genre from an uncited fact
    ("You liked Monsters, Inc.", ["item.genres"], "Monsters, Inc."),                       # title from an uncited fact
    ("Toy Story is a pixar film about toys and toys and toys and toys and toys.", ["item.tags"], "repeats itself"),
    ("Hello, how is your day going?", ["popularity.mentions"], "states nothing"),            # filler citing a key
])
def test_planted_hallucination_is_rejected(bundle, text, keys, fragment):
    r = check(bundle, text, keys)
    assert not r.passed
    assert any(fragment in v for v in r.violations), r.violations
    assert r.claims_supported < r.claims_total


def test_share_rounding_is_whole_percent_only(bundle):
    assert check(bundle, "Monsters, Inc. gave 42% of the score.", ["collab.liked_contributors"]).passed
    assert check(bundle, "Monsters, Inc. gave 41.7% of the score.", ["collab.liked_contributors"]).passed
    assert not check(bundle, "Monsters, Inc. gave 44% of the score.", ["collab.liked_contributors"]).passed


def test_repeated_sentence_is_rejected(bundle):
    s = Sentence("Toy Story is a comedy.", ("item.genres",))
    r = check_sentences([s, s], bundle.facts(), INDEX)
    assert not r.passed and r.violations == ["sentence 2 repeats sentence 1"]


def test_contractions_are_not_names(bundle):
    assert check(bundle, "I'm sure you'll like it, it's a comedy.", ["item.genres"]).passed


def test_sentence_count_and_empty_output(bundle):
    facts = bundle.facts()
    four = [Sentence("Toy Story is animated.", ("item.genres",))] * 4
    assert not check_sentences(four, facts, INDEX).passed
    assert not check_sentences([], facts, INDEX).passed


class TestShortCommonWordTitles:
    """'Up', 'It', 'Her' are catalog titles AND everyday words."""

    @pytest.mark.parametrize("text", [
        "It is a fun pick.", "Up next is a fun pick.", "We think her kids will enjoy it.",
        "It grew up fast.", "Give it a try.", "Her? No, this one.",
    ])
    def test_everyday_use_is_not_a_title(self, text):
        assert INDEX.find_titles(text) == []

    @pytest.mark.parametrize("text,title", [
        ('You might also like "Up".', "Up"), ("If you enjoyed Her, try this.", "Her"),
        ("Much scarier than It, this one.", "It"), ("People who liked heat and Heat agree.", "Heat"),
        ("i loved finding nemo as a kid", "Finding Nemo"), ("Inspired by *The Matrix*.", "The Matrix"),
    ])
    def test_named_use_is_a_title(self, text, title):
        assert title in [t for t, _, _ in INDEX.find_titles(text)]

    def test_lowercase_single_word_title_is_not_named(self):
        assert INDEX.find_titles("the heat of the summer") == []


def test_titles_in_evidence_are_allowed(bundle):
    # "Up" is a liked contributor, so naming it is grounded
    assert check(bundle, 'Since you liked "Up", we chose it.', ["collab.liked_contributors"]).passed


def test_a_title_of_punctuation_only_is_backed_by_citing_it_but_filler_is_not():
    """Hypothesis found an item titled "-": its template sentence has no word to match."""
    from tools.explain.evidence import EvidenceBundle
    from tools.explain.explainer import check_explanation
    from tools.explain.faithfulness import TitleIndex
    from tools.explain.templates import template_sentences

    index = TitleIndex(["Alien"], vocabulary=["heist"])
    dash = EvidenceBundle(item_id="X", title="-", scores={"gcn": 1.0}, versions={"catalog": "c"})
    assert check_explanation(template_sentences(dash), dash, index).passed
    named = EvidenceBundle(item_id="Y", title="Heat", scores={"gcn": 1.0}, versions={"catalog": "c"})
    filler = [type(s)("It is a film you will enjoy.", s.evidence_keys) for s in template_sentences(named)[:1]]
    assert not check_explanation(filler, named, index).passed  # cites the title but states nothing of it
