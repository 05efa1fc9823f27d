"""`whyrec train ranker` reuses a saved ranker only when it is what the command would train now."""

import json
from dataclasses import replace

from tools.recsys.features import FEATURES
from tools.recsys.ranker import RankerConfig
from ui.cli_train_ranker import saved_ranker_if_current


def _save(out, *, config=RankerConfig(), features=FEATURES, catalog="demo-1", weighting="none", stopping="cv"):
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps({"catalog_version": catalog, "weighting": weighting,
                                                   "weighting_clip": None, "weighting_power": 1.0,
                                                   "stopping": stopping}))
    (out / "ranker.json").write_text(json.dumps({"features": list(features),
                                                 "config": config.__dict__ | {"drop": list(config.drop)}}))


def test_the_current_ranker_is_reused(tmp_path):
    _save(tmp_path)
    meta = saved_ranker_if_current(tmp_path, "demo-1", "none", None, 1.0)
    assert meta is not None and meta["catalog_version"] == "demo-1"


def test_a_changed_lightgbm_default_retrains(tmp_path):
    old = replace(RankerConfig(), learning_rate=RankerConfig().learning_rate / 2)
    _save(tmp_path, config=old)
    assert saved_ranker_if_current(tmp_path, "demo-1", "none", None, 1.0) is None


def test_other_features_catalog_weighting_or_stopping_retrain(tmp_path):
    _save(tmp_path / "a", features=FEATURES[:-1])
    _save(tmp_path / "b", catalog="demo-0")
    _save(tmp_path / "c", weighting="snips")
    _save(tmp_path / "d", stopping="holdout")  # trained before the rounds were cross-validated
    for sub in "abcd":
        assert saved_ranker_if_current(tmp_path / sub, "demo-1", "none", None, 1.0) is None
    assert saved_ranker_if_current(tmp_path / "missing", "demo-1", "none", None, 1.0) is None


def test_a_blend_is_reused_only_for_the_same_share(tmp_path):
    _save(tmp_path)
    meta = json.loads((tmp_path / "training.json").read_text())
    (tmp_path / "training.json").write_text(json.dumps({**meta, "blend_share": 0.7}))
    assert saved_ranker_if_current(tmp_path, "demo-1", "none", None, 1.0, 0.7) is not None
    assert saved_ranker_if_current(tmp_path, "demo-1", "none", None, 1.0, 0.6) is None
    assert saved_ranker_if_current(tmp_path, "demo-1", "none", None, 1.0) is None  # a plain ranker is asked for


def test_blend_without_a_weighting_is_refused_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from ui.cli import app

    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "train", "ranker", "--weighting", "none",
                                   "--blend", "0.5"])
    assert res.exit_code != 0 and "add --weighting ipw" in res.output
    assert not (tmp_path / "models").exists()


def test_what_is_not_given_comes_from_the_served_choice_and_an_explicit_weighting_starts_alone(monkeypatch):
    import pytest
    import typer

    from ui import cli_train_ranker as cli

    monkeypatch.setattr(cli, "SERVED_WEIGHTING", ("ipw", 0.0005, 1.0, 0.7))
    assert cli.chosen_weighting(None, None, None, None) == ("ipw", 0.0005, 1.0, 0.7)
    assert cli.chosen_weighting(None, None, None, 0.6) == ("ipw", 0.0005, 1.0, 0.6)
    assert cli.chosen_weighting("none", None, None, None) == ("none", None, 1.0, None)
    assert cli.chosen_weighting("snips", None, 0.75, None) == ("snips", None, 0.75, None)
    assert cli.chosen_weighting("ipw", None, None, None) == ("ipw", cli.IPW_DEFAULT_CLIP, 1.0, None)
    with pytest.raises(typer.BadParameter, match="add --weighting ipw"):
        cli.chosen_weighting("none", None, None, 0.5)
    monkeypatch.setattr(cli, "SERVED_WEIGHTING", ("none", None, 1.0, None))
    assert cli.chosen_weighting(None, None, None, None) == ("none", None, 1.0, None)
