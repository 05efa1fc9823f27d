"""The talk source's memory: what was suggested after requests worded like this one."""

from __future__ import annotations

import numpy as np
import pytest

from tests.recsys_world import TALK, query_embedder, talk_memory, world
from tools.errors import DataError
from tools.recsys.features import FEATURES, build_features
from tools.recsys.recommender import Recommender
from tools.recsys.redial_samples import RedialSample
from tools.recsys.request import RecRequest
from tools.recsys.sources import PopularitySource, RequestRows, TalkSource, standard_sources
from tools.recsys.talk import TalkMemory
from tools.recsys.training import out_of_fold_table
from tools.recsys.training import talk_memory as build_talk_memory

CAT, SPACE, STATS = world()


def test_neighbours_vote_by_similarity_for_what_they_were_suggested():
    mem = talk_memory(SPACE)
    scores = mem.scores(query_embedder("space"))
    # both space requests (similarity 1) were answered with Aliens; the others are orthogonal (weight 0)
    assert scores[SPACE.index["2"]] == pytest.approx(1.0)
    assert scores[SPACE.index["4"]] == 0.0
    family = mem.scores(query_embedder("kids"))
    # two family requests, both answered with Up, one also with The Sound of Music
    assert family[SPACE.index["4"]] == pytest.approx(1.0)
    assert family[SPACE.index["5"]] == pytest.approx(0.5)
    # only the nearest neighbour counts when one is asked for
    one = mem.scores(query_embedder("space"), neighbours=1)
    assert one.sum() == pytest.approx(1.0) and one[SPACE.index["2"]] == pytest.approx(1.0)


def test_requests_without_words_or_targets_are_not_remembered():
    mem = TalkMemory.build(["", "space film", "space again"], [[1], [], [1]], ["a", "b", "c"], query_embedder,
                           len(SPACE))
    assert mem.dialogue_ids == ("c",)
    with pytest.raises(ValueError):
        TalkMemory.build(["x"], [[1], [2]], ["a"], query_embedder, len(SPACE))


def test_a_fold_keeps_only_its_rows_and_the_memory_survives_a_round_trip(tmp_path):
    mem = talk_memory(SPACE)
    part = mem.subset(np.array([d != "t1" for d in mem.dialogue_ids]))
    assert part.dialogue_ids == ("t2", "t3", "t4") and part.targets.shape == (3, len(SPACE))
    mem.save(tmp_path)
    back = TalkMemory.load(tmp_path)
    assert back is not None and back.dialogue_ids == mem.dialogue_ids
    assert np.array_equal(back.scores(query_embedder("kids")), mem.scores(query_embedder("kids")))
    assert TalkMemory.load(tmp_path / "none") is None
    with pytest.raises(DataError, match="retrain"):
        TalkMemory(mem.vectors[:2], mem.targets, mem.dialogue_ids)


def test_statistics_carry_the_memory_and_serve_the_talk_source_with_its_features(tmp_path):
    stats = type(STATS).fit([], SPACE)
    stats.talk = talk_memory(SPACE)
    stats.save(tmp_path)
    loaded = type(STATS).load(tmp_path)
    names = [s.name for s in standard_sources(SPACE, loaded, query_embedder)]
    assert "talk" in names
    assert "talk" not in [s.name for s in standard_sources(SPACE, loaded, None)]  # no words without an embedder
    req = RecRequest(query_text="a space monster")
    rec = Recommender(SPACE, loaded, [TalkSource(loaded.talk, query_embedder), PopularitySource(loaded.suggested)],
                      None, depth=3)
    pool = rec.pool(req)
    assert SPACE.index["2"] in pool.nominated["talk"]
    x = build_features(req, pool.request_rows, pool.rows, SPACE, loaded, pool.source_scores)
    at = list(pool.rows).index(SPACE.index["2"])
    assert x[at, FEATURES.index("talk")] == pytest.approx(1.0)
    assert x[at, FEATURES.index("rank_talk")] == 0.0  # log1p(rank 0)
    # never suggested in the (empty) dialogue counts: the whole pull is lift
    assert x[at, FEATURES.index("talk_lift")] == pytest.approx(1.0 / np.log(2.0))
    # the query vector is embedded once per request and shared by the sources that read words
    rr = RequestRows.of(req, SPACE)
    TalkSource(loaded.talk, query_embedder).scores(req, rr)
    assert "query_vector" in rr.memo


def test_training_pools_use_the_other_folds_memory_only():
    samples = [RedialSample(d, 1, (("user", t),), t, ids, (), ()) for t, ids, d in TALK]
    seen: list[tuple[str, ...]] = []

    def sources_for(stats):
        seen.append(stats.talk.dialogue_ids)
        return [TalkSource(stats.talk, query_embedder), PopularitySource(stats.suggested)]

    def build(s: RedialSample) -> RecRequest:
        return RecRequest(query_text=s.text)

    mem = build_talk_memory(samples, build, SPACE, query_embedder)
    assert mem.dialogue_ids == ("t1", "t2", "t3", "t4")
    out_of_fold_table(samples, [], SPACE, sources_for, build, folds=2, depth=3, progress=False, talk=mem)
    assert len(seen) == 2 and sorted(d for part in seen for d in part) == ["t1", "t2", "t3", "t4"]
