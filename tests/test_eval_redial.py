"""The ReDial protocol on a tiny hand-made dialogue file with known rankings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.redial_bench import BenchAssets, comparison_table, make_rank_fns, run_benchmark
from evals.redial_protocol import evaluate, extract_samples
from tests.fixtures_retrieval import small_catalog
from tools.datasets.redial import load_dialogues


def _msg(i, sender, text):
    return {"messageId": i, "senderWorkerId": sender, "text": text, "timeOffset": 0}


def _dialogue(cid, msgs, liked=()):
    return {"conversationId": cid, "initiatorWorkerId": 1, "respondentWorkerId": 2,
            "messages": [_msg(i, s, t) for i, (s, t) in enumerate(msgs)],
            "movieMentions": {}, "respondentQuestions": {},
            "initiatorQuestions": {m: {"suggested": 0, "seen": 1, "liked": 1} for m in liked}}


@pytest.fixture()
def split(tmp_path: Path) -> Path:
    rows = [
        _dialogue("c1", [(1, "hi, I loved @5"), (1, "any ideas?"), (2, "try @8 or @6"), (1, "seen @8"),
                         (2, "then @4"), (2, "or @5 again")], liked=["5"]),
        _dialogue("c2", [(2, "hello, have you seen @1 ?"), (1, "no, I want scary stuff"), (2, "@777 is great")]),
    ]
    p = tmp_path / "mini.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return p


def test_extract_samples_merges_turns_and_filters(split: Path):
    titles = {i.item_id: i.title for i in small_catalog().items}
    ids = set(titles)
    samples, skipped = extract_samples(load_dialogues(split), titles, ids)
    # c1: recommender utt 1 -> targets 8, 6; utt 2 (two merged messages) -> 4, 5. c2: first utt has no context;
    # @777 is not in the catalog
    assert [s.targets for s in samples] == [("8", "6"), ("4", "5")]
    first = samples[0]
    assert first.text == "hi, I loved Halloween any ideas?" and first.history[-1][0] == "user"
    assert first.liked_before == ("5",) and first.mentioned_before == ("5",)
    assert samples[1].mentioned_before == ("5", "8", "6")
    assert skipped == {"targets_not_in_catalog": 1, "targets_repeated_filtered": 0, "no_context": 1}
    filt, sk = extract_samples(load_dialogues(split), titles, ids, filtered=True)
    assert [s.targets for s in filt] == [("8", "6"), ("4",)] and sk["targets_repeated_filtered"] == 1


def test_evaluate_known_ranking(split: Path):
    titles = {i.item_id: i.title for i in small_catalog().items}
    samples, _ = extract_samples(load_dialogues(split), titles, set(titles))
    fixed = {0: ["8", "1", "2"], 1: ["1", "2", "3", "4"]}  # targets: 8@1, 6 miss, 4@4, 5 miss
    res = evaluate("fixed", samples, lambda s, k, ex: fixed[samples.index(s)], progress=False)
    assert res.ranks == [1, None, 4, None]
    assert res.metrics["recall@1"] == 0.25 and res.metrics["recall@10"] == 0.5
    assert res.metrics["mrr"] == pytest.approx((1 + 0.25) / 4)
    assert res.metrics["mean_list_len"] == 3.5

    def broken(s, k, ex):
        raise RuntimeError("nope")

    bad = evaluate("broken", samples, broken, progress=False)
    assert bad.errors == 2 and bad.metrics["recall@50"] == 0.0 and "nope" in bad.first_error


def test_benchmark_source_pipelines_on_known_counts(split: Path):
    """Co-suggestion counts from c1 only: after Halloween (5) recommenders said 8 and 6, then 4 (all once)."""
    from tools.recsys.cooccurrence import CoSuggestionStats
    from tools.recsys.item_space import ItemSpace
    from tools.recsys.recommender import Recommender
    from tools.recsys.redial_samples import episodes
    from tools.recsys.request import RecRequest
    from tools.recsys.sources import CoSuggestionSource, PopularitySource

    cat = small_catalog()
    ids = [i.item_id for i in cat.items]
    space = ItemSpace.from_catalog(cat)
    stats = CoSuggestionStats.fit(episodes(load_dialogues(split)), space)
    rec = Recommender(space, stats, [CoSuggestionSource(stats), PopularitySource(stats.suggested)], None)

    class Reader:  # the titles are @ids here, so the mentions stand in for the text reading
        def sample_request(self, s, exclude_mentioned=True):
            return RecRequest(mentioned=s.mentioned_before,
                              exclude=frozenset(s.mentioned_before if exclude_mentioned else ()))

    assets = BenchAssets(cat, ids, rec, Reader(), None, None, {"train_file": "x"})
    fns = make_rank_fns(assets)
    samples, _ = extract_samples(load_dialogues(split), {i.item_id: i.title for i in cat.items}, set(ids))
    assert set(fns["cosuggest"](samples[0], 3, True)) == {"8", "6", "4"}
    assert "5" not in fns["cosuggest"](samples[0], 50, True)  # filtered: mentioned excluded
    report = run_benchmark(assets, split, pipelines=["cosuggest", "popularity", "agent"], progress=False,
                           recall_depth=3)
    assert report["pipelines"]["agent"]["errors"] == 2  # no agent wired: every sample counts as a miss
    assert report["pipelines"]["cosuggest"]["metrics"]["recall@10"] >= 0.5
    assert "union" in report["candidate_recall@200"]
    groups = report["pipelines"]["cosuggest"]["by_training_mentions"]
    assert sum(b["targets"] for b in groups.values()) == report["targets"]
    assert "1,355 of the 10,006" in report["training"]["note"]
    table = comparison_table(report)
    assert "UniCRS (published) | 0.050 | 0.215 | 0.413" in table and "**WhyRec cosuggest**" in table
    with pytest.raises(ValueError, match="unknown pipeline"):
        run_benchmark(assets, split, pipelines=["bogus"], progress=False)


def test_recall_by_training_mentions_groups_each_target_by_its_evidence():
    from evals.redial_bench import by_training_mentions

    mentions = {"a": 0.0, "b": 2.0, "c": 5.0, "d": 40.0}
    out = by_training_mentions([None, 3, 30, 1, 60], ["a", "b", "c", "d", "z"], mentions)
    assert out["never"] == {"targets": 2.0, "share": 0.4, "recall@10": 0.0, "recall@50": 0.0}  # "z": unknown = never
    assert out["1-2"]["recall@10"] == 1.0 and out["3-10"]["recall@10"] == 0.0 and out["3-10"]["recall@50"] == 1.0
    assert out["over 10"]["targets"] == 1.0 and out["over 10"]["recall@10"] == 1.0
    assert sum(b["targets"] for b in out.values()) == 5
    with pytest.raises(ValueError, match="4 ranks for 5 targets"):
        by_training_mentions([None] * 4, ["a", "b", "c", "d", "z"], mentions)
