"""The starter recommender: the one pipeline on an install whose ranker is not trained yet.

Known answers on the tiny world of tests/recsys_world.py: its interactions say Alien fans also
like Aliens, its plot vectors put Aliens next to Alien and The Sound of Music near Toy Story.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.recsys_world import ITEMS, VECTORS, query_embedder
from tools.catalog.catalog import Catalog, Interaction
from tools.recsys.features import FEATURES
from tools.recsys.item_space import ItemSpace
from tools.recsys.prior_ranker import PriorRanker, PriorRankerConfig
from tools.recsys.request import RecRequest
from tools.recsys.starter import interaction_stats, starter_recommender

INTERACTIONS = tuple(
    [Interaction(f"sf{u}", i) for u in range(3) for i in ("1", "2")]
    + [Interaction(f"kid{u}", i) for u in range(3) for i in ("3", "4")]
    + [Interaction("grump", "5", "disliked")])


def _catalog() -> Catalog:
    return Catalog(tuple(ITEMS), INTERACTIONS, name="starter-world")


def _starter():
    cat = _catalog()
    space = ItemSpace.from_catalog(cat, ([i.item_id for i in ITEMS], VECTORS))
    return starter_recommender(cat, space, embed=query_embedder, depth=6)


def test_prior_ranker_contributions_add_up_and_bad_input_is_refused():
    ranker = PriorRanker()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(7, len(FEATURES)))
    x[0, 3] = np.nan  # "does not apply" counts as nothing
    contrib, bias = ranker.contributions(x)
    np.testing.assert_allclose(contrib.sum(axis=1) + bias, ranker.predict(x))
    assert contrib[0, 3] == 0.0
    with pytest.raises(ValueError, match="unknown features: vibes"):
        PriorRanker(PriorRankerConfig((("vibes", 1.0),)))
    with pytest.raises(ValueError, match="feature matrix"):
        ranker.predict(np.zeros((2, 3)))


def test_interaction_stats_count_liked_films_together_and_ignore_dislikes():
    cat = _catalog()
    space = ItemSpace.from_catalog(cat)
    stats = interaction_stats(cat, space)
    a, b = space.index["1"], space.index["2"]
    assert stats.comention[a, b] == 3 and stats.comention[a, space.index["3"]] == 0
    assert stats.mentioned[space.index["5"]] == 0  # a dislike is no mention of a liked film
    assert stats.suggested[a] == 50.0  # the catalog's popularity is the prior


def test_starter_ranks_the_liked_films_neighbour_first_and_keeps_the_hard_constraints():
    rec = _starter()
    top = rec.recommend(RecRequest(liked=("1",), exclude=frozenset({"1"})), k=3)
    assert top[0].item_id == "2"  # Aliens: liked together and closest in plot
    assert "6" not in [r.item_id for r in top]  # a placeholder row is never recommended
    # family films, but no musicals: The Sound of Music is ruled out whatever its score
    fam = rec.recommend(RecRequest(liked=("3",), genres_include=("family",), genres_exclude=("musical",),
                                   exclude=frozenset({"3"})), k=3)
    assert fam[0].item_id == "4" and "5" not in [r.item_id for r in fam]
    # the user's own words move the ranking through the query source
    words = rec.recommend(RecRequest(query_text="space monster"), k=2)
    assert words[0].item_id in {"1", "2"}


def test_starter_explains_cards_with_contributions_that_add_up():
    rec = _starter()
    req = RecRequest(liked=("1",), exclude=frozenset({"1"}))
    shown = rec.explain(req, rec.recommend(req, k=2))
    for r in shown:
        assert sum(r.contributions.values()) == pytest.approx(r.score, abs=1e-6)
    assert shown[0].contributions["content"] > 0 and "1" in shown[0].supported_by


def test_starter_uses_the_retrievers_index_vectors_when_the_catalog_ships_none():
    class Matrix:
        def item_vectors(self):
            return [i.item_id for i in ITEMS], VECTORS

    class Retriever:
        vectors = Matrix()

        @staticmethod
        def embed_query(text):
            return query_embedder(text)

    rec = starter_recommender(_catalog(), retriever=Retriever())
    assert rec.space.vectors is not None and {s.name for s in rec.sources} >= {"content", "query"}
    assert rec.recommend(RecRequest(query_text="space monster"), k=1)[0].item_id in {"1", "2"}
    bare = starter_recommender(replace(_catalog(), name="no-vectors"))
    assert bare.space.vectors is None and "content" not in {s.name for s in bare.sources}
