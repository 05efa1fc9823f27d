"""``whyrec index build|status`` and ``whyrec search``: the vector index from the command line.

Heavy imports (torch, chromadb, sentence-transformers) happen inside the commands so that
``whyrec --help`` stays fast. ``agent.runtime.open_retriever_from_settings`` is the one place the
settings are turned into a retriever; the chat/UI entry points call it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

index_app = typer.Typer(
    help=(
        "Build and inspect the Chroma vector index of the catalog.\n\n"
        "Examples:\n\n"
        "  whyrec index build            # embed new/changed items only\n\n"
        "  whyrec index build --rebuild  # start over (after a model change or corruption)\n\n"
        "  whyrec index status --json"
    ),
    no_args_is_help=True,
)


@index_app.command("build")
@friendly_errors
def index_build(
    ctx: typer.Context,
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and embed every item again."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Embed the active catalog into Chroma; re-runs only embed new or changed items.

    Example: `whyrec index build` (a few minutes on CPU for the 6,924-item demo catalog), then
    `whyrec search "scary movie like A Nightmare on Elm Street"`.
    """
    from tools.errors import DataError
    from tools.retrieval.vector_index import build_index, move_aside_corrupt

    settings = get_settings(ctx)
    from agent.runtime import chroma_client, load_active_catalog, make_embedder

    catalog = load_active_catalog(settings)
    embedder = make_embedder(settings)
    try:
        client = chroma_client(settings)
    except DataError:
        if not (rebuild and settings.chroma_mode == "embedded" and Path(settings.chroma_path).exists()):
            raise
        move_aside_corrupt(settings.chroma_path)
        client = chroma_client(settings)
    report = build_index(catalog, client, settings.chroma_collection, embedder, rebuild=rebuild,
                         batch_size=settings.embed_batch_size, progress=True)
    emit(report.to_dict(), as_json, lambda r: (
        f"indexed {r['total']} items of {r['catalog_version']} into {r['collection']!r}: "
        f"{r['embedded']} embedded ({r['items_per_s']} items/s), {r['unchanged']} unchanged, "
        f"{r['deleted']} deleted in {r['seconds']} s"))


@index_app.command("status")
@friendly_errors
def index_status_command(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show whether the index exists and matches the active catalog. Example: `whyrec index status --json`."""
    from tools.retrieval.vector_index import index_status

    settings = get_settings(ctx)
    from agent.runtime import chroma_client, load_active_catalog, make_embedder

    catalog = load_active_catalog(settings)
    status = index_status(chroma_client(settings), settings.chroma_collection, make_embedder(settings), catalog)
    status["mode"] = settings.chroma_mode
    status["location"] = (str(settings.chroma_path) if settings.chroma_mode == "embedded"
                          else f"{settings.chroma_host}:{settings.chroma_port}")

    def human(s: dict[str, Any]) -> str:
        if not s["exists"]:
            return f"no index {s['collection']!r} at {s['location']}: {s['problem']}"
        state = "ready" if s.get("ready") else f"NOT ready: {s.get('problem')}"
        return (f"index {s['collection']!r} at {s['location']}: {s['count']} items, model {s['embedding_model']}, "
                f"catalog {s['catalog_version']}, built {s['built_at']} -- {state}")

    emit(status, as_json, human)


@friendly_errors
def search_command(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="What to look for, e.g. \"scary movie like Halloween\"."),
    k: int = typer.Option(10, "--k", "-k", min=1, max=500, help="Number of results."),
    year_min: int = typer.Option(None, "--year-min", help="Earliest release year (inclusive)."),
    year_max: int = typer.Option(None, "--year-max", help="Latest release year (inclusive)."),
    tag: list[str] = typer.Option(None, "--tag", help="Required tag (repeatable; all must match)."),
    exclude_tag: list[str] = typer.Option(None, "--exclude-tag", help="Excluded tag (repeatable)."),
    genre: list[str] = typer.Option(None, "--genre", help="Genre (repeatable; any may match)."),
    exclude_id: list[str] = typer.Option(None, "--exclude-id", help="Item id to leave out (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Hybrid semantic + title/tag search over the active catalog.

    Examples:

      whyrec search "Toy Story"

      whyrec search "scary movie like A Nightmare on Elm Street" --year-min 1980 --k 5 --json

      whyrec search "feel good comedy" --genre Comedy --exclude-tag raunchy
    """
    from tools.retrieval.retriever import SearchFilters

    settings = get_settings(ctx)
    filters = SearchFilters(year_min=year_min, year_max=year_max, tags_include=tuple(tag or ()),
                            tags_exclude=tuple(exclude_tag or ()), genres_include=tuple(genre or ()))
    from agent.runtime import load_active_catalog, open_retriever_from_settings

    retriever = open_retriever_from_settings(settings, load_active_catalog(settings))
    hits = retriever.search(query, filters, exclude_ids=tuple(exclude_id or ()), k=k)
    rows = []
    for h in hits:
        item = retriever.catalog.get(h.item_id)
        rows.append({**h.to_dict(), "genres": list(item.genres), "tags": list(item.tags)})

    def human(rs: list[dict[str, Any]]) -> str:
        if not rs:
            return "no matches (loosen the filters?)"
        lines = []
        for i, r in enumerate(rs, 1):
            year = f" ({r['year']})" if r["year"] else ""
            genres = ", ".join(r["genres"][:3])
            lines.append(f"{i:>2}. {r['title']}{year}  [id {r['item_id']}]  {genres}  "
                         f"matched: {', '.join(r['matched_fields'])}")
        return "\n".join(lines)

    emit({"query": query, "filters": {k_: v for k_, v in vars(filters).items() if k_ != "extra"}, "hits": rows},
         as_json, lambda d: human(d["hits"]))
