"""``whyrec causal segments``: the effect of being suggested on being liked, per genre and popularity bucket.

Why its own module: ``ui/cli_causal.py`` holds discovery and the population effect; this
command adds the per-segment study that decides which cards may carry a causal claim. It
attaches itself to the same ``causal`` sub-app, so ``ui/cli.py`` registers it with one
``_SUBAPPS`` entry naming this module's ``causal_app`` (the very object ``ui.cli_causal`` built).
The result is saved to ``<data_dir>/causal/segment_effects.json``, where the explanation code
and the UI's Causal tab read it; a rerun with the same table, catalog and parameters reuses it.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import typer

from ui.cli_causal import DATASET_OPTION, causal_app
from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

log = logging.getLogger("whyrec.causal")


def _fmt(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:+.4f}"


def segments_text(d: dict[str, Any]) -> str:
    """The saved segment-effects dict as a fixed-width table (segments excluding zero are starred)."""
    level = float(d.get("level", 0.95))
    lines = [f"effect of {d['treatment']} on {d['outcome']} per segment ({level:.0%} cluster-bootstrap interval, "
             f"{d['n_boot']} resamples; adjustment set {{{', '.join(d['adjustment'])}}}; {d.get('method', '')})",
             f"{'segment':<28} {'label':<26} {'n':>6} {'estimate':>9}  interval"]
    rows = ([d["overall"]] if d.get("overall") else []) + sorted(d["effects"], key=lambda e: e["segment"])
    for e in rows:
        star = "  * excludes 0" if e["excludes_zero"] else ""
        lines.append(f"{e['segment']:<28} {e['label']:<26} {e['n']:>6} {_fmt(e['estimate']):>9}  "
                     f"[{_fmt(e['low'])}, {_fmt(e['high'])}]{star}")
    n_ex = sum(1 for e in d["effects"] if e["excludes_zero"])
    lines.append(f"{n_ex} of {len(d['effects'])} segments have an interval that excludes zero "
                 f"(about {len(d['effects']) * (1 - level):.1f} would by chance alone at this level)")
    for s in d.get("skipped", []):
        lines.append(f"skipped {s['segment']} ({s['n']} rows): {s['reason']}")
    lines.append(f"saved to {d['path']}" + (" (cached)" if d.get("cached") else ""))
    return "\n".join(lines)


@causal_app.command("segments")
@friendly_errors
def segments_command(
    ctx: typer.Context,
    dataset: str = DATASET_OPTION,
    boot: int = typer.Option(500, "--boot", min=20, help="Bootstrap resamples (whole dialogues) per segment."),
    level: float = typer.Option(0.95, "--level", help="Interval level, e.g. 0.95."),
    min_rows: int = typer.Option(100, "--min-rows", min=10, help="Smallest segment estimated (answered mentions)."),
    seed: int = typer.Option(None, "--seed", help="Bootstrap seed (default: settings.seed)."),
    force: bool = typer.Option(False, "--force", help="Recompute even if a result with the same inputs is saved."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Estimate the effect of being suggested on being liked for each genre and popularity bucket.

    Example: `whyrec causal segments --boot 500 --json`. Adjusts for the set read off the learned
    graph (run `whyrec causal discover` first, or it is learned now), resamples whole dialogues
    for the intervals, and saves <data_dir>/causal/segment_effects.json. A recommendation card
    names a segment's effect only when that segment's interval excludes zero.
    """
    from tools.catalog.catalog import load_catalog
    from tools.errors import DataError
    from tools.studies.causal_study import resolve_table_path
    from tools.studies.segment_effects import (
        SegmentEffects,
        cache_key,
        compute_segment_effects,
        default_path,
        resolve_adjustment,
    )

    settings = get_settings(ctx)
    seed = settings.seed if seed is None else seed
    cache_dir = Path(settings.data_dir) / "causal"
    path = default_path(settings.data_dir)
    table = resolve_table_path(dataset)
    catalog = load_catalog()
    adjustment, _ = resolve_adjustment(table, cache_dir, "suggested", "liked", seed)  # the graph is cached
    key = cache_key(table, catalog, adjustment=list(adjustment), treatment="suggested", outcome="liked", splits=None,
                    genres=None, n_boot=boot, level=level, seed=seed, min_rows=min_rows)
    effects = None
    if path.is_file() and not force:
        try:
            saved = SegmentEffects.load(path)
            effects = saved if saved.meta.get("key") == key else None
        except DataError as exc:
            log.warning("recomputing: %s", exc)
    cached = effects is not None
    if effects is None:
        effects = compute_segment_effects(table, catalog, cache_dir=cache_dir, n_boot=boot, level=level, seed=seed,
                                          min_rows=min_rows)
        effects.save(path)
    data = effects.to_dict()
    data.update({"path": str(path), "cached": cached,
                 "method": effects.overall.method if effects.overall else ""})
    emit(data, as_json, segments_text)


__all__ = ["causal_app", "segments_command", "segments_text"]
