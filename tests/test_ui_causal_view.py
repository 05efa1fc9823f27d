"""The Causal tab's provider over the REAL causal study, on a small synthetic table (known answer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ui.app_causal import CausalHandlers
from ui.causal_view import CausalView

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture()
def chain_csv(tmp_path) -> Path:
    """z -> x -> y and z -> y with a binary treatment x: its effect on y is 2.0 once z is adjusted for."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=800)
    x = (0.8 * z + rng.normal(size=800) > 0).astype(int)
    y = 2.0 * x + 1.5 * z + rng.normal(size=800)
    path = tmp_path / "chain.csv"
    path.write_text("z,x,y\n" + "\n".join(f"{a:.5f},{b},{c:.5f}" for a, b, c in zip(z, x, y, strict=True)))
    return path


def test_causal_view_draws_graph_and_estimates_effect(chain_csv, tmp_path):
    from tools.studies.causal_study import CausalStudy

    study = CausalStudy(chain_csv, tmp_path / "cache", method="pc", alpha=0.01, n_boot=30)
    view = CausalView(study, pairs=[("x", "y")])
    assert view.current == ("pc", 0.01)
    handlers = CausalHandlers(view)
    png, mermaid, status = handlers.discover("pc", 0.01)
    assert png is not None and Path(png).read_bytes()[:4] == b"\x89PNG"
    assert not str(png).startswith(str(tmp_path / "cache"))  # a served copy, not the data dir
    assert mermaid.startswith("```mermaid") and "3 variables" in status
    rows, msg = handlers.effects()
    assert msg == "1 effect estimate(s)."
    treatment, outcome, estimate, interval, adjustment, method = rows[0]
    assert (treatment, outcome) == ("x", "y")
    assert abs(float(estimate) - 2.0) < 0.15
    lo, hi = (float(v) for v in interval.strip("[]").split(","))
    assert lo < 2.0 < hi or abs(lo - 2.0) < 0.15
    assert "z" in adjustment and method.startswith("pc+")
    assert view.effects() == view.effects()  # cached per graph
