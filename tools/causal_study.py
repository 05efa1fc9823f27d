"""The causal study WhyRec runs on its data: discovery + effect estimates, cached.

Why here (tools/, not causal/): it reads files (the shipped ReDial mentions table or a CSV
the user names) and knows the study's domain choices (tiers, which effects to report);
``causal/`` stays a pure library. ``CausalStudy`` is what the agent (``causal_graph`` /
``causal_effect`` tools) and the UI's Causal tab call; ``run_study`` is the one-shot form.
Graphs are cached as JSON under ``<data_dir>/causal/`` keyed by the table's bytes and the
parameters, so a second call (or the UI after the CLI) reuses the result.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from causal import Background, CausalGraph, discover, estimate_effect
from causal.errors import CausalInputError
from causal.render import render_png, to_mermaid
from tools.catalog import DEMO_CATALOG_DIR
from tools.errors import DataError, InputError
from tools.redial_effect import ANALYSIS_COLUMNS, DESCRIPTIONS, TIERS, read_table

log = logging.getLogger("whyrec.causal")

DEMO_TABLE = DEMO_CATALOG_DIR / "mentions.csv.gz"
DEFAULT_EFFECTS: tuple[tuple[str, str], ...] = (("suggested", "liked"), ("suggested", "seen"), ("seen", "liked"))
CACHE_VERSION = 1
METHODS = ("pc", "fci", "ges", "lingam")


def resolve_table_path(dataset: str | Path | None) -> Path:
    if dataset in (None, "", "demo"):
        return DEMO_TABLE
    path = Path(dataset)
    if not path.is_file():
        raise InputError(f"dataset {dataset!r} is neither 'demo' nor an existing CSV file; pass --dataset demo or a path")
    return path


def load_study_table(dataset: str | Path | None = "demo"):
    """(numeric DataFrame ready for discovery, info dict, background or None).

    The demo table keeps ``ANALYSIS_COLUMNS`` and drops rows where the seeker did not say
    suggested/seen/liked (reported in info). Other CSVs: every numeric column; rows with
    missing values dropped.
    """
    import pandas as pd

    path = resolve_table_path(dataset)
    df = read_table(path) if path.suffix == ".gz" or path == DEMO_TABLE else _read_csv(path)
    cols = [c for c in ANALYSIS_COLUMNS if c in df.columns]
    is_mentions = len(cols) == len(ANALYSIS_COLUMNS)
    if not is_mentions:
        cols = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    if len(cols) < 2:
        raise DataError(f"{path} has fewer than 2 numeric columns ({list(df.columns)}); causal discovery needs more")
    sub = df[cols]
    clean = sub.dropna()
    info = {
        "table": str(path),
        "rows_total": int(len(df)),
        "rows_used": int(len(clean)),
        "rows_dropped_missing": int(len(df) - len(clean)),
        "columns": cols,
    }
    if is_mentions:
        info["note"] = (
            "rows where the seeker did not answer suggested/seen/liked are dropped; estimates describe "
            "mentions whose answers are known (ReDial, CC BY 4.0; trained on a partial split of 2,256 dialogues)"
        )
    constant = [c for c in clean.columns if clean[c].nunique() <= 1]
    if constant:
        clean = clean.drop(columns=constant)
        info["dropped_constant_columns"] = constant
    bk = Background(tiers=TIERS).restricted_to(list(clean.columns)) if is_mentions else None
    return clean.reset_index(drop=True), info, bk


def _read_csv(path: Path):
    import pandas as pd

    try:
        return pd.read_csv(path, comment="#")
    except (ValueError, OSError) as exc:
        raise DataError(f"{path} is not a readable CSV ({exc})") from exc


def _cache_key(path: Path, method: str, alpha: float, bk: Background | None, seed: int, extra: Any = None) -> str:
    h = hashlib.sha256(path.read_bytes())
    h.update(json.dumps([CACHE_VERSION, method, alpha, bk.to_dict() if bk else None, seed, extra], sort_keys=True).encode())
    return h.hexdigest()[:16]


class CausalStudy:
    """Discovery and effects over one table, cached under ``cache_dir``.

    Satisfies ``ui.ports.CausalProvider`` (``discover``, ``effects``) and
    ``tools.agent_tools.CausalService`` (``graph_summary``, ``effect``).
    """

    methods = METHODS

    def __init__(
        self,
        dataset: str | Path | None = "demo",
        cache_dir: Path | None = None,
        *,
        method: str = "pc",
        alpha: float = 0.01,
        seed: int = 0,
        n_boot: int = 200,
        use_background: bool = True,
    ) -> None:
        self.path = resolve_table_path(dataset)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.method, self.alpha, self.seed, self.n_boot = method, alpha, seed, n_boot
        self.use_background = use_background
        self._table = None

    # ----- data --------------------------------------------------------------------------
    def table(self):
        if self._table is None:
            self._table = load_study_table(self.path)
        return self._table

    @property
    def background(self) -> Background | None:
        return self.table()[2] if self.use_background else None

    # ----- discovery ---------------------------------------------------------------------
    def graph(self, method: str | None = None, alpha: float | None = None, *, background: Background | None = None,
              refresh: bool = False) -> CausalGraph:
        method, alpha = method or self.method, float(alpha if alpha is not None else self.alpha)
        df, info, default_bk = self.table()
        bk = background if background is not None else (default_bk if self.use_background else None)
        cache = None
        if self.cache_dir is not None:
            cache = self.cache_dir / f"graph-{method}-{_cache_key(self.path, method, alpha, bk, self.seed)}.json"
            if cache.is_file() and not refresh:
                try:
                    return CausalGraph.from_dict(json.loads(cache.read_text(encoding="utf-8")))
                except (ValueError, CausalInputError):
                    log.warning("ignoring unreadable cache %s", cache)
        try:
            g = discover(df, method=method, alpha=alpha, background=bk, seed=self.seed)
        except CausalInputError as exc:
            raise InputError(str(exc)) from exc
        g = g.with_meta(params={**g.params, "table": info["table"], "rows_used": info["rows_used"]})
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(g.to_dict(), indent=1), encoding="utf-8")
            tmp.replace(cache)
        return g

    def layers(self, graph: CausalGraph) -> list[list[str]] | None:
        bk = self.background
        if bk is None or not bk.tiers:
            return None
        return [[v for v in tier if v in graph.variables] for tier in bk.tiers]

    def discover(self, method: str, alpha: float) -> tuple[str | None, str, dict[str, Any]]:
        """``CausalProvider``: (PNG path, Mermaid text, graph dict)."""
        g = self.graph(method, alpha)
        png = None
        if self.cache_dir is not None:
            png = str(render_png(g, self.cache_dir / f"graph-{g.method}-{alpha:g}.png", layers=self.layers(g)))
        return png, to_mermaid(g), g.to_dict()

    # ----- effects -----------------------------------------------------------------------
    def estimate(self, treatment: str, outcome: str, method: str | None = None, graph: CausalGraph | None = None):
        g = graph or self.graph(method)
        df = self.table()[0]
        try:
            return estimate_effect(g, df, treatment, outcome, n_boot=self.n_boot, seed=self.seed)
        except CausalInputError as exc:
            raise InputError(str(exc)) from exc

    def effects(self, pairs=DEFAULT_EFFECTS) -> list[dict[str, Any]]:
        """``CausalProvider``: one flat dict per (treatment, outcome) pair present in the table."""
        g = self.graph()
        out = []
        for t, y in pairs:
            if t in g.variables and y in g.variables:
                out.append(_flat(self.estimate(t, y, graph=g)))
        return out

    def effect(self, treatment: str, outcome: str) -> dict[str, Any]:
        """``CausalService`` (agent tool ``causal_effect``)."""
        return _flat(self.estimate(treatment, outcome))

    def graph_summary(self) -> dict[str, Any]:
        """``CausalService`` (agent tool ``causal_graph``): edges as text, short and grounded."""
        g = self.graph()
        info = self.table()[1]
        return {
            "method": g.method,
            "alpha": g.params.get("alpha"),
            "variables": list(g.variables),
            "descriptions": {v: DESCRIPTIONS.get(v, "") for v in g.variables},
            "edges": [str(e) for e in g.edges],
            "notes": list(g.notes),
            "rows_used": info["rows_used"],
            "source": info["table"],
        }


def _flat(est) -> dict[str, Any]:
    d = est.to_dict()
    h = est.headline
    d["ci_low"], d["ci_high"] = (h.ci_low, h.ci_high) if h else (None, None)
    d["method"] = f"{est.graph_method}+{'regression' if est.regression else 'ipw'}"
    return d


def run_study(
    table_path: str | Path | None = None,
    method: str = "pc",
    alpha: float = 0.01,
    *,
    cache_dir: Path | None = None,
    pairs=DEFAULT_EFFECTS,
    seed: int = 0,
    n_boot: int = 200,
):
    """One shot: (graph, [EffectEstimate, ...]) for the table (default: the shipped demo table)."""
    study = CausalStudy(table_path, cache_dir, method=method, alpha=alpha, seed=seed, n_boot=n_boot)
    g = study.graph()
    return g, [study.estimate(t, y, graph=g) for t, y in pairs if t in g.variables and y in g.variables]
