"""Per-segment effects: known answers on synthetic data, bad input, the saved file, the Causal tab's table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal.errors import CausalInputError, SegmentError
from causal.segments import estimate_segment, estimate_segments
from tools.catalog.catalog import Catalog, Item
from tools.studies.segment_effects import (
    PopularityBuckets,
    SegmentEffect,
    SegmentEffects,
    compute_segment_effects,
)

TRUE_LOGIT_EFFECT = 1.2


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _confounded(n: int, seed: int, effect_in: np.ndarray) -> dict[str, np.ndarray]:
    """z confounds t and y; t raises y's log-odds by TRUE_LOGIT_EFFECT only where ``effect_in``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    t = (rng.random(n) < _sigmoid(1.2 * z)).astype(float)
    y = (rng.random(n) < _sigmoid(-0.3 + z + TRUE_LOGIT_EFFECT * t * effect_in)).astype(float)
    return {"t": t, "y": y, "z": z}


def _true_risk_difference() -> float:
    z = np.random.default_rng(99).normal(size=400_000)
    return float(np.mean(_sigmoid(-0.3 + z + TRUE_LOGIT_EFFECT) - _sigmoid(-0.3 + z)))


def test_known_effect_in_one_segment_and_none_in_the_other():
    rng = np.random.default_rng(7)
    in_a = rng.random(4000) < 0.5
    data = _confounded(4000, 1, in_a.astype(float))
    res = estimate_segments(data, {"A": in_a, "B": ~in_a}, "t", "y", ("z",), n_boot=150, seed=3)
    a, b = res.estimates
    truth = _true_risk_difference()
    assert a.segment == "A" and a.excludes_zero and a.low <= truth <= a.high and abs(a.estimate - truth) < 0.04
    assert b.segment == "B" and not b.excludes_zero and b.low < 0 < b.high and abs(b.estimate) < 0.04
    assert a.unadjusted - a.estimate > 0.1 and b.unadjusted > 0.1  # confounding inflates the naive difference
    assert res.excluding_zero() == [a] and res.skipped == ()
    assert a.n + b.n == 4000 and a.n_treated + a.n_control == a.n and a.adjustment == ("z",)
    ipw = estimate_segment(data, "t", "y", ("z",), mask=in_a, method="ipw", n_boot=100, seed=3)
    assert abs(ipw.estimate - truth) < 0.05 and ipw.method == "ipw"


def test_cluster_bootstrap_counts_copies_of_a_row_once():
    """Three copies of every row: resampling rows treats them as independent (too narrow); clusters do not."""
    base = _confounded(800, 2, np.ones(800))
    tripled = {k: np.repeat(v, 3) for k, v in base.items()}
    clusters = np.repeat(np.arange(800), 3)
    one = estimate_segment(base, "t", "y", ("z",), n_boot=200, seed=0)
    rows = estimate_segment(tripled, "t", "y", ("z",), n_boot=200, seed=0)
    grouped = estimate_segment(tripled, "t", "y", ("z",), clusters=clusters, n_boot=200, seed=0)
    assert grouped.n_clusters == 800 and rows.n_clusters == 2400
    assert rows.se < 0.75 * one.se
    assert 0.8 * one.se < grouped.se < 1.25 * one.se
    assert estimate_segment(base, "t", "y", ("z",), n_boot=200, seed=0) == one  # seeded: same resamples


def test_bad_input_raises_value_errors_that_say_what_is_wrong():
    data = _confounded(600, 3, np.ones(600))
    small = np.zeros(600, dtype=bool)
    small[:50] = True
    with pytest.raises(SegmentError, match="50 rows") as exc:
        estimate_segment(data, "t", "y", ("z",), mask=small, name="tiny")
    assert exc.value.reason == "too_small" and exc.value.segment == "tiny" and isinstance(exc.value, ValueError)
    const = dict(data, t=np.ones(600))
    with pytest.raises(SegmentError, match="treatment is constant") as exc:
        estimate_segment(const, "t", "y", ("z",))
    assert exc.value.reason == "constant_treatment"
    res = estimate_segments(data, {"all": np.ones(600, dtype=bool), "tiny": small}, "t", "y", ("z",), n_boot=30)
    assert [e.segment for e in res.estimates] == ["all"]
    assert [(s.segment, s.n, s.reason) for s in res.skipped] == [("tiny", 50, "too_small")]
    for kwargs, message in (({"level": 1.5}, "level"), ({"method": "magic"}, "method"), ({"n_boot": 5}, "n_boot"),
                            ({"mask": np.ones(10, dtype=bool)}, "10 entries")):
        with pytest.raises(CausalInputError, match=message):
            estimate_segment(data, "t", "y", ("z",), **kwargs)
    with pytest.raises(CausalInputError, match="unknown column"):
        estimate_segment(data, "t", "y", ("nope",))
    with pytest.raises(CausalInputError, match="binary"):
        estimate_segment(dict(data, t=data["z"]), "t", "y", ())
    with pytest.raises(CausalInputError, match="no segments"):
        estimate_segments(data, {}, "t", "y")


def _mention_world(seed: int = 5):
    """A mention table where being suggested raises liking for horror films only.

    Horror films are few and often mentioned (the popular buckets), comedies many and rarely
    mentioned, so the tail bucket holds comedies alone and shares their null effect.
    """
    rng = np.random.default_rng(seed)
    horror = [f"h{i}" for i in range(20)]
    comedy = [f"c{i}" for i in range(400)]
    n = 6000
    is_horror = rng.random(n) < 0.5
    movie = np.where(is_horror, rng.choice(horror, n), rng.choice(comedy, n))
    data = _confounded(n, seed, is_horror.astype(float))
    df = pd.DataFrame({"conversation_id": (np.arange(n) // 2).astype(str), "movie_id": movie,
                       "split": np.where(rng.random(n) < 0.7, "train", "valid"),
                       "suggested": data["t"], "liked": data["y"], "z": data["z"]})
    items = [Item(m, m.upper(), genres=("horror",)) for m in horror] + [Item(m, m.upper(), genres=("Comedy",))
                                                                        for m in comedy]
    return df, Catalog(items=tuple(items), name="segments-test")


@pytest.fixture(scope="module")
def mention_effects():
    df, catalog = _mention_world()
    return compute_segment_effects(df, catalog, adjustment=("z",), n_boot=120, seed=1), catalog


def test_compute_segment_effects_finds_the_horror_effect_and_no_comedy_claim(mention_effects):
    effects, _ = mention_effects
    horror, comedy = effects.get("genre:horror"), effects.get("genre:comedy")
    assert horror.excludes_zero and horror.low > 0 and abs(horror.estimate - _true_risk_difference()) < 0.05
    assert not comedy.excludes_zero and abs(comedy.estimate) < 0.04
    assert horror.label == "horror films" and horror.adjustment == ("z",) and horror.method == "regression"
    assert effects.bucket_of("h3") == "head" and effects.bucket_of("c1") in ("torso", "tail")
    assert effects.bucket_of("never-mentioned") == "tail"
    tail = effects.get("popularity:tail")
    assert tail is not None and not tail.excludes_zero
    claim = effects.for_item(["Horror"], effects.bucket_of("h3"))
    assert claim is not None and claim.segment in ("genre:horror", "popularity:head") and claim.excludes_zero
    assert effects.for_item(["comedy"], "tail") is None  # its own segments' intervals cover zero
    assert effects.for_item([], "no-such-bucket") is None
    assert effects.overall is not None and effects.overall.n == len(_mention_world()[0])


def test_for_item_names_the_most_specific_segment_that_excludes_zero():
    def eff(seg, n, low, high):
        return SegmentEffect(seg, seg.split(":")[1] + " films", (low + high) / 2, low, high, 0.95, n, ("z",), "pc+regression")

    effects = SegmentEffects([eff("genre:drama", 3000, 0.01, 0.09), eff("genre:war", 400, 0.02, 0.2),
                              eff("genre:teen", 200, -0.1, 0.3), eff("popularity:tail", 900, -0.05, -0.01)],
                             PopularityBuckets(10, 3, {"a": 12, "b": 4}))
    assert effects.for_item(["drama", "war", "teen"], "tail").segment == "genre:war"  # teen covers 0
    assert effects.for_item(["drama"], "tail").segment == "popularity:tail"
    assert effects.for_item(["teen"], "head") is None
    assert [effects.bucket_of(i) for i in ("a", "b", "c")] == ["head", "torso", "tail"]


def test_save_load_round_trip(mention_effects, tmp_path):
    effects, catalog = mention_effects
    path = effects.save(tmp_path / "causal" / "segment_effects.json")
    back = SegmentEffects.load(path)
    assert back.all() == effects.all() and back.overall == effects.overall and back.skipped == effects.skipped
    assert back.buckets == effects.buckets and back.meta == effects.meta
    assert back.item_priors(catalog) == effects.item_priors(catalog)
    assert all(-1.0 <= v <= 1.0 for v in back.item_priors(catalog).values())
    path.write_text('{"format": 99}')
    with pytest.raises(Exception, match="whyrec causal segments"):
        SegmentEffects.load(path)
    with pytest.raises(Exception, match="whyrec causal segments"):
        SegmentEffects.load(tmp_path / "missing.json")


def test_causal_tab_shows_the_segment_table(mention_effects, tmp_path):
    from ui.app_causal import CausalHandlers

    effects, _ = mention_effects

    class Study:
        cache_dir = tmp_path

    class Provider:
        study = Study()

    handlers = CausalHandlers(Provider())
    assert handlers.segments() == ([], "Per-segment effects not computed yet: run `whyrec causal segments`.")
    effects.save(tmp_path / "segment_effects.json")
    rows, status = handlers.segments()
    first = rows[0]
    assert first[0] == "genre:horror" and first[-1].startswith("yes") and first[5] == "z"
    assert status.startswith(f"{sum(e.excludes_zero for e in effects.all())} of {len(effects.all())} segments")
    assert CausalHandlers(None, segments=lambda: effects.to_dict()).segments()[0] == rows
