"""``whyrec data prepare`` and ``whyrec catalog stats``: choose, import and inspect the catalog.

Where the active catalog lives (see ``tools.catalog.active``): the shipped demo catalog
stays inside the package and is selected by a small pointer file,
``<data_dir>/active_catalog.json``; an import (or ``--rebuild-demo``) is written atomically
to ``<data_dir>/catalog/`` and the pointer is switched only after it succeeded, so a bad
file changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

data_app = typer.Typer(
    help="Prepare the catalog: `whyrec data prepare` (shipped demo) or `whyrec data prepare --source items.csv`.",
    no_args_is_help=True,
)
catalog_app = typer.Typer(help="Inspect the active catalog: `whyrec catalog stats`.", no_args_is_help=True)


def _catalog_summary(directory: Path) -> dict[str, Any]:
    from tools.catalog.catalog import load_catalog

    catalog = load_catalog(directory)
    stats = catalog.stats()
    genres = {g for it in catalog.items for g in it.genres}
    tags = {t for it in catalog.items for t in it.tags}
    stats.update({
        "path": str(directory),
        "distinct_genres": len(genres),
        "distinct_tags": len(tags),
        "tag_assignments": sum(len(it.tags) for it in catalog.items),
        "licence": catalog.meta.get("licence", ""),
    })
    return stats


def _human(summary: dict[str, Any]) -> str:
    s = summary["catalog"] if "catalog" in summary else summary
    labels = ", ".join(f"{k} {v}" for k, v in sorted(s["interaction_labels"].items())) or "none"
    lines = []
    if "active" in summary:
        lines.append(f"active catalog: {summary['active']['source']} ({s['path']})")
    elif "source" in s:
        lines.append(f"catalog source: {s['source']} ({s['path']})")
    lines += [
        f"catalog {s['name']!r} version {s['version']}" + (f", licence {s['licence']}" if s.get("licence") else ""),
        f"  items: {s['items']}  users: {s['users']}  interactions: {s['interactions']} ({labels})",
        f"  genres: {s['items_with_genres']} items ({s['genre_coverage']:.1%}), {s['distinct_genres']} distinct",
        f"  tags: {s['items_with_tags']} items, {s['distinct_tags']} distinct, {s['tag_assignments']} in all",
    ]
    return "\n".join(lines)


@data_app.command("prepare")
@friendly_errors
def prepare(
    ctx: typer.Context,
    source: str = typer.Option(
        None, "--source", help="'demo' (default) or the path of your items file (.csv or .jsonl)."
    ),
    interactions: Path = typer.Option(
        None, "--interactions", help="Your interactions file (.csv or .jsonl); needs --source PATH."
    ),
    name: str = typer.Option("imported", "--name", help="Name for an imported catalog."),
    rebuild_demo: bool = typer.Option(
        False, "--rebuild-demo", help="Rebuild the demo catalog from the shared data into <data_dir>/catalog."
    ),
    shared: Path = typer.Option(Path("../shared/data"), "--shared", help="Shared data folder for --rebuild-demo."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Choose the catalog WhyRec runs on, importing your own files if given.

    Examples:

      whyrec data prepare                        # use the shipped demo catalog (6,924 movies)

      whyrec data prepare --source items.csv --interactions ratings.csv

      whyrec data prepare --source items.jsonl --json

      whyrec data prepare --rebuild-demo --shared ../shared/data

    Items need id (or item_id) and title; optional year, description, tags and genres (CSV: "scary|funny"), popularity; other columns become attributes.

    Interactions need user (user_id), item (item_id) and label (liked/disliked/seen/...) or rating; optional timestamp and context.

    Every row is checked first; if any is bad, the errors are listed with line numbers and nothing is changed. The demo choice is recorded in <data_dir>/active_catalog.json; imports go to <data_dir>/catalog/.
    """
    from tools.catalog.active import imported_catalog_dir, set_active
    from tools.catalog.catalog import DEMO_CATALOG_DIR

    settings = get_settings(ctx)
    data_dir = Path(settings.data_dir)
    result: dict[str, Any] = {}
    if rebuild_demo:
        if source not in (None, "demo") or interactions is not None:
            raise typer.BadParameter("--rebuild-demo cannot be combined with --source PATH or --interactions")
        from tools.catalog.demo_builder import build_demo_catalog

        target = imported_catalog_dir(data_dir)
        result["build"] = build_demo_catalog(shared, target)
        result["active"] = set_active(data_dir, "demo-rebuilt", target)
        result["catalog"] = _catalog_summary(target)
    elif source in (None, "demo"):
        if interactions is not None:
            raise typer.BadParameter("--interactions needs --source PATH_TO_ITEMS (your own items file)")
        summary = _catalog_summary(DEMO_CATALOG_DIR)  # checks that the shipped catalog loads
        result["active"] = set_active(data_dir, "demo", None, version=summary["version"])
        result["catalog"] = summary
    else:
        from tools.catalog.importers import import_catalog

        target = imported_catalog_dir(data_dir)
        report = import_catalog(Path(source), target, interactions, name=name)
        result["import"] = report.to_dict()
        result["active"] = set_active(data_dir, "imported", target, version=report.version)
        result["catalog"] = _catalog_summary(target)
    emit(result, as_json, _human)


@catalog_app.command("stats")
@friendly_errors
def stats(
    ctx: typer.Context,
    catalog: Path = typer.Option(None, "--catalog", help="A catalog folder to inspect instead of the active one."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Counts for the active catalog: items, users, interactions by label, genre coverage, tags, version.

    Examples:

      whyrec catalog stats

      whyrec catalog stats --json | jq .items

      whyrec catalog stats --catalog var/catalog
    """
    from tools.catalog.active import read_active, resolve_catalog_dir

    settings = get_settings(ctx, catalog_path=catalog)
    directory = resolve_catalog_dir(settings.data_dir, settings.catalog_path)
    summary = _catalog_summary(directory)
    pointer = read_active(settings.data_dir) if settings.catalog_path is None else None
    summary["source"] = (pointer or {}).get("source", "explicit" if settings.catalog_path else "default")
    emit(summary, as_json, _human)
