"""Known answers for exposure propensities and de-biased ranker weights.

Synthetic exposure whose true propensity is known: the logistic model must recover it,
inverse weights must re-balance the exposed rows to the whole population, clipping must
bound the weights, and bad input must fail naming the column and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest

from causal.errors import CausalInputError
from causal.propensity import (
    clip_propensity,
    effective_sample_size,
    fit_propensity,
    ipw_weights,
    snips_weights,
)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _exposure(n=20_000, seed=0):
    """x drives exposure (and the outcome), z is noise: true P(T=1) = sigmoid(-1.5 + 1.2 x)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    p = _sigmoid(-1.5 + 1.2 * x)
    t = (rng.random(n) < p).astype(int)
    return {"x": x, "z": z, "t": t}, p


def test_logistic_propensity_recovers_the_true_exposure_probability():
    data, p = _exposure()
    prop = fit_propensity(data, "t", ("x",))
    assert np.max(np.abs(prop.scores - p)) < 0.03
    # standardised coefficient = true coefficient x sd(x)
    assert prop.coefficients["x"] == pytest.approx(1.2 * data["x"].std(), rel=0.08)
    assert prop.auc > 0.7
    assert prop.n == 20_000 and prop.n_treated == int(data["t"].sum())


def test_inverse_weights_rebalance_the_exposed_rows_to_the_population():
    data, p = _exposure()
    t, x = data["t"], data["x"]
    naive = x[t == 1].mean()
    assert naive > 0.5  # exposure favours large x: the exposed rows are biased
    w = fit_propensity(data, "t", ("x",)).weights("ipw")
    ht = (w * t * x).sum() / len(x)  # Horvitz-Thompson estimate of E[x]
    hajek = (w * t * x).sum() / (w * t).sum()
    assert abs(ht - x.mean()) < 0.08
    assert abs(hajek - x.mean()) < 0.05
    sn = snips_weights(t, p)
    assert sn[t == 1].mean() == pytest.approx(1.0) and sn[t == 0].mean() == pytest.approx(1.0)
    assert abs((sn * t * x).sum() / (sn * t).sum() - x.mean()) < 0.05


def test_weights_are_exactly_the_inverse_of_the_own_arm_propensity():
    t = np.array([1, 0, 1, 0])
    p = np.array([0.2, 0.2, 0.5, 0.75])
    assert ipw_weights(t, p).tolist() == pytest.approx([5.0, 1.25, 2.0, 4.0])
    # Hajek: per-arm mean 1 -> treated [5, 2] / 3.5, untreated [1.25, 4] / 2.625
    assert snips_weights(t, p).tolist() == pytest.approx([5 / 3.5, 1.25 / 2.625, 2 / 3.5, 4 / 2.625])


def test_clipping_bounds_every_weight():
    data, p = _exposure(seed=1)
    for clip in (0.01, 0.05, 0.2):
        w = ipw_weights(data["t"], p, clip)
        assert w.max() <= 1 / clip + 1e-9 and w.min() >= 1.0
    assert clip_propensity(np.array([0.0, 0.5, 1.0]), 0.1).tolist() == pytest.approx([0.1, 0.5, 0.9])
    with pytest.raises(CausalInputError, match="clip must be between 0 and 0.5"):
        ipw_weights(data["t"], p, 0.7)
    with pytest.raises(CausalInputError, match=r"positivity fails\); pass clip="):
        ipw_weights(np.array([1, 0]), np.array([0.0, 0.5]))


def test_empty_adjustment_set_gives_the_marginal_rate():
    data, _ = _exposure(n=1_000)
    prop = fit_propensity(data, "t", ())
    assert np.allclose(prop.scores, data["t"].mean())
    w = prop.weights("snips")
    assert np.allclose(w, 1.0)


def test_effective_sample_size_known_answers():
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    assert effective_sample_size(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert effective_sample_size(np.array([1.0, 3.0])) == pytest.approx(16 / 10)


@pytest.mark.parametrize(("data", "covs", "match"), [
    ({"t": [0, 1, 2, 1] * 10, "x": list(range(40))}, ("x",), "column 't' must be a 0/1 treatment"),
    ({"t": [1] * 40, "x": list(range(40))}, ("x",), "column 't' has only the value 1"),
    ({"x": list(range(40))}, ("x",), "no treatment column 't'; valid names are: x"),
    ({"t": [0, 1] * 20, "x": [np.nan] + list(range(39))}, ("x",), "column.s. x contain NaN"),
    ({"t": [0, 1] * 20, "x": [3.0] * 40}, ("x",), "column.s. x are constant"),
    ({"t": [0, 1] * 20, "x": list(range(40))}, ("t",), "the treatment 't' is also listed as a covariate"),
    ({"t": [0, 1] * 20, "x": list(range(40))}, ("y",), "unknown variable.s. 'y'; valid names are: t, x"),
])
def test_bad_input_names_the_column_and_the_fix(data, covs, match):
    with pytest.raises(CausalInputError, match=match) as err:
        fit_propensity({k: np.asarray(v) for k, v in data.items()}, "t", covs)
    assert isinstance(err.value, ValueError)


def test_a_perfectly_separating_covariate_is_refused():
    x = np.arange(100.0)
    with pytest.raises(CausalInputError, match="x separate the arms of .t. perfectly"):
        fit_propensity({"t": (x >= 50).astype(int), "x": x}, "t", ("x",), max_iter=50)


# -- the ReDial exposure table --------------------------------------------------------------------


def _dialogue(cid, turns, liked=()):
    from tools.datasets.redial import Dialogue, MovieLabel, Turn

    ts = tuple(Turn(text, 1 if seeker else 2, seeker, tuple(m), n, n) for n, (seeker, text, m) in enumerate(turns))
    labels = {m: MovieLabel(None, None, True) for m in liked}
    return Dialogue(cid, 1, 2, ts, {}, labels, {})


def test_dialogue_facts_count_who_named_each_film_first():
    from tools.recsys.debias import DialogueFacts

    d1 = _dialogue("a", [(True, "I loved @1", ["1"]), (False, "try @2", ["2"]), (True, "@2 and @1", ["2", "1"])],
                   liked=["2"])
    d2 = _dialogue("b", [(True, "hi", []), (False, "watch @1 or @3", ["1", "3"])])
    facts = DialogueFacts.of([d1, d2])
    assert facts.first_mentions == {"1": (1, 2), "2": (0, 1), "3": (0, 1)}
    assert facts.seeker_led == {"a": True, "b": False}
    assert facts.liked == frozenset({("a", "2")})
    assert facts.seeker_first_share("1") == pytest.approx(2 / 4)
    assert facts.seeker_first_share("unknown") == pytest.approx(0.5)


def _synthetic_rank_table(n_groups=2_500, pool=24, seed=3):
    """Pools of films whose suggestion chance rises with (log) popularity, and nothing else."""
    from tools.recsys.features import FEATURES
    from tools.recsys.redial_samples import RedialSample
    from tools.recsys.training import RankTable

    rng = np.random.default_rng(seed)
    n_items = 4_000
    pop = rng.gamma(1.0, 1.5, size=n_items)
    years = rng.integers(1950, 2018, size=n_items).astype(float)
    col = {f: j for j, f in enumerate(FEATURES)}
    xs, ys, items, samples, true_p = [], [], [], [], []
    for g in range(n_groups):
        rows = rng.choice(n_items, size=pool, replace=False)
        p = _sigmoid(-4.2 + 1.1 * pop[rows])
        y = (rng.random(pool) < p).astype(np.int32)
        if not y.any():
            y[rng.integers(pool)] = 1
        x = np.full((pool, len(FEATURES)), np.nan, dtype=np.float32)
        x[:, col["mentioned_prior"]] = pop[rows]
        x[:, col["suggested_prior"]] = pop[rows] * 0.8 + rng.normal(0, 0.3, size=pool)
        x[:, col["year"]] = years[rows]
        xs.append(x)
        ys.append(y)
        items.append(rows)
        true_p.append(p)
        samples.append(RedialSample(f"d{g}", int(rng.integers(1, 12)), (("user", "hi"),), "hi", ("x",),
                                    tuple(str(i) for i in range(int(rng.integers(0, 6)))), ()))
    table = RankTable(np.vstack(xs), np.concatenate(ys), [pool] * n_groups, [s.conversation_id for s in samples],
                      n_groups, n_groups, samples, np.concatenate(items))
    return table, [f"m{i}" for i in range(n_items)], np.concatenate(true_p)


def test_exposure_weights_find_popularity_and_undo_it():
    from tools.recsys.debias import OUTCOME, TREATMENT, DialogueFacts, exposure_table, exposure_weights

    table, ids, true_p = _synthetic_rank_table()
    d = exposure_weights(table, [], ids, method="ipw", clip=0.01)
    assert "popularity" in d.adjustment
    assert not {"position", "n_mentioned", "seeker_led"} & set(d.adjustment)  # dialogue state plays no part here
    coefs = d.propensity.coefficients
    assert all(abs(coefs["popularity"]) > 5 * abs(v) for k, v in coefs.items() if k != "popularity")
    assert d.graph.edge_between("popularity", TREATMENT) is not None
    assert d.graph.edge_between(TREATMENT, OUTCOME) is None  # no one liked anything here
    pos = table.y == 1
    # the fitted propensity tracks the truth (the forced positives of empty groups aside)
    assert np.corrcoef(d.propensity.scores[pos], true_p[pos])[0, 1] > 0.9
    assert d.weights.mean() == pytest.approx(1.0)
    # popular positives weigh less than long-tail ones
    from tools.recsys.features import FEATURES

    sp = FEATURES.index("suggested_prior")
    popular = table.x[:, sp] > np.median(table.x[pos, sp])
    assert d.weights[pos & popular].mean() < d.weights[pos & ~popular].mean()
    frame = exposure_table(table, DialogueFacts({}, {}, frozenset()), ids)
    assert set(frame) >= {"popularity", "position", "seeker_first", TREATMENT, OUTCOME}
    # one weight per request: its positives' mean clipped inverse propensity, then mean 1 over rows
    owner = np.repeat(np.arange(len(table.groups)), table.groups)
    raw = 1 / np.clip(d.propensity.scores, 0.01, 0.99)
    per_request = np.bincount(owner, weights=raw * pos) / np.bincount(owner, weights=pos)
    assert np.allclose(d.weights, per_request[owner] / per_request[owner].mean())
    # the cached propensity gives other weights without rediscovery or refitting
    again = exposure_weights(table, [], ids, method="snips", choice=d.choice, propensity=d.propensity)
    assert again.propensity is d.propensity
    assert again.weights.mean() == pytest.approx(1.0)
    assert again.weights.max() > d.weights.max()  # unclipped: the rarest exposures weigh more
    assert again.weights[pos].max() / again.weights[pos].min() > 2
    # tempered: (1/p) ** power per request, mean 1; the spread shrinks with the power, power 1 is ipw itself
    half = exposure_weights(table, [], ids, method="ipw", clip=0.01, power=0.5, choice=d.choice,
                            propensity=d.propensity)
    tempered = np.bincount(owner, weights=np.sqrt(raw) * pos) / np.bincount(owner, weights=pos)
    assert np.allclose(half.weights, tempered[owner] / tempered[owner].mean())
    assert half.weights.max() < d.weights.max() and half.info()["weighting_power"] == 0.5
    full = exposure_weights(table, [], ids, method="ipw", clip=0.01, power=1.0, choice=d.choice, propensity=d.propensity)
    assert np.allclose(full.weights, d.weights)
    for bad in (0.0, 1.5, -1.0):
        with pytest.raises(ValueError, match=r"power must be in \(0, 1\]"):
            exposure_weights(table, [], ids, method="ipw", clip=0.01, power=bad, choice=d.choice,
                             propensity=d.propensity)


def test_per_request_weights_are_the_mean_of_the_request_positives():
    from tools.recsys.debias import per_request

    w = per_request(np.array([4.0, 1, 1, 2, 8]), np.array([1, 0, 0, 1, 1]), [2, 3])
    assert w.tolist() == [4, 4, 5, 5, 5]
    with pytest.raises(ValueError, match="a request has no positive row"):
        per_request(np.ones(3), np.array([0, 0, 1]), [2, 1])


def test_training_refuses_unknown_weighting_and_missing_dialogues():
    from tools.recsys.training import fit_ranker, train_ranker

    with pytest.raises(ValueError, match="unknown weighting 'ips'; use one of none, ipw, snips"):
        train_ranker([], [], None, None, None, weighting="ips")
    with pytest.raises(ValueError, match="needs the training dialogues"):
        train_ranker([], [], None, None, None, weighting="ipw")
    table, _, _ = _synthetic_rank_table(n_groups=10)
    with pytest.raises(ValueError, match="sample_weight has 3 values for 240 training rows"):
        fit_ranker(table, sample_weight=np.ones(3))


def test_train_ranker_with_weights_end_to_end_on_the_known_world():
    """The whole path on the six-film world: samples -> out-of-fold table -> graph -> weights -> LightGBM."""
    from tests.recsys_world import world
    from tools.recsys.ranker import RankerConfig
    from tools.recsys.redial_samples import episodes, extract_samples
    from tools.recsys.request import RecRequest
    from tools.recsys.sources import CoSuggestionSource, PopularitySource
    from tools.recsys.training import train_ranker

    cat, space, _ = world()
    rng = np.random.default_rng(0)
    dialogues = []
    for n in range(120):
        seed_film, answer = (("1", "2") if n % 2 else ("3", "4"))
        if rng.random() < 0.3:
            answer = str(rng.choice(["2", "4", "5"]))
        dialogues.append(_dialogue(f"c{n}", [(True, f"I loved @{seed_film}", [seed_film]),
                                             (False, f"then watch @{answer}", [answer])],
                                   liked=[answer] if rng.random() < 0.7 else []))
    titles = {it.item_id: it.title for it in cat.items}
    samples, _ = extract_samples(dialogues, titles, set(space.ids), filtered=True)

    def sources_for(stats):
        return [CoSuggestionSource(stats), PopularitySource(stats.suggested + 0.5 * stats.mentioned)]

    def request(s):
        return RecRequest(liked=s.mentioned_before, exclude=frozenset(s.mentioned_before))

    config = RankerConfig(n_estimators=30, min_child_samples=5)
    ranker, _, info = train_ranker(samples, episodes(dialogues), space, sources_for, request, depth=10,
                                   config=config, progress=False, weighting="snips", dialogues=dialogues)
    assert info["weighting"] == "snips" and info["train_requests"] > 50
    assert set(info["adjustment_set"]) <= {"popularity", "suggested", "seeker_first", "year", "position",
                                           "n_mentioned", "seeker_led", "pool_size"}
    assert ranker.info["weighting"] == "snips" and "graph_edges" in ranker.info
    _, _, plain = train_ranker(samples, episodes(dialogues), space, sources_for, request, depth=10,
                               config=config, progress=False)
    assert plain["weighting"] == "none" and "adjustment_set" not in plain
    from tools.recsys.blend import BlendedRanker

    blended, _, mixed = train_ranker(samples, episodes(dialogues), space, sources_for, request, depth=10,
                                     config=config, progress=False, weighting="snips", dialogues=dialogues, blend=0.5)
    assert isinstance(blended, BlendedRanker) and mixed["blend_share"] == 0.5 == blended.info["blend_share"]
    for bad, why in ((0.5, "pass weighting='ipw' or 'snips' too"), (1.0, "between 0 and 1")):
        with pytest.raises(ValueError, match=why):
            train_ranker(samples, episodes(dialogues), space, sources_for, request, depth=10, config=config,
                         progress=False, weighting="none" if bad == 0.5 else "snips", dialogues=dialogues, blend=bad)


def test_bench_says_when_the_served_default_disagrees_with_its_choice(monkeypatch):
    from evals import bench_debias
    from tools.recsys import weighting

    report = {"quick": False, "chosen": "ipw clip 0.001 power 0.75",
              "variants": {"ipw clip 0.001 power 0.75": {"weighting": "ipw", "clip": 0.001, "power": 0.75}}}
    monkeypatch.setattr(weighting, "SERVED_WEIGHTING", ("none", None, 1.0, None))
    assert "does not agree" in bench_debias.served_line(report)
    monkeypatch.setattr(weighting, "SERVED_WEIGHTING", ("ipw", 0.001, 0.75, 0.7))  # a blend is another ranker
    assert "does not agree" in bench_debias.served_line(report)
    monkeypatch.setattr(weighting, "SERVED_WEIGHTING", ("ipw", 0.001, 0.75, None))
    assert bench_debias.served_line(report).endswith("agrees.")
    assert "does not decide" in bench_debias.served_line({**report, "quick": True})


def test_the_benchmarks_shared_pools_rank_as_the_recommender_does():
    """bench_debias failed on every request once ``Recommender.pool`` took a new argument (``only``):
    its caching subclass must accept and pass on whatever the recommender's own call passes."""
    from evals.bench_debias import _shared_pools
    from tests.recsys_world import world
    from tests.test_recsys import _training_rows
    from tools.recsys.ranker import LearnedRanker, RankerConfig
    from tools.recsys.recommender import Recommender
    from tools.recsys.request import RecRequest
    from tools.recsys.sources import CoSuggestionSource, PopularitySource

    _cat, space, stats = world()
    sources = [CoSuggestionSource(stats), PopularitySource(stats.suggested)]
    ranker = LearnedRanker.fit(_training_rows(0), None, RankerConfig(n_estimators=20, min_child_samples=5))
    shared = _shared_pools(space, stats, sources)
    shared.ranker = ranker
    plain = Recommender(space, stats, sources, ranker, depth=300)
    req = RecRequest(liked=("1",), exclude=frozenset({"1"}))
    for kw in ({}, {"only": {"2", "3"}}):
        assert [r.item_id for r in shared.recommend(req, k=4, **kw)] == [r.item_id for r in plain.recommend(req, k=4, **kw)]


def test_stable_adjustment_keeps_the_variables_most_discovery_samples_adjust_for(monkeypatch):
    """Known answer for the selection rule: scripted per-sample adjustment sets, share 0.5."""
    from tools.recsys import debias

    scripted = iter([(("popularity", "year"), "identified"), (("popularity",), "identified"),
                     (("popularity", "seeker_first"), "identified"), (("year",), "not_identifiable")])
    graphs: list[object] = []

    def fake_graph(frame, *, seed, bootstrap):
        assert bootstrap
        graphs.append(object())
        return graphs[-1]

    monkeypatch.setattr(debias, "exposure_graph", fake_graph)
    monkeypatch.setattr(debias, "adjustment_set", lambda g: (*next(scripted), "why"))
    choice = debias.stable_adjustment({}, resamples=4, seed=3, share=0.5)
    assert choice.variables == ("popularity", "year")
    assert choice.frequency == {"popularity": 0.75, "year": 0.5, "seeker_first": 0.25}
    assert choice.identified_share == 0.75 and choice.status == "identified"
    assert choice.graph is graphs[0]  # no sample's own set was {popularity, year}: the first sample's graph
    assert "popularity 75%" in choice.explanation and "{popularity, year}" in choice.explanation
    scripted = iter([(("popularity", "year"), "identified"), (("popularity",), "identified"),
                     (("popularity", "seeker_first"), "identified"), (("year",), "not_identifiable")])
    assert debias.stable_adjustment({}, resamples=4).variables == ("popularity",)  # default share 0.7
    for bad in ({"resamples": 0}, {"share": 0.0}, {"share": 1.5}):
        with pytest.raises(ValueError):
            debias.stable_adjustment({}, **bad)


def test_stable_adjustment_on_resampled_rows_finds_the_real_confounder_every_time():
    from tools.recsys.debias import DialogueFacts, exposure_table, stable_adjustment

    table, ids, _ = _synthetic_rank_table()
    frame = exposure_table(table, DialogueFacts({}, {}, frozenset()), ids)
    choice = stable_adjustment(frame, resamples=6)
    assert "popularity" in choice.variables and choice.frequency["popularity"] >= 0.8
    assert not {"position", "n_mentioned", "seeker_led"} & set(choice.variables)
    # each sample is drawn with replacement: the graphs are discovered on different rows
    assert choice.resamples == 6 and 0.0 <= choice.identified_share <= 1.0


def test_exposure_graph_samples_rows_with_the_shared_bootstrap(monkeypatch):
    """A table no larger than the discovery sample is resampled by ``causal.bootstrap`` (one resampler
    for the project); a larger one is subsampled without replacement; without ``bootstrap`` it is used whole."""
    from causal.bootstrap import resample_indices
    from tools.recsys import debias

    seen: list[dict[str, np.ndarray]] = []
    monkeypatch.setattr(debias, "discover", lambda data, *a, **k: seen.append(data) or "graph")
    rng = np.random.default_rng(0)
    n = 40
    frame = {k: rng.normal(size=n) for k in debias.COLUMNS}
    frame[debias.TREATMENT] = (np.arange(n) % 4 == 0).astype(float)
    frame["position"] = np.arange(n, dtype=float)  # the row number, to read the sample back
    assert debias.exposure_graph(frame, seed=5, bootstrap=True, rows=100) == "graph"
    assert np.array_equal(seen[-1]["position"], np.sort(next(resample_indices(n, 1, 5))))
    debias.exposure_graph(frame, seed=5, rows=100)
    assert np.array_equal(seen[-1]["position"], np.arange(n))
    debias.exposure_graph(frame, seed=5, rows=10)
    picked = seen[-1]["position"]
    assert len(picked) == 10 and len(set(picked.tolist())) == 10
