"""Bootstrap edge stability: frequencies are shares, reproducible, in JSON, the CLI and the picture."""

from __future__ import annotations

import json

import numpy as np
import pytest

from causal import CausalEdge, CausalGraph, CausalInputError, discover
from causal.metrics import cpdag_of
from causal.synthetic import linear_scm


@pytest.fixture(scope="module")
def small():
    return linear_scm(6, 6, 1500, seed=3)


@pytest.fixture(scope="module")
def boot(small):
    return discover(small.as_dict(), "pc", bootstrap=8, seed=1, progress=False)


def test_frequencies_are_shares_and_true_edges_come_back(small, boot):
    info = boot.params["bootstrap"]
    assert info["n_boot"] == 8 and info["used"] + info["skipped"] == 8
    truth = cpdag_of(small.graph).skeleton()
    for e in boot.edges:
        assert 0.0 <= e.orientation <= e.frequency <= 1.0
        if e.pair in truth:
            assert e.frequency >= 0.75, e
    plain = discover(small.as_dict(), "pc", seed=1)  # the reported graph is the full-data one
    assert boot.edges == tuple(e.with_stability(b.frequency, b.orientation) for e, b in zip(plain.edges, boot.edges,
                                                                                              strict=True))


def test_same_seed_same_frequencies_whatever_the_worker_count(small, boot):
    again = discover(small.as_dict(), "pc", bootstrap=8, seed=1, n_jobs=2, progress=False)
    assert again.edges == boot.edges


def test_frequencies_survive_json_and_show_in_describe(boot):
    back = CausalGraph.from_dict(json.loads(json.dumps(boot.to_dict())))
    assert back.edges == boot.edges
    assert all("frequency" in e for e in boot.to_dict()["edges"])
    assert "of resamples" in boot.describe()
    plain = CausalGraph(("a", "b"), (CausalEdge("a", "b"),))
    assert "frequency" not in plain.to_dict()["edges"][0] and "resamples" not in plain.describe()


def test_bad_bootstrap_arguments():
    d = linear_scm(4, 3, 300, seed=0)
    with pytest.raises(CausalInputError, match="bootstrap must be 0"):
        discover(d.as_dict(), bootstrap=-1)
    with pytest.raises(CausalInputError, match="share in"):
        CausalEdge("a", "b", frequency=1.5)


def test_a_resample_with_a_constant_column_is_skipped_not_fatal():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    rare = np.zeros(300)
    rare[0] = 1.0  # absent from most resamples -> constant there
    g = discover({"x": x, "y": x + rng.normal(size=300), "rare": rare}, bootstrap=4, progress=False)
    info = g.params["bootstrap"]
    assert info["skipped"] >= 1 and any("skipped" in n for n in g.notes)


def test_cli_bootstrap_json_lists_edge_frequencies(tmp_path, small):
    from typer.testing import CliRunner

    from ui.cli import app

    csv = tmp_path / "t.csv"
    cols = small.as_dict()
    csv.write_text(",".join(cols) + "\n" + "\n".join(",".join(f"{v:.5f}" for v in row)
                                                    for row in zip(*cols.values(), strict=True)))
    png = tmp_path / "g.png"
    r = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "causal", "discover", "--dataset", str(csv),
                                 "--bootstrap", "5", "--png", str(png), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["edges"] and all(0.0 <= e["frequency"] <= 1.0 and e["text"] for e in out["edges"])
    assert out["bootstrap"]["n_boot"] == 5 and out["graph"]["params"]["transform"] == "rank"
    assert png.read_bytes()[:4] == b"\x89PNG" and "|" in out["mermaid"]
