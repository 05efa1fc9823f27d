"""The causal study WhyRec runs on its data: discovery + effect estimates, cached.

Why here (tools/, not causal/): it reads files (the shipped ReDial mentions table or a CSV
the user names) and knows the study's domain choices (tiers, which effects to report);
``causal/`` stays a pure library. ``CausalStudy`` is what the agent (``causal_graph`` /
``causal_effect`` tools) and the UI's Causal tab call; ``run_study`` is the one-shot form.
Graphs are cached as JSON under ``<data_dir>/causal/`` keyed by the table's bytes and the
parameters, so a second call (or the UI after the CLI) reuses the result. A table is
validated (``causal.table``) before the cache is even looked up, so a rejected file can never
overwrite or be answered from a stored graph.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from causal import Background, CausalGraph, discover, estimate_effect
from causal.discovery import DEFAULT_TRANSFORM
from causal.errors import CausalInputError, ColumnError
from causal.render import render_png, to_mermaid
from causal.table import as_table, check_discoverable, column_values, parse_numbers
from tools.catalog.catalog import DEMO_CATALOG_DIR
from tools.errors import DataError, InputError
from tools.studies.redial_effect import ANALYSIS_COLUMNS, DESCRIPTIONS, TIERS, read_table

log = logging.getLogger("whyrec.causal")

DEMO_TABLE = DEMO_CATALOG_DIR / "mentions.csv.gz"
DEFAULT_EFFECTS: tuple[tuple[str, str], ...] = (("suggested", "liked"), ("suggested", "seen"), ("seen", "liked"))
CACHE_VERSION = 2  # 2: rank transform by default, bootstrap frequencies
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
    suggested/seen/liked (reported in info). Other CSVs: every numeric column (text columns
    holding only numbers count; other text columns are skipped and listed in info); rows with
    missing values dropped. Raises ``InputError`` naming the column for a column that is
    entirely empty, constant, a copy of another or numbers mixed with text.
    """
    import pandas as pd

    path = resolve_table_path(dataset)
    df = read_table(path) if path.suffix == ".gz" or path == DEMO_TABLE else _read_csv(path)
    cols = [c for c in ANALYSIS_COLUMNS if c in df.columns]
    is_mentions = len(cols) == len(ANALYSIS_COLUMNS)
    skipped_text: list[str] = []
    if not is_mentions:
        df, skipped_text = _numeric_columns(df)
        cols = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    if len(cols) < 2:
        raise DataError(f"{path} has fewer than 2 numeric columns ({list(df.columns)}); causal discovery needs more")
    sub = df[cols]
    empty = [c for c in cols if sub[c].isna().all()]
    if empty:
        raise InputError(str(ColumnError(empty, "are empty (every value is missing)", "drop the column (it holds no data)",
                                         reason="empty")))
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
    if skipped_text:
        info["skipped_text_columns"] = skipped_text
    constant = [c for c in clean.columns if clean[c].nunique() <= 1]
    if constant and is_mentions:  # our own table: a genre absent from a rebuilt subset is not the user's error
        clean = clean.drop(columns=constant)
        info["dropped_constant_columns"] = constant
    try:
        check_discoverable(as_table(clean))
    except CausalInputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    bk = Background(tiers=TIERS).restricted_to(list(clean.columns)) if is_mentions else None
    return clean.reset_index(drop=True), info, bk


def _numeric_columns(df):
    """Text columns that hold numbers become numbers; a column of numbers with some text in it is
    an error naming the column (``causal.table``'s message); other text columns are skipped."""
    import pandas as pd

    skipped = []
    out = df.copy()
    for c in df.columns:
        if pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            continue
        cells = df[c].to_numpy(dtype=object)
        numbers = parse_numbers(cells)
        if numbers is not None:
            out[c] = numbers
            continue
        try:
            column_values(cells, str(c))
        except ColumnError as exc:
            if exc.reason == "text_in_numbers":
                raise InputError(str(exc)) from exc
        skipped.append(str(c))
    return out.drop(columns=skipped), skipped


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
    ``tools.toolbox.agent_tools.CausalService`` (``graph_summary``, ``effect``). ``transform``,
    ``indep_test`` and ``bootstrap`` go to ``causal.discover`` unchanged (None: its measured
    defaults) and are part of the cache key.
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
        transform: str | None = None,
        indep_test: str | None = None,
        bootstrap: int = 0,
    ) -> None:
        self.path = resolve_table_path(dataset)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.method, self.alpha, self.seed, self.n_boot = method, alpha, seed, n_boot
        self.use_background = use_background
        #: discovery options: marginal transform, CI test, bootstrap resamples for edge frequencies
        self.transform, self.indep_test, self.bootstrap = transform, indep_test, int(bootstrap)
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
        options = {"transform": self.transform or f"auto:{DEFAULT_TRANSFORM}", "indep_test": self.indep_test or "auto",
                   "bootstrap": self.bootstrap}
        if self.cache_dir is not None:
            key = _cache_key(self.path, method, alpha, bk, self.seed, options)
            cache = self.cache_dir / f"graph-{method}-{key}.json"
            if cache.is_file() and not refresh:
                try:
                    return CausalGraph.from_dict(json.loads(cache.read_text(encoding="utf-8")))
                except (ValueError, CausalInputError):
                    log.warning("ignoring unreadable cache %s", cache)
        try:
            g = discover(df, method=method, alpha=alpha, background=bk, seed=self.seed, transform=self.transform,
                         indep_test=self.indep_test, bootstrap=self.bootstrap)
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
            "edges": [e.label() for e in g.edges],
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
    transform: str | None = None,
    indep_test: str | None = None,
    bootstrap: int = 0,
):
    """One shot: (graph, [EffectEstimate, ...]) for the table (default: the shipped demo table)."""
    study = CausalStudy(table_path, cache_dir, method=method, alpha=alpha, seed=seed, n_boot=n_boot,
                        transform=transform, indep_test=indep_test, bootstrap=bootstrap)
    g = study.graph()
    return g, [study.estimate(t, y, graph=g) for t, y in pairs if t in g.variables and y in g.variables]
