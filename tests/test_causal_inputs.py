"""Bad tables get an error that names the column and says how to fix it, and change nothing stored."""

from __future__ import annotations

import json

import numpy as np
import pytest

from causal import ColumnError, discover
from causal.errors import CausalInputError

RNG = np.random.default_rng(0)
N = 200


def _good() -> dict:
    a = RNG.normal(size=N)
    return {"a": a, "b": a + RNG.normal(size=N), "c": RNG.normal(size=N)}


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"d": np.full(N, 3.0)}, "d", "are constant"),
        ({"d": np.full(N, np.nan)}, "d", "every value is missing"),
        ({"d": np.r_[np.nan, np.ones(N - 1)]}, "d", "NaN"),
        ({"price": np.array([str(x) for x in range(N - 2)] + ["12 USD", "n.a."], dtype=object)}, "price",
         "text where numbers belong: '12 USD' (row 199)"),
        ({"title": np.array([f"movie {i}" for i in range(N)], dtype=object)}, "title", "free text or identifiers"),
    ],
)
def test_bad_column_is_named_with_a_fix(change, column, words):
    with pytest.raises(ColumnError) as err:
        discover({**_good(), **change})
    msg = str(err.value)
    assert msg.startswith(f"column(s) {column} ") and words in msg and "fix:" in msg, msg
    assert err.value.columns == (column,) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("copy", [lambda a: a.copy(), lambda a: 2.5 * a - 1.0])
def test_copy_of_another_column_is_refused(copy):
    t = _good()
    with pytest.raises(ColumnError, match=r"column\(s\) a2 is a copy of 'a'.*fix: drop 'a2' or 'a'"):
        discover({**t, "a2": copy(t["a"])})


def test_relabelled_category_counts_as_a_copy():
    g = RNG.integers(0, 3, N).astype(float)
    with pytest.raises(ColumnError, match="g2 is a copy of 'g'"):
        discover({**_good(), "g": g, "g2": np.array([5.0, 1.0, 7.0])[g.astype(int)]})


def test_text_that_is_all_numbers_or_few_categories_is_fine():
    t = _good()
    out = discover({**t, "n": np.array([f" {x:.3f}" for x in t["c"] * 2 + t["b"]], dtype=object),
                    "k": np.array(["yes" if x > 0 else "no" for x in t["a"]], dtype=object)})
    assert out.params["data_kind"] == "mixed" and "n" in out.variables


def test_fewer_rows_than_variables():
    wide = {f"v{j}": RNG.normal(size=25) for j in range(30)}
    with pytest.raises(CausalInputError, match="only 25 rows for 30 variables.*add rows or drop variables"):
        discover(wide)


# ----- through the study and the CLI: same messages, nothing stored changes -------------------------
def _write(path, cols: dict) -> None:
    names = list(cols)
    rows = zip(*(cols[c] for c in names), strict=True)
    path.write_text(",".join(names) + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n")


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ({"z": ["5"] * N}, "z"),
        ({"z": [""] * N}, "z"),
        ({"z": [f"{v:.4f}" for v in RNG.normal(size=N - 1)] + ["oops"]}, "z"),
        ({"a_copy": "a"}, "a_copy"),
    ],
)
def test_study_rejects_bad_csv_and_keeps_its_cache(tmp_path, bad, column):
    from tools.errors import InputError
    from tools.studies.causal_study import CausalStudy

    good = {k: [f"{v:.5f}" for v in vals] for k, vals in _good().items()}
    csv, cache = tmp_path / "t.csv", tmp_path / "cache"
    _write(csv, good)
    CausalStudy(csv, cache, bootstrap=0).graph()
    before = _snapshot(cache)
    assert before and all(json.loads(b)["edges"] is not None for b in before.values())
    col = {column: good[bad[column]]} if bad.get(column) == "a" else bad
    _write(csv, {**good, **col})
    with pytest.raises(InputError, match=rf"column\(s\) {column} .*fix:"):
        CausalStudy(csv, cache).graph()
    assert _snapshot(cache) == before


def test_cli_names_the_bad_column(tmp_path):
    from typer.testing import CliRunner

    from ui.cli import app

    t = {k: [f"{v:.5f}" for v in vals] for k, vals in _good().items()}
    t["price"] = t["c"][:-1] + ["12 USD"]
    _write(tmp_path / "bad.csv", t)
    r = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "causal", "discover", "--dataset",
                                 str(tmp_path / "bad.csv")])
    assert r.exit_code != 0
    assert "column(s) price " in r.output and "text where numbers belong" in r.output and "fix:" in r.output, r.output
    assert not (tmp_path / "causal").exists() or not list((tmp_path / "causal").iterdir())
