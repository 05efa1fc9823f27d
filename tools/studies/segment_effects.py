"""The effect of being suggested on being liked, per genre and per popularity bucket.

Why: a single population effect pasted on every card claims something for every film that
the data may support for none of them. This module estimates the effect separately in each
segment of the ReDial mention table (``tools.studies.redial_effect``) -- one per catalog genre and one
per popularity bucket -- with a cluster-bootstrap interval (``causal.segments``) and the
adjustment set read off the learned graph (``tools.studies.causal_study``). A card may then carry a
causal claim only through ``SegmentEffects.for_item``: the most specific of the film's own
segments whose interval excludes zero, named in the claim, or nothing.

Segments: ``genre:<g>`` for every catalog genre (``tools.catalog.catalog``) with enough answered
mentions, and ``popularity:head|torso|tail`` from *training* mention counts (dialogues of the
``train`` split mentioning the film): head = the most-mentioned films that together hold the
first third of training mentions, torso = the next third, tail = the rest, films never
mentioned in training included. Equal thirds of mentions give each bucket a similar number of
rows, hence comparable intervals; training counts only, so the held-out dialogues used by
the benchmarks do not decide which bucket a film is in.

Saved as JSON under ``<data_dir>/causal/segment_effects.json`` (``whyrec causal segments``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from causal.adjustment import identify
from causal.errors import CausalInputError
from causal.segments import (
    MIN_SEGMENT_ROWS,
    SegmentEstimate,
    estimate_segment,
    estimate_segments,
    interval_excludes_zero,
)
from tools.catalog.catalog import Catalog, load_catalog
from tools.errors import DataError, InputError

FORMAT = 1
FILE_NAME = "segment_effects.json"
BUCKETS = ("head", "torso", "tail")
BUCKET_LABELS = {"head": "widely known films", "torso": "moderately known films", "tail": "lesser-known films"}
GENRE_LABELS = {"animation": "animated films", "documentary": "documentaries", "biography": "biographical films",
                "history": "historical films", "music": "music films"}


def default_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "causal" / FILE_NAME


def genre_label(genre: str) -> str:
    g = genre.strip().lower()
    return GENRE_LABELS.get(g, f"{g} films")


@dataclass(frozen=True)
class SegmentEffect:
    """One segment's effect of being suggested on being liked (a risk difference)."""

    segment: str  # e.g. "genre:horror", "popularity:tail"
    label: str  # human text, e.g. "horror films", "lesser-known films"
    estimate: float
    low: float
    high: float
    level: float
    n: int
    adjustment: tuple[str, ...]
    method: str

    @property
    def excludes_zero(self) -> bool:
        return interval_excludes_zero(self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["adjustment"] = list(self.adjustment)
        d["excludes_zero"] = self.excludes_zero
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SegmentEffect:
        return cls(segment=str(d["segment"]), label=str(d["label"]), estimate=float(d["estimate"]),
                   low=float(d["low"]), high=float(d["high"]), level=float(d["level"]), n=int(d["n"]),
                   adjustment=tuple(d.get("adjustment") or ()), method=str(d.get("method", "")))


@dataclass(frozen=True)
class PopularityBuckets:
    """Training mention counts per film and the count thresholds of the head and the torso."""

    head_min: int
    torso_min: int
    counts: Mapping[str, int] = field(default_factory=dict)

    def bucket_of(self, item_id: str) -> str:
        c = int(self.counts.get(str(item_id), 0))
        if c >= self.head_min:
            return "head"
        return "torso" if c >= self.torso_min else "tail"

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> PopularityBuckets:
        """Thresholds at the first and second third of all training mentions (see the module doc)."""
        ranked = sorted((int(c) for c in counts.values() if c > 0), reverse=True)
        if not ranked:
            raise DataError("no training mentions to build popularity buckets from; is the table's split column set?")
        cum = np.cumsum(ranked) / float(sum(ranked))
        head_min = ranked[int(np.searchsorted(cum, 1 / 3))]
        torso_min = ranked[int(np.searchsorted(cum, 2 / 3))]
        return cls(head_min, max(min(torso_min, head_min), 1), {k: int(v) for k, v in counts.items() if v > 0})


class SegmentEffects:
    """Per-segment effects plus what is needed to find an item's segments."""

    def __init__(self, effects: Iterable[SegmentEffect], buckets: PopularityBuckets, *,
                 overall: SegmentEffect | None = None, skipped: Sequence[Mapping[str, Any]] = (),
                 meta: Mapping[str, Any] | None = None) -> None:
        self._effects = {e.segment: e for e in effects}
        self.buckets = buckets
        self.overall = overall
        self.skipped = [dict(s) for s in skipped]
        self.meta = dict(meta or {})

    def all(self) -> list[SegmentEffect]:
        return list(self._effects.values())

    def get(self, segment: str) -> SegmentEffect | None:
        return self._effects.get(segment)

    def bucket_of(self, item_id: str) -> str:
        return self.buckets.bucket_of(item_id)

    def segments_of(self, genres: Sequence[str], popularity_bucket: str) -> list[SegmentEffect]:
        """The estimated segments an item with these genres and this bucket belongs to."""
        names = [f"genre:{g.strip().lower()}" for g in genres] + [f"popularity:{popularity_bucket}"]
        return [self._effects[n] for n in dict.fromkeys(names) if n in self._effects]

    def for_item(self, genres: Sequence[str], popularity_bucket: str) -> SegmentEffect | None:
        """The most specific (fewest rows) of the item's segments whose interval excludes zero, else None."""
        ok = [e for e in self.segments_of(genres, popularity_bucket) if e.excludes_zero]
        return min(ok, key=lambda e: (e.n, e.segment)) if ok else None

    def item_prior(self, genres: Sequence[str], popularity_bucket: str) -> float:
        """Precision-weighted mean of the item's segment estimates (0 when it has none).

        A smooth per-item number for a ranker: every segment counts, weighted by 1/width^2 of its
        interval, so noisy segments pull less. Not a claim: cards use ``for_item`` only.
        """
        segs = [e for e in self.segments_of(genres, popularity_bucket) if np.isfinite(e.high - e.low)]
        if not segs:
            return 0.0
        w = np.array([1.0 / max(e.high - e.low, 1e-6) ** 2 for e in segs])
        return float(np.dot(w, [e.estimate for e in segs]) / w.sum())

    def item_priors(self, catalog: Catalog) -> dict[str, float]:
        """``item_prior`` of every catalog item, divided by the largest magnitude (so in [-1, 1])."""
        raw = {it.item_id: self.item_prior(it.genres, self.bucket_of(it.item_id)) for it in catalog.items}
        top = max((abs(v) for v in raw.values()), default=0.0)
        return {k: v / top for k, v in raw.items()} if top > 0 else dict.fromkeys(raw, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.meta, "effects": [e.to_dict() for e in self.all()],
                "overall": self.overall.to_dict() if self.overall else None, "skipped": self.skipped,
                "buckets": {"head_min": self.buckets.head_min, "torso_min": self.buckets.torso_min,
                            "counts": dict(sorted(self.buckets.counts.items()))}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SegmentEffects:
        if d.get("format") != FORMAT:
            raise DataError(f"segment effects have format {d.get('format')!r}, expected {FORMAT}; "
                            "recompute with `whyrec causal segments`")
        b = d["buckets"]
        meta = {k: v for k, v in d.items() if k not in ("format", "effects", "overall", "skipped", "buckets")}
        return cls([SegmentEffect.from_dict(e) for e in d["effects"]],
                   PopularityBuckets(int(b["head_min"]), int(b["torso_min"]), {str(k): int(v) for k, v in b["counts"].items()}),
                   overall=SegmentEffect.from_dict(d["overall"]) if d.get("overall") else None,
                   skipped=d.get("skipped") or (), meta=meta)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> SegmentEffects:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"no segment effects at {path}; run `whyrec causal segments`")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path} is not a readable segment-effects file ({exc}); rerun `whyrec causal segments`") from exc


def training_counts(df: Any, split: str = "train") -> dict[str, int]:
    """Dialogues of ``split`` mentioning each film (every mention row counts, answered or not)."""
    rows = df[df["split"] == split] if "split" in df.columns else df
    if "split" in df.columns and rows.empty:
        raise DataError(f"the mention table has no {split!r} rows to count popularity from")
    return {str(k): int(v) for k, v in rows.groupby("movie_id")["conversation_id"].nunique().items()}


def segment_masks(df: Any, catalog: Catalog, buckets: PopularityBuckets,
                  genres: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """``genre:<g>`` (every catalog genre of the rows' films, or ``genres``) and ``popularity:<bucket>`` masks."""
    by_id = catalog.by_id
    row_genres = [{g.strip().lower() for g in by_id[m].genres} if m in by_id else set() for m in df["movie_id"]]
    wanted = sorted({g for gs in row_genres for g in gs}) if genres is None else [g.lower() for g in genres]
    masks = {f"genre:{g}": np.array([g in gs for gs in row_genres], dtype=bool) for g in wanted}
    bucket = np.array([buckets.bucket_of(m) for m in df["movie_id"]])
    masks.update({f"popularity:{b}": bucket == b for b in BUCKETS})
    return masks


def label_of(segment: str) -> str:
    kind, _, value = segment.partition(":")
    if kind == "genre":
        return genre_label(value)
    if kind == "popularity":
        return BUCKET_LABELS.get(value, f"{value} films")
    return "all films" if segment == "all" else segment


def resolve_adjustment(table_path: Path, cache_dir: Path | None, treatment: str, outcome: str,
                       seed: int) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The largest adjustment set the study's learned graph allows for treatment -> outcome."""
    from tools.studies.causal_study import CausalStudy

    graph = CausalStudy(table_path, cache_dir, seed=seed).graph()
    ident = identify(graph, treatment, outcome)
    if not ident.sets:
        raise InputError(f"the learned graph does not identify {treatment} -> {outcome}: {ident.explanation}")
    return max(ident.sets, key=len), {"identification": ident.status, "graph_method": graph.method,
                                      "graph_alpha": graph.params.get("alpha")}


def compute_segment_effects(
    table: Any = None,
    catalog: Catalog | None = None,
    *,
    adjustment: Sequence[str] | None = None,
    cache_dir: Path | None = None,
    treatment: str = "suggested",
    outcome: str = "liked",
    splits: Sequence[str] | None = None,
    genres: Sequence[str] | None = None,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
    min_rows: int = MIN_SEGMENT_ROWS,
) -> SegmentEffects:
    """Estimate every segment's effect. ``table``: a DataFrame, a path, or None (the shipped ReDial table).

    ``adjustment`` None reads the set off the study's learned graph (cached under ``cache_dir``);
    ``splits`` keeps only rows of those splits (e.g. ``("train",)`` so a benchmark on the
    validation dialogues does not see them); popularity buckets always come from ``train`` rows.
    """
    from tools.studies.causal_study import DEMO_TABLE
    from tools.studies.redial_effect import read_table

    table_path = Path(table) if isinstance(table, str | Path) else (DEMO_TABLE if table is None else None)
    df = read_table(table_path) if table_path is not None else table
    catalog = catalog or load_catalog()
    meta: dict[str, Any] = {"treatment": treatment, "outcome": outcome, "level": level, "n_boot": n_boot,
                            "seed": seed, "min_rows": min_rows, "table": str(table_path) if table_path else "(in memory)",
                            "splits": list(splits) if splits else "all", "catalog": catalog.version}
    if adjustment is None:
        if table_path is None:
            raise InputError("pass adjustment=... for an in-memory table (there is no file to learn a graph from)")
        adjustment, graph_meta = resolve_adjustment(table_path, cache_dir, treatment, outcome, seed)
        meta.update(graph_meta)
    else:
        meta.update({"identification": "user", "graph_method": ""})
    adjustment = tuple(adjustment)
    buckets = PopularityBuckets.from_counts(training_counts(df))
    use = df[df["split"].isin(list(splits))] if splits else df
    use = use.dropna(subset=[treatment, outcome, *adjustment]).reset_index(drop=True)
    meta.update({"rows_total": int(len(df)), "rows_used": int(len(use)), "adjustment": list(adjustment),
                 "outcome_mean": float(use[outcome].mean()) if len(use) else float("nan"),
                 "treated_share": float(use[treatment].mean()) if len(use) else float("nan")})
    method = f"{meta['graph_method']}+regression" if meta.get("graph_method") else "regression"
    clusters = use["conversation_id"].astype(str).to_numpy() if "conversation_id" in use.columns else None
    try:
        analysis = estimate_segments(use, segment_masks(use, catalog, buckets, genres), treatment, outcome,
                                     adjustment, clusters=clusters, n_boot=n_boot, level=level, seed=seed,
                                     min_rows=min_rows)
        overall = estimate_segment(use, treatment, outcome, adjustment, clusters=clusters, name="all",
                                   n_boot=n_boot, level=level, seed=seed, min_rows=min_rows)
    except CausalInputError as exc:
        raise InputError(str(exc)) from exc
    if table_path is not None:
        meta["key"] = cache_key(table_path, catalog, adjustment=list(adjustment), treatment=treatment,
                                outcome=outcome, splits=splits, genres=genres, n_boot=n_boot, level=level, seed=seed,
                                min_rows=min_rows)
    return SegmentEffects([_effect(e, method) for e in analysis.estimates], buckets, overall=_effect(overall, method),
                          skipped=[asdict(s) for s in analysis.skipped], meta=meta)


def _effect(e: SegmentEstimate, method: str) -> SegmentEffect:
    return SegmentEffect(segment=e.segment, label=label_of(e.segment), estimate=e.estimate, low=e.low, high=e.high,
                         level=e.level, n=e.n, adjustment=e.adjustment, method=method)


def cache_key(table_path: Path, catalog: Catalog, **params: Any) -> str:
    """Changes with the table's bytes, the catalog version, the adjustment set (a new graph may change it)
    or any parameter of ``compute_segment_effects``."""
    h = hashlib.sha256(Path(table_path).read_bytes())
    h.update(json.dumps([FORMAT, catalog.version, params], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]
