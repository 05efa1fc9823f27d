"""The recommender core: sources (one contract, known answers), constraints, ranker, slate."""

from __future__ import annotations

import numpy as np
import pytest

from agent.turn.franchise import franchise_key
from agent.turn.slate import build_slate
from tests.recsys_world import query_embedder, talk_memory, world
from tools.errors import DataError
from tools.recsys.constraints import allowed_mask
from tools.recsys.features import FEATURES, build_features
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.request import RecRequest
from tools.recsys.sources import (
    AttributeSource,
    CoMentionSource,
    ContentSource,
    CoSuggestionSource,
    PeopleSource,
    PopularitySource,
    QuerySource,
    RequestRows,
    TalkSource,
)

CAT, SPACE, STATS = world()

#: source -> (request, the item it must rank first among the allowed ones)
KNOWN = {
    "cosuggest": (CoSuggestionSource(STATS), RecRequest(liked=("1",), exclude=frozenset({"1"})), "2"),
    "comention": (CoMentionSource(STATS), RecRequest(liked=("3",), exclude=frozenset({"3"})), "4"),
    "content": (ContentSource(SPACE), RecRequest(liked=("3",), exclude=frozenset({"3"})), "4"),
    "query": (QuerySource(SPACE, query_embedder), RecRequest(query_text="a space monster"), "1"),
    "attributes": (AttributeSource(SPACE, STATS.suggested), RecRequest(genres_include=("animation",)), "4"),
    "popularity": (PopularitySource(STATS.suggested), RecRequest(), "2"),
    # Alien's Sigourney Weaver is in Aliens, no one else's people are
    "people": (PeopleSource(SPACE, STATS.suggested), RecRequest(liked=("1",), exclude=frozenset({"1"})), "2"),
    # words like "space monster" were answered with Aliens in the talk memory
    "talk": (TalkSource(talk_memory(SPACE), query_embedder), RecRequest(query_text="a space monster"), "2"),
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_source_contract(name: str):
    src, req, best = KNOWN[name]
    assert src.name == name
    rows = RequestRows.of(req, SPACE)
    scores = src.scores(req, rows)
    assert scores is not None and scores.shape == (len(SPACE),) and np.isfinite(scores).all()
    again = src.scores(req, rows)
    assert np.array_equal(scores, again)  # deterministic
    allowed = allowed_mask(req, SPACE)
    top = SPACE.ids[int(np.argmax(np.where(allowed, scores, -np.inf)))]
    assert top == best
    # a source with nothing to condition on says so instead of returning noise
    if name in ("cosuggest", "comention", "content", "query", "attributes", "talk", "people"):
        assert src.scores(RecRequest(), RequestRows.of(RecRequest(), SPACE)) is None


def test_hard_constraints_rule_out_genres_years_people_and_placeholders():
    req = RecRequest(genres_exclude=("musical",), year_min=1970, exclude=frozenset({"1"}))
    ok = dict(zip(SPACE.ids, allowed_mask(req, SPACE), strict=True))
    assert ok == {"1": False, "2": True, "3": True, "4": True, "5": False, "6": False}
    people = allowed_mask(RecRequest(people_include=("sigourney weaver",)), SPACE)
    assert [i for i, a in zip(SPACE.ids, people, strict=True) if a] == ["1", "2"]
    assert not allowed_mask(RecRequest(people_exclude=("tom hanks",)), SPACE)[SPACE.index["3"]]
    with pytest.raises(ValueError, match="swap"):
        RecRequest(year_min=2000, year_max=1990)


def test_a_compound_genre_rules_out_only_films_having_every_part():
    def allowed(*genres: str) -> list[str]:
        mask = allowed_mask(RecRequest(genres_exclude=genres), SPACE)
        return [i for i, a in zip(SPACE.ids, mask, strict=True) if a]

    # "no animated family films" drops Toy Story and Up, keeps the family musical; "no sci-fi horror" keeps Aliens
    assert allowed("animation+family") == ["1", "2", "5"]
    assert allowed("horror+science fiction") == ["2", "3", "4", "5"]
    assert allowed("horror", "science fiction") == ["3", "4", "5"]  # each genre alone: both Alien films go
    assert allowed("family+no such genre") == ["1", "2", "3", "4", "5"]  # no film has an unknown part


def _training_rows(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Groups where the positive is the candidate with the highest 'cosuggest' value."""
    rng = np.random.default_rng(seed)
    xs, ys, groups = [], [], []
    for _ in range(300):
        x = np.full((8, len(FEATURES)), np.nan, dtype=np.float32)
        x[:, FEATURES.index("cosuggest")] = rng.random(8)
        x[:, FEATURES.index("year")] = rng.integers(1950, 2018, 8)
        y = np.zeros(8, dtype=np.int32)
        y[int(np.argmax(x[:, FEATURES.index("cosuggest")]))] = 1
        xs.append(x)
        ys.append(y)
        groups.append(8)
    return np.vstack(xs), np.concatenate(ys), groups


def test_ranker_learns_known_rule_and_explains_exactly(tmp_path):
    ranker = LearnedRanker.fit(_training_rows(0), _training_rows(1), RankerConfig(n_estimators=60, min_child_samples=5))
    x, y, groups = _training_rows(2)
    s = ranker.predict(x)
    hits = [y[i:i + 8][np.argmax(s[i:i + 8])] for i in range(0, len(y), 8)]
    assert np.mean(hits) > 0.8  # chance is 1/8
    contrib, bias = ranker.contributions(x[:8])
    assert np.allclose(contrib.sum(axis=1) + bias, s[:8], atol=1e-6)
    top = np.argmax(np.abs(contrib).sum(axis=0))
    assert FEATURES[top] == "cosuggest"  # the account names the feature that decides
    loaded = LearnedRanker.load(ranker.save(tmp_path / "r"))
    assert np.allclose(loaded.predict(x[:16]), ranker.predict(x[:16]))
    with pytest.raises(DataError, match="run `whyrec train ranker`"):
        LearnedRanker.load(tmp_path / "missing")


def test_ranker_refuses_data_without_positives():
    x, y, g = _training_rows(0)
    with pytest.raises(DataError, match="no training request has a positive"):
        LearnedRanker.fit((x, np.zeros_like(y), g))


def test_recommender_end_to_end_on_the_known_world():
    sources = [CoSuggestionSource(STATS), ContentSource(SPACE), QuerySource(SPACE, query_embedder),
               PopularitySource(STATS.suggested)]
    x, y, g = _training_rows(0)
    ranker = LearnedRanker.fit((x, y, g), None, RankerConfig(n_estimators=40, min_child_samples=5))
    rec = Recommender(SPACE, STATS, sources, ranker, depth=10)
    req = RecRequest(liked=("1",), genres_exclude=("musical",), exclude=frozenset({"1"}))
    out = rec.recommend(req, k=5, explain=True)
    ids = [r.item_id for r in out]
    assert ids[0] == "2" and "5" not in ids and "6" not in ids and "1" not in ids
    assert out[0].supported_by.get("1", 0) > 0  # Alien supports Aliens
    assert "cosuggest" in out[0].sources and out[0].contributions
    feats = build_features(req, RequestRows.of(req, SPACE), SPACE.rows(["2"]), SPACE, STATS, {})
    assert feats.shape == (1, len(FEATURES))
    with pytest.raises(ValueError):
        rec.recommend(req, k=0)
    # a turn explains only the cards it shows: the same account, added afterwards, still sums to the score
    plain = rec.recommend(req, k=5)
    assert [r.item_id for r in plain] == ids and not plain[0].contributions and not plain[0].supported_by
    later = rec.explain(req, [plain[2], plain[0]])
    assert [r.item_id for r in later] == [ids[2], ids[0]]
    assert later[1].contributions == pytest.approx(out[0].contributions) and later[1].supported_by == out[0].supported_by
    for r in later:
        assert sum(r.contributions.values()) == pytest.approx(r.score, abs=1e-6)
    # one film has Tom Hanks: it comes first and strict, the fillers say which wish they leave out
    hanks = rec.recommend(RecRequest(liked=("1",), people_include=("tom hanks",), exclude=frozenset({"1"})), k=3)
    assert [(r.item_id, r.relaxed) for r in hanks][0] == ("3", ())
    assert len(hanks) == 3 and all(r.relaxed == ("people_include",) for r in hanks[1:])
    assert hanks[1].to_dict()["relaxed"] == ["people_include"]


def test_slate_caps_franchises_and_twins():
    titles = {"a": "The Godfather", "b": "The Godfather Part II", "c": "The Godfather Part III", "d": "Heat",
              "e": "Heat", "f": "Alien"}
    slate = build_slate(list(titles), titles.__getitem__, size=5, taken_titles=["Alien"])
    assert slate == ["a", "b", "d"]
    assert franchise_key("Toy Story 3") == franchise_key("Toy Story") != franchise_key("Up")
    # "I liked Heat" showed The Heat (2013, a Sandra Bullock comedy) third, as Heat's sequel
    assert franchise_key("The Heat") != franchise_key("Heat") and franchise_key("The Fly II") == franchise_key("The Fly")
    # "Any other shark movies?" after Jaws showed Jaws 2, Jaws: The Revenge and Jaws 3-D: "3-D" hid the sequel number
    assert franchise_key("Jaws 3-D") == franchise_key("Jaws") and franchise_key("Saw 3D") == franchise_key("Saw")
    assert franchise_key("Step Up 3D") == franchise_key("Step Up") != franchise_key("3D Rarities")
    from agent.turn.franchise import in_watch_order

    heat = {"s": "Southpaw", "h95": "Heat", "th": "The Heat", "r": "Raging Bull"}
    years = {"s": 2015, "h95": 1995, "th": 2013, "r": 1980}
    assert in_watch_order(list(heat), heat.__getitem__, years.__getitem__, [("Heat", 1996)]) == list(heat)
    jurassic = {"j1": "Jurassic Park", "j2": "The Lost World: Jurassic Park", "j3": "Jurassic World", "x": "Jaws"}
    assert build_slate(list(jurassic), jurassic.__getitem__, size=4) == ["j1", "j2", "x"]
    # the cap gives way to the wishes: a third film of the franchise that matches everything asked comes
    # before films that leave a wish out ("movies based on J.K. Rowling books" showed Jumanji third)
    hp = {"h1": "Harry Potter and the Goblet of Fire", "h2": "Harry Potter and the Half-Blood Prince",
          "h3": "Harry Potter and the Chamber of Secrets", "j": "Jumanji", "g": "Get Out"}
    fillers = {"j", "g"}.__contains__
    assert build_slate(list(hp), hp.__getitem__, size=4, relaxed=fillers) == ["h1", "h2", "h3", "j"]
    assert build_slate(["h1", "h2", "j", "h3"], hp.__getitem__, size=3, relaxed=lambda i: False) == ["h1", "h2", "j"]


def test_slate_keeps_strict_matches_before_fillers_whatever_the_genre():
    """"Horror from the 80s" with two 80s horror films: the 80s thriller (strict) comes before the 1978
    horror film that only filled the list (relaxed years); genre order holds within each group."""
    titles = {"h78": "Halloween", "t88": "Die Hard", "h84": "A Nightmare on Elm Street", "h80": "The Shining"}
    horror = {"h78", "h84", "h80"}
    slate = build_slate(["h78", "t88", "h84", "h80"], titles.__getitem__, size=3, wanted=horror.__contains__,
                        relaxed={"h78"}.__contains__)
    assert slate == ["h84", "h80", "t88"]
    assert build_slate(["h78", "t88", "h84"], titles.__getitem__, size=3, wanted=horror.__contains__) == [
        "h78", "h84", "t88"]  # nothing relaxed: the genre alone orders


def test_parodies_go_after_the_films_they_spoof_unless_comedy_was_wished():
    """"I loved Alien" showed Spaceballs first (ReDial seekers who talk about Alien are offered it)."""
    from agent.turn.off_tone import is_parody
    from tools.catalog.catalog import Item

    spaceballs = Item("s", "Spaceballs", 1987, ("comedy", "science fiction"), attributes={"cmu_genres": ["Parody"]})
    truman = Item("t", "The Truman Show", 1998, ("drama",), attributes={"cmu_genres": ["Parody"]})  # no comedy
    assert is_parody(spaceballs) and not is_parody(truman) and not is_parody(Item("a", "Aliens", 1986, ("horror",)))
    assert is_parody(Item("m", "Scary Movie", 2000, ("comedy", "horror"), attributes={"wiki_genres": ["Spoof"]}))
    titles = {"s": "Spaceballs", "a": "Aliens", "p": "Predator"}
    slate = build_slate(["s", "a", "p"], titles.__getitem__, size=2, off_tone={"s"}.__contains__)
    assert slate == ["a", "p"]
    assert build_slate(["s", "a"], titles.__getitem__, size=2, off_tone={"s"}.__contains__) == ["a", "s"]
    assert build_slate(["s", "a", "p"], titles.__getitem__, size=2) == ["s", "a"]  # no tone rule: ranked order


def test_required_genres_are_a_hard_any_of():
    ok = allowed_mask(RecRequest(genres_require=("animation", "musical")), SPACE)
    assert [i for i, a in zip(SPACE.ids, ok, strict=True) if a] == ["3", "4", "5"]
    # a genre the catalog does not know leaves nothing rather than everything
    assert not allowed_mask(RecRequest(genres_require=("telenovela",)), SPACE).any()


def test_genre_novelty_and_cosuggestion_lift_features():
    """A film of genres none of the liked films has is 'novel' (a family film for an Alien fan: all of
    its genres), and a co-suggestion counts for more on a film that is rarely suggested at all."""
    req = RecRequest(liked=("1",), exclude=frozenset({"1"}))
    rows = SPACE.rows(["2", "3", "5"])
    f = build_features(req, RequestRows.of(req, SPACE), rows, SPACE, STATS, {})
    novel = f[:, FEATURES.index("genre_novel_share")]
    assert novel.tolist() == pytest.approx([0.5, 1.0, 1.0])  # Aliens: action is new, science fiction is not
    lift = f[:, FEATURES.index("cosuggest_lift")]
    cos = f[:, FEATURES.index("cosuggest")]
    # Aliens was suggested 4 times, each after Alien: lift = its co-suggestion share over (4 + 1)
    assert lift[0] == pytest.approx(cos[0] / 5) and lift[0] > 0 and lift[1] == 0
    # no liked or mentioned film: neither feature applies (NaN, not 0)
    empty = build_features(RecRequest(), RequestRows.of(RecRequest(), SPACE), rows, SPACE, STATS, {})
    assert np.isnan(empty[:, FEATURES.index("genre_novel_share")]).all()
    assert np.isnan(empty[:, FEATURES.index("cosuggest_lift")]).all()


def test_co_suggestion_scores_read_off_the_csr_arrays_equal_scipys_row_algebra():
    """The hand-written gather (tools/recsys/cooccurrence.py) against scipy on a known matrix with
    repeated cells: sum, max, co-mention sum, single cells and supporters."""
    import scipy.sparse as sp

    from tools.recsys.cooccurrence import CoSuggestionStats

    rng = np.random.default_rng(3)
    n = 40
    r, c = rng.integers(0, n, 300), rng.integers(0, n, 300)  # repeats are summed, as in fit()
    suggest = sp.csr_matrix((np.ones(300), (r, c)), shape=(n, n))
    comention = sp.csr_matrix((np.ones(300), (c, r)), shape=(n, n))
    stats = CoSuggestionStats(suggest, comention, np.ones(n), np.ones(n))
    rows, w = np.array([3, 7, 3, 11]), np.array([1.0, 0.5, 0.25, 2.0])
    sub = sp.diags(1.0 / (np.asarray(suggest.sum(axis=1)).ravel()[rows] + 5.0)) @ suggest[rows]
    total, mx = stats.suggest_scores(rows, w)
    np.testing.assert_allclose(total, np.asarray(sub.T @ w).ravel(), rtol=1e-12)
    np.testing.assert_array_equal(mx, np.asarray(sub.max(axis=0).todense()).ravel())
    com = sp.diags(1.0 / (np.asarray(comention.sum(axis=1)).ravel()[rows] + 5.0)) @ comention[rows]
    np.testing.assert_allclose(stats.comention_scores(rows), np.asarray(com.sum(axis=0)).ravel(), rtol=1e-12)
    for target in range(n):
        np.testing.assert_array_equal(stats.cells(stats.suggest, rows, target),
                                      np.asarray(suggest[rows, target].todense()).ravel())
        assert set(stats.supporters(rows, target)) == {int(x) for x in rows if suggest[x, target] > 0}
    assert stats.suggest_scores(np.array([], dtype=int))[0].sum() == 0
    for row in (0, 3, n - 1):  # one film's co-mentions, as the slate's defining tones read them
        cols, counts = stats.comentioned(row)
        dense = np.asarray(comention[row].todense()).ravel()
        assert list(cols) == [int(j) for j in np.flatnonzero(dense)] and list(counts) == list(dense[dense > 0])


def test_whole_catalog_ranks_of_the_candidates_break_ties_in_catalog_order():
    from tools.recsys.features import _ranks

    scores = np.array([0.5, np.nan, 0.9, 0.5, -np.inf, 0.5, np.inf, 0.0])
    # order: inf(6), 0.9(2), 0.5(0,3,5), 0.0(7), -inf(4), nan(1)
    np.testing.assert_array_equal(_ranks(scores, np.arange(8)), [2, 7, 1, 3, 6, 4, 0, 5])
    np.testing.assert_array_equal(_ranks(scores, np.array([5, 1])), [4, 7])


def _table_of(rows, dialogues: int = 60):
    from tools.recsys.training import RankTable

    x, y, groups = rows
    return RankTable(x, y, groups, [f"d{n % dialogues}" for n in range(len(groups))])


def test_rounds_chosen_by_cross_validation_then_one_fit_on_every_row():
    """The rounds are the fewest within CV_TOLERANCE of the best mean held-out NDCG@50 (at most the
    n_estimators cap), and the final model is fitted on all 300 requests."""
    from tools.recsys.training import CV_TOLERANCE, cv_rounds, fit_ranker

    table = _table_of(_training_rows(0))
    config = RankerConfig(n_estimators=80, min_child_samples=5)
    rounds, curve = cv_rounds(table, folds=3, config=config)
    assert 1 <= rounds < len(curve) <= 80
    assert curve[rounds - 1] >= curve.max() - CV_TOLERANCE and (curve[:rounds - 1] < curve.max() - CV_TOLERANCE).all()
    ranker = fit_ranker(table, stopping="cv", config=config)  # five folds
    assert ranker.info["stopping"] == "cv" and ranker.info["train_rows"] == len(table.y)
    assert ranker.booster.current_iteration() == cv_rounds(table, config=config)[0] == ranker.info["best_iteration"]
    x, y, _ = _training_rows(2)
    s = ranker.predict(x)
    assert np.mean([y[i:i + 8][np.argmax(s[i:i + 8])] for i in range(0, len(y), 8)]) > 0.8
    held_out = fit_ranker(table, stopping="holdout", config=config)
    assert held_out.info["stopping"] == "holdout" and held_out.info["train_rows"] < len(table.y)


def _coarse_rows(seed: int, exact: bool = False) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """300 requests of 8 where the positive has the highest 'cosuggest', on a grid of 40 values (few distinct
    values: bins from any half of the rows equal the full table's); ``exact``: 'cosuggest' is the label itself."""
    rng = np.random.default_rng(seed)
    x = np.full((2400, len(FEATURES)), np.nan, dtype=np.float32)
    x[:, FEATURES.index("cosuggest")] = rng.integers(0, 40, 2400) / 40
    x[:, FEATURES.index("year")] = rng.integers(1950, 2018, 2400)
    y = np.zeros(2400, dtype=np.int32)
    y[np.arange(0, 2400, 8) + x[:, FEATURES.index("cosuggest")].reshape(300, 8).argmax(axis=1)] = 1
    if exact:
        x[:, FEATURES.index("cosuggest")] = y
    return x, y, [8] * 300


def test_cross_validation_curve_is_the_mean_of_each_folds_held_out_curve():
    """lgb.cv boosts the folds in lock-step, on bins of the full table; the curve must still be the plain
    mean of each fold's held-out NDCG@50, the weights on its fitted rows only, as a fold fitted on its own
    gives. max_rounds < CV_PATIENCE: nothing stops early."""
    from tools.recsys.training import CV_PATIENCE, cv_rounds, fold_of

    x, y, groups = rows = _coarse_rows(0)
    table = _table_of(rows)
    weights = np.random.default_rng(5).uniform(0.2, 3.0, len(y))
    config = RankerConfig(min_child_samples=5)
    g = np.asarray(groups)
    fold = np.array([fold_of(d, 2, 7) for d in table.dialogue_ids])
    row_fold = np.repeat(fold, g)
    by_hand = np.array([LearnedRanker.validation_curve(
        (x[row_fold != k], y[row_fold != k], g[fold != k].tolist()),
        (x[row_fold == k], y[row_fold == k], g[fold == k].tolist()), config, weights[row_fold != k], rounds=20)
        for k in range(2)])
    assert 20 < CV_PATIENCE and np.abs(by_hand[0] - by_hand[1]).max() > 0.01  # one fold's curve is not the mean
    _, curve = cv_rounds(table, folds=2, max_rounds=20, config=config, sample_weight=weights)
    np.testing.assert_allclose(curve, by_hand.mean(axis=0), atol=1e-9)
    _, unweighted = cv_rounds(table, folds=2, max_rounds=20, config=config)
    assert np.abs(unweighted - curve).max() > 1e-4  # the weights do reach the fitted rows


def test_cross_validation_stops_once_the_mean_has_not_improved_for_the_patience():
    """The label itself is a feature: the first tree ranks every request perfectly (NDCG@50 = 1), nothing
    can improve on it, so all folds stop together CV_PATIENCE rounds later, far below max_rounds."""
    from tools.recsys.training import CV_PATIENCE, cv_rounds

    table = _table_of(_coarse_rows(0, exact=True))
    rounds, curve = cv_rounds(table, folds=3, max_rounds=200, config=RankerConfig(min_child_samples=5))
    assert rounds == 1 and len(curve) == 1 + CV_PATIENCE and curve[0] == curve.max() == 1.0


def test_cross_validation_refuses_what_it_cannot_split():
    from tools.recsys.training import cv_rounds, fit_ranker

    table = _table_of(_training_rows(0), dialogues=1)
    with pytest.raises(ValueError, match="too few dialogues to cross-validate"):
        cv_rounds(table, folds=3)
    with pytest.raises(ValueError, match="at least 2 folds"):
        cv_rounds(table, folds=1)
    with pytest.raises(ValueError, match="unknown stopping 'early'; use one of cv, holdout"):
        fit_ranker(table, stopping="early")


def test_recommend_within_given_ids_and_one_sources_scores():
    """A subject's films ("a movie about dogs") are ranked by the same ranker among themselves only."""
    sources = [CoSuggestionSource(STATS), QuerySource(SPACE, query_embedder), PopularitySource(STATS.suggested)]
    x, y, g = _training_rows(0)
    ranker = LearnedRanker.fit((x, y, g), None, RankerConfig(n_estimators=40, min_child_samples=5))
    rec = Recommender(SPACE, STATS, sources, ranker, depth=10)
    req = RecRequest(liked=("1",), exclude=frozenset({"1"}))
    full = [r.item_id for r in rec.recommend(req, k=len(SPACE))]
    within = {"3", "4", "1"}
    inside = [r.item_id for r in rec.recommend(req, k=5, only=within)]
    # the ranker's own order of the allowed ids, nothing else, and the request's exclusions still hold
    assert inside == [i for i in full if i in within] and "1" not in inside
    assert rec.recommend(req, k=5, only=frozenset()) == []
    scores = rec.source_scores(RecRequest(query_text="a space monster"), "query")
    assert SPACE.ids[int(np.argmax(scores))] == "1"
    assert rec.source_scores(RecRequest(), "query") is None
    with pytest.raises(ValueError, match="no source 'nope'"):
        rec.source_scores(req, "nope")
