"""The LightGCN graph source, the back-off that fills every list, and the per-source rank features."""

from __future__ import annotations

import numpy as np
import pytest

from tests.recsys_world import EPISODES, world
from tools.recsys.constraints import relaxations
from tools.recsys.cooccurrence import CoSuggestionStats
from tools.recsys.features import FEATURES, build_features
from tools.recsys.graph_embed import dialogue_graph
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.request import RecRequest
from tools.recsys.sources import CoSuggestionSource, GraphSource, PopularitySource, RequestRows

CAT, SPACE, STATS = world()
#: tiny graph: a few small epochs are plenty and keep the test fast
TOY_GCN = {"dim": 16, "epochs": 60, "batch_size": 1000, "eval_every": 20}


@pytest.fixture(scope="module")
def graph_stats() -> CoSuggestionStats:
    return CoSuggestionStats.fit(EPISODES, SPACE, graph=TOY_GCN)


def test_dialogue_graph_has_one_user_per_dialogue_and_an_edge_per_mentioned_film():
    g = dialogue_graph(EPISODES, SPACE)
    assert len(g.user_ids) == 8  # d0-d3, e0-e2, f
    assert g.users.size == 16  # every dialogue mentions two films
    assert g.item_counts()[SPACE.index["6"]] == 0  # the placeholder was never talked about


def test_graph_source_ranks_the_known_neighbour_first(graph_stats):
    src = GraphSource(graph_stats.item_emb)
    assert graph_stats.item_emb.shape == (len(SPACE), TOY_GCN["dim"])
    assert not graph_stats.item_emb[SPACE.index["6"]].any()  # no edge, no collaborative evidence
    for liked, best in (("1", "2"), ("3", "4")):
        req = RecRequest(liked=(liked,), exclude=frozenset({liked}))
        s = src.scores(req, RequestRows.of(req, SPACE))
        s[SPACE.index[liked]] = -np.inf
        assert SPACE.ids[int(np.argmax(s))] == best
    assert src.scores(RecRequest(), RequestRows.of(RecRequest(), SPACE)) is None


def test_graph_embeddings_survive_save_and_load(graph_stats, tmp_path):
    graph_stats.save(tmp_path / "stats")
    loaded = CoSuggestionStats.load(tmp_path / "stats")
    assert np.allclose(loaded.item_emb, graph_stats.item_emb)
    STATS.save(tmp_path / "plain")
    assert CoSuggestionStats.load(tmp_path / "plain").item_emb is None  # a model without the graph still loads


def test_relaxations_drop_positive_wishes_in_order_and_keep_exclusions():
    req = RecRequest(people_include=("tom hanks",), year_min=2000, genres_exclude=("horror",),
                     exclude=frozenset({"1"}))
    first, second = relaxations(req)
    assert first.people_include == () and first.year_min == 2000
    assert second.year_min is None and second.year_max is None
    assert second.exclude == req.exclude and second.genres_exclude == ("horror",)
    assert relaxations(RecRequest(liked=("1",))) == []


def _ranker() -> LearnedRanker:
    rng = np.random.default_rng(0)
    x = np.full((400, len(FEATURES)), np.nan, dtype=np.float32)
    x[:, FEATURES.index("suggested_prior")] = rng.random(400)
    y = np.zeros(400, dtype=np.int32)
    for g in range(50):
        y[g * 8 + int(np.argmax(x[g * 8:(g + 1) * 8, FEATURES.index("suggested_prior")]))] = 1
    return LearnedRanker.fit((x, y, [8] * 50), None, RankerConfig(n_estimators=20, min_child_samples=5))


def test_the_list_is_filled_to_depth_after_every_strict_match():
    """Only Alien and Aliens have Sigourney Weaver; the list still has k films, those two first."""
    rec = Recommender(SPACE, STATS, [CoSuggestionSource(STATS), PopularitySource(STATS.suggested)], _ranker(),
                      depth=3)
    req = RecRequest(people_include=("sigourney weaver",), genres_exclude=("musical",), exclude=frozenset({"3"}))
    ids = [r.item_id for r in rec.recommend(req, k=4)]
    assert set(ids[:2]) == {"1", "2"}
    assert len(ids) == len(set(ids)) == 2 + 1  # + Up; Toy Story is excluded, the musical and placeholder never
    assert "3" not in ids and "5" not in ids and "6" not in ids
    single = rec.source_ranking(req, "popularity", 4)
    assert set(single[:2]) == {"1", "2"} and single[2:] == ["4"]
    unconstrained = [r.item_id for r in rec.recommend(RecRequest(exclude=frozenset({"3"})), k=4)]
    assert len(unconstrained) == 4  # nothing to relax: the strict list is already full


def test_rank_features_give_the_source_order(graph_stats):
    req = RecRequest(liked=("1",), exclude=frozenset({"1"}))
    rr = RequestRows.of(req, SPACE)
    scores = {"cosuggest": CoSuggestionSource(graph_stats).scores(req, rr),
              "graph": GraphSource(graph_stats.item_emb).scores(req, rr)}
    x = build_features(req, rr, SPACE.rows(["2", "4"]), SPACE, graph_stats, scores)
    col = FEATURES.index
    assert x[0, col("rank_cosuggest")] == 0.0  # Aliens is what recommenders suggested after Alien
    assert x[1, col("rank_cosuggest")] > 0.0
    assert x[0, col("graph_max")] > x[1, col("graph_max")]
    assert np.isnan(x[0, col("rank_content")])  # no content source in this request: does not apply
