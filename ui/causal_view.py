"""The Causal tab's provider: ``tools.studies.causal_study.CausalStudy`` as the UI wants it.

Why an adapter rather than the study itself: (1) the effect table must describe the graph
the user is *looking at* -- after "Run discovery" with another method or alpha the effects
are re-estimated on that graph, not on the study's default one; (2) the drawn PNG is
copied into a private temp folder so Gradio serves that copy and never needs access to
the data directory; (3) the study is created lazily, on the first look at the tab.
The tab's study bootstraps its graphs (``UI_BOOTSTRAP`` resamples), so the PNG draws each
edge as wide as the share of resamples that found it: a reader of the picture sees at once
which edges are solid and which hang on a few rows.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (("suggested", "liked"), ("suggested", "seen"), ("seen", "liked"))
#: bootstrap resamples behind the tab's graph: 5-15 s once on the demo table (then cached); see evals/results/causal.md
UI_BOOTSTRAP = 20


class CausalView:
    """Implements ``ui.ports.CausalProvider`` over a ``CausalStudy`` (or anything with its methods)."""

    def __init__(self, study: Any, *, default_alpha: float | None = None, pairs=None) -> None:
        self.study = study
        self.methods = tuple(getattr(study, "methods", ("pc", "ges")))
        self._method = str(getattr(study, "method", self.methods[0]))
        self._alpha = float(default_alpha if default_alpha is not None else getattr(study, "alpha", 0.05))
        self._pairs = tuple(pairs) if pairs else tuple(_study_pairs(study))
        self._tmp = Path(tempfile.mkdtemp(prefix="whyrec_causal_"))
        self._effects: dict[tuple[str, float], list[dict[str, Any]]] = {}  # bootstraps are slow: once per graph
        self._lock = threading.Lock()  # one discovery at a time; causal-learn is CPU-heavy

    @property
    def current(self) -> tuple[str, float]:
        return self._method, self._alpha

    def discover(self, method: str, alpha: float) -> tuple[str | None, str, dict[str, Any]]:
        with self._lock:
            png, mermaid, graph = self.study.discover(method, float(alpha))
            self._method, self._alpha = method, float(alpha)
        if png and Path(png).is_file():
            copy = self._tmp / f"graph-{method}-{float(alpha):g}.png"
            shutil.copyfile(png, copy)
            png = str(copy)
        return png, mermaid, graph

    def effects(self) -> list[dict[str, Any]]:
        """Effects of the configured pairs on the graph last discovered (the study's default at first)."""
        with self._lock:
            key = (self._method, self._alpha)
            if key not in self._effects:
                graph = self.study.graph(*key)
                variables = set(getattr(graph, "variables", ()))
                self._effects[key] = [
                    _flatten(self.study.estimate(t, y, graph=graph))
                    for t, y in self._pairs if t in variables and y in variables
                ]
            return [dict(row) for row in self._effects[key]]


def _study_pairs(study: Any) -> tuple[tuple[str, str], ...]:
    try:
        from tools.studies.causal_study import DEFAULT_EFFECTS

        return tuple(DEFAULT_EFFECTS)
    except ImportError:
        return DEFAULT_PAIRS


def _flatten(est: Any) -> dict[str, Any]:
    """An ``EffectEstimate`` -> the flat row the tab shows (treatment, outcome, estimate, interval, set)."""
    d = est.to_dict() if hasattr(est, "to_dict") else dict(est)
    head = getattr(est, "headline", None)
    d["ci_low"], d["ci_high"] = (head.ci_low, head.ci_high) if head is not None else (None, None)
    if head is not None and d.get("estimate") in (None, "") and hasattr(head, "value"):
        d["estimate"] = head.value
    regression = getattr(est, "regression", None)
    graph_method = getattr(est, "graph_method", "")
    if regression is not None:
        d["method"] = f"{graph_method}+{'regression' if regression else 'ipw'}"
    return d


def build_causal_provider(settings: Any, *, bootstrap: int = UI_BOOTSTRAP) -> CausalView | None:
    """The provider for ``whyrec ui``: the demo study cached under ``<data_dir>/causal`` (None if absent)."""
    from tools.studies.causal_study import CausalStudy

    study = CausalStudy("demo", Path(settings.data_dir) / "causal", seed=settings.seed, bootstrap=bootstrap)
    if not Path(study.path).is_file():
        return None
    return CausalView(study)
