"""The ReDial recommendation-effect table and the study/CLI on the shipped copy."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from tools.datasets.redial import Dialogue, Movie, MovieLabel, Turn
from tools.studies.causal_study import DEMO_TABLE, CausalStudy, load_study_table
from tools.studies.redial_effect import ANALYSIS_COLUMNS, mention_rows, read_table, write_table


def _dialogue():
    turns = (
        Turn("hi, I loved @1", 10, True, ("1",), 0, 0),
        Turn("then try @2", 20, False, ("2",), 1, 1),
        Turn("@2 sounds good, and @1 again", 10, True, ("2", "1"), 2, 2),
        Turn("bye", 20, False, (), 3, 3),
    )
    labels = {"1": MovieLabel(False, True, True), "2": MovieLabel(True, False, None)}
    return Dialogue("c1", 10, 20, turns, {"1": "A", "2": "B"}, labels, {})


def test_mention_rows_known_answer(tmp_path):
    movies = [Movie("1", "A", 1999, 10, "A (1999)"), Movie("2", "B", None, 0, "B")]
    rows = mention_rows([_dialogue()], movies, {"1": ("Comedy",)}, split="valid")
    by = {r["movie_id"]: r for r in rows}
    assert by["1"]["mentioned_first_by_seeker"] == "1" and by["2"]["mentioned_first_by_seeker"] == "0"
    assert by["1"]["position"] == "0.0000" and by["2"]["position"] == "0.2500"
    assert by["1"]["genre_comedy"] == "1" and by["2"]["genre_comedy"] == "0"
    assert by["2"]["liked"] == "" and by["2"]["suggested"] == "1" and by["2"]["year_known"] == "0"
    assert by["1"]["popularity"] == "2.3979"
    p1, p2 = write_table(rows, tmp_path / "a.csv.gz"), write_table(rows, tmp_path / "b.csv.gz")
    assert p1.read_bytes() == p2.read_bytes()  # reproducible (gzip mtime=0)
    assert gzip.decompress(p1.read_bytes()).startswith(b"# WhyRec")
    assert list(read_table(p1)["movie_id"]) == ["1", "2"]


def test_shipped_table_loads_with_tiers():
    df, info, bk = load_study_table("demo")
    assert DEMO_TABLE.is_file() and info["rows_used"] > 5000
    assert list(df.columns) == list(ANALYSIS_COLUMNS)
    assert bk.tier("suggested") < bk.tier("seen") < bk.tier("liked")


@pytest.fixture(scope="module")
def cli_app():
    from ui.cli import app

    return app


def test_cli_discover_json(cli_app, tmp_path):
    png = tmp_path / "g.png"
    r = CliRunner().invoke(cli_app, ["--data-dir", str(tmp_path), "causal", "discover", "--json", "--png", str(png)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    g = out["graph"]
    assert g["method"] == "pc" and "suggested" in g["variables"] and g["edges"]
    assert all(not (e["src"] == "liked" and e["dst"] == "suggested") for e in g["edges"])  # tiers honoured
    assert png.stat().st_size > 5000 and out["mermaid"].startswith("graph LR")
    assert list((tmp_path / "causal").glob("graph-pc-*.json"))  # cached for the UI/agent


def test_cli_effect_json(cli_app, tmp_path):
    r = CliRunner().invoke(cli_app, ["--data-dir", str(tmp_path), "causal", "effect", "--treatment", "suggested",
                                     "--outcome", "liked", "--n-boot", "30", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["treatment"] == "suggested" and out["outcome"] == "liked"
    assert len(out["ci95"]) == 2 and out["ci95"][0] <= out["estimate"] <= out["ci95"][1]
    assert isinstance(out["adjustment_set"], list) and "unadjusted" in out


def test_cli_unknown_variable_is_a_friendly_error(cli_app, tmp_path):
    r = CliRunner().invoke(cli_app, ["--data-dir", str(tmp_path), "causal", "effect", "--treatment", "nope",
                                     "--n-boot", "5"])
    assert r.exit_code == 2 and "valid names are" in r.output


def test_study_provider_and_service(tmp_path):
    s = CausalStudy("demo", tmp_path, n_boot=10)
    png, mermaid, graph = s.discover("pc", 0.01)
    assert png and mermaid.startswith("graph LR") and graph["variables"]
    summary = s.graph_summary()
    assert summary["edges"] and summary["descriptions"]["liked"]
    eff = s.effect("suggested", "liked")
    assert {"estimate", "ci_low", "ci_high", "adjustment_set", "method"} <= set(eff)
