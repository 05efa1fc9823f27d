"""The blended ranker: the plain model mixed with a de-biased one (tools/recsys/blend.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_recsys import _table_of, _training_rows
from tools.errors import DataError
from tools.recsys.blend import BLEND_FILE, BlendedRanker, load_ranker
from tools.recsys.features import FEATURES
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.training import fit_blend

CONFIG = RankerConfig(n_estimators=40, min_child_samples=5)


def _two_models() -> tuple[LearnedRanker, LearnedRanker, np.ndarray]:
    """A model that ranks by 'cosuggest' and one trained to rank by 'year' (known, different answers)."""
    plain = LearnedRanker.fit(_training_rows(0), None, CONFIG)
    x, _, groups = _training_rows(1)
    y = np.zeros(len(x), dtype=np.int32)
    for i in range(0, len(x), 8):
        y[i + int(np.argmax(x[i:i + 8, FEATURES.index("year")]))] = 1
    other = LearnedRanker.fit((x, y, groups), None, CONFIG)
    return plain, other, _training_rows(2)[0]


def test_a_blend_scores_the_stated_mix_and_its_account_adds_up(tmp_path):
    plain, other, x = _two_models()
    blend = BlendedRanker(plain, other, 0.7)
    s = blend.predict(x[:16])
    assert np.allclose(s, 0.3 * plain.predict(x[:16]) + 0.7 * other.predict(x[:16]))
    contrib, bias = blend.contributions(x[:16])
    assert np.allclose(contrib.sum(axis=1) + bias, s, atol=1e-6)
    # the mix's account names what each model decides on
    named = {FEATURES[j] for j in np.argsort(-np.abs(contrib).sum(axis=0))[:2]}
    assert named == {"cosuggest", "year"}
    loaded = load_ranker(blend.save(tmp_path / "b"))
    assert isinstance(loaded, BlendedRanker) and loaded.share == 0.7
    assert np.allclose(loaded.predict(x[:16]), s)
    assert isinstance(load_ranker(plain.save(tmp_path / "p")), LearnedRanker)


def test_a_blend_refuses_a_share_outside_zero_to_one_and_an_unreadable_file(tmp_path):
    plain, other, _ = _two_models()
    for bad in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            BlendedRanker(plain, other, bad)
    path = BlendedRanker(plain, other, 0.5).save(tmp_path / "b")
    (path / BLEND_FILE).write_text(json.dumps({"mix": 0.5}))
    with pytest.raises(DataError, match="retrain with `whyrec train ranker --force`"):
        load_ranker(path)


def test_fit_blend_gives_the_weighted_partner_the_plain_models_rounds():
    table = _table_of(_training_rows(0))
    plain = LearnedRanker.fit((table.x, table.y, table.groups), None, CONFIG)
    weights = np.linspace(0.5, 1.5, len(table.y))
    blend = fit_blend(table, plain, weights, 0.6)
    assert blend.plain is plain and blend.debiased.booster.current_iteration() == 40
    assert blend.info["blend_share"] == 0.6
    assert not np.allclose(blend.debiased.predict(table.x[:16]), plain.predict(table.x[:16]))
