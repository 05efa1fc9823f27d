"""The Chroma vector index of the catalog: client factory, incremental build, checked open.

Why incremental: every item's metadata carries the hash of the text we embedded, so a re-run
embeds only new or changed items and deletes items that left the catalog -- re-indexing the
demo catalog after editing one item costs one embedding, not 7,000.

Why checked: the collection's metadata records the embedding model and catalog version it was
built from and whether the build finished. Opening an index that does not match the running
catalog raises ``IndexMismatchError`` (stale vectors would silently return wrong items),
a missing or half-built one ``ModelNotReadyError``, and a corrupted store ``DataError`` -- each
naming the ``whyrec index build`` command that fixes it.

Why precomputed vectors: the demo catalog ships ``item_vectors.npz`` (plot embeddings made by
the catalog builder with the same model, see ``tools.retrieval.item_vectors``); an item whose row there
was built for its current content is inserted with that vector, any other item (imported CSV
catalogs, edited items) is embedded from ``Item.content_text()``. The stored document text
(``index_document``) says what the film is about, not mostly its title.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.catalog.catalog import Catalog, Item
from tools.errors import DataError, IndexMismatchError, InputError, ModelNotReadyError

log = logging.getLogger(__name__)

META_MODEL = "whyrec_embedding_model"
META_VERSION = "whyrec_catalog_version"
META_STATE = "whyrec_state"
META_BUILT_AT = "whyrec_built_at"
REBUILD_HINT = "run `whyrec index build --rebuild`"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


def check_collection_name(name: str) -> str:
    """Chroma's naming rule, checked up front so the error says how to fix it."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InputError(
            f"collection name {name!r} is invalid: use 3-512 characters from letters, digits, '.', '_', '-', "
            "starting and ending with a letter or digit (e.g. whyrec_items)"
        )
    return name


@dataclass(frozen=True)
class IndexReport:
    """What one ``build_index`` run did."""

    collection: str
    catalog_version: str
    embedding_model: str
    total: int
    embedded: int
    deleted: int
    unchanged: int
    rebuilt: bool
    seconds: float

    @property
    def items_per_s(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "items_per_s": round(self.items_per_s, 1)}


def open_chroma_client(
    mode: str = "embedded", path: Path | str | None = None, host: str = "127.0.0.1", port: int = 8001
) -> Any:
    """A Chroma client: ``PersistentClient(path)`` (embedded) or ``HttpClient(host, port)`` (server)."""
    import chromadb

    settings = chromadb.Settings(anonymized_telemetry=False)
    if mode == "embedded":
        if path is None:
            raise InputError("embedded Chroma needs a path, e.g. var/chroma (settings.chroma_path)")
        p = Path(path)
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"cannot create the index directory {p} ({exc}); choose a writable --data-dir") from exc
        try:
            return chromadb.PersistentClient(path=str(p), settings=settings)
        except Exception as exc:  # chroma raises assorted Rust/sqlite errors for a damaged store
            _forget_cached_system(p)
            raise DataError(
                f"the vector index at {p} cannot be opened ({type(exc).__name__}: {exc}); it looks corrupted: "
                f"{REBUILD_HINT} (it moves the damaged directory aside)"
            ) from exc
    if mode == "server":
        try:
            client = chromadb.HttpClient(host=host, port=int(port), settings=settings)
            client.heartbeat()
            return client
        except Exception as exc:
            raise DataError(
                f"the Chroma server at {host}:{port} is unreachable ({type(exc).__name__}); start it with "
                f"`.venv/bin/chroma run --path var/chroma --host {host} --port {port}` or set chroma_mode=embedded"
            ) from exc
    raise InputError(f"unknown Chroma mode {mode!r}; use 'embedded' or 'server'")


def _forget_cached_system(path: Path) -> None:
    """Chroma caches one client system per persist directory per process; drop ours so that a
    fresh ``PersistentClient`` on the same path really reopens the (new) files."""
    from chromadb.api.shared_system_client import SharedSystemClient

    for key in (str(path), str(Path(path).resolve())):
        system = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # noqa: BLE001 - a broken system may fail to stop; it is discarded anyway
                log.debug("could not stop the cached Chroma system for %s", key, exc_info=True)


def move_aside_corrupt(path: Path | str) -> Path:
    """Rename a damaged embedded index directory so a rebuild can start clean; returns the new name."""
    p = Path(path)
    _forget_cached_system(p)
    target = p.with_name(f"{p.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    shutil.move(str(p), str(target))
    log.warning("moved the damaged index %s to %s", p, target)
    return target


def _get_collection_or_none(client: Any, name: str, embedder: Any) -> Any:
    from chromadb.errors import NotFoundError as ChromaNotFound

    check_collection_name(name)
    try:
        return client.get_collection(name=name, embedding_function=embedder)
    except ChromaNotFound:
        return None
    except ValueError as exc:
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return None
        raise DataError(f"collection {name!r} cannot be opened ({exc}); {REBUILD_HINT}") from exc
    except Exception as exc:
        raise DataError(
            f"collection {name!r} cannot be read ({type(exc).__name__}: {exc}); the index looks corrupted: {REBUILD_HINT}"
        ) from exc


def open_collection(client: Any, name: str, embedder: Any, catalog: Catalog) -> Any:
    """The collection for ``catalog``, verified complete and built by the same model and catalog version."""
    col = _get_collection_or_none(client, name, embedder)
    if col is None:
        raise ModelNotReadyError(f"there is no vector index {name!r} yet; run `whyrec index build`")
    meta = col.metadata or {}
    if meta.get(META_STATE) != "complete":
        raise ModelNotReadyError(
            f"the vector index {name!r} was not finished (an interrupted build?); run `whyrec index build`"
        )
    if meta.get(META_MODEL) != embedder.model_name:
        raise IndexMismatchError(
            f"the vector index {name!r} was built with embedding model {meta.get(META_MODEL)!r} but the "
            f"current model is {embedder.model_name!r}; {REBUILD_HINT}"
        )
    if meta.get(META_VERSION) != catalog.version:
        raise IndexMismatchError(
            f"the vector index {name!r} was built for catalog version {meta.get(META_VERSION)!r} but the "
            f"active catalog is {catalog.version!r}; {REBUILD_HINT} (or `whyrec index build` to update it)"
        )
    return col


def _item_metadata(item: Item, vector_source: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": item.title,
        "popularity": float(item.popularity),
        "content_hash": item.content_hash(),
        # where the vector came from (the shipped file's fingerprint, "given", or "" when embedded here): a
        # rebuilt vectors file changes vectors of items whose content did not change
        "vector_source": vector_source,
    }
    if item.year:
        meta["year"] = int(item.year)
    return meta


def index_document(item: Item) -> str:
    """The document stored beside an item's vector: what the film is about, then who made it."""
    parts = [item.display_title]
    if item.genres:
        parts.append("A " + ", ".join(item.genres) + " film")
    if item.keywords:
        parts.append("About: " + ", ".join(item.keywords))
    if item.tags:
        parts.append("Viewers called it " + ", ".join(item.tags))
    if item.directors:
        parts.append("Directed by " + ", ".join(item.directors))
    if item.cast:
        parts.append("Starring " + ", ".join(item.cast[:4]))
    if item.description:
        parts.append(item.description)
    return ". ".join(parts)


def _existing_hashes(col: Any, page: int = 5000) -> dict[str, tuple[str, str]]:
    """item id -> (content hash, vector source) of what the index holds."""
    out: dict[str, tuple[str, str]] = {}
    offset = 0
    while True:
        got = col.get(include=["metadatas"], limit=page, offset=offset)
        ids = got["ids"]
        for i, m in zip(ids, got["metadatas"] or [{}] * len(ids), strict=True):
            out[i] = ((m or {}).get("content_hash", ""), (m or {}).get("vector_source", ""))
        if len(ids) < page:
            return out
        offset += page


def _chunks(seq: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def build_index(
    catalog: Catalog,
    client: Any,
    collection_name: str,
    embedder: Any,
    rebuild: bool = False,
    batch_size: int = 256,
    progress: bool = True,
    vectors: np.ndarray | None = None,
) -> IndexReport:
    """Create or update the index of ``catalog``; only new/changed items are embedded.

    ``rebuild`` drops the collection first (needed after an embedding-model change).
    ``vectors`` (rows aligned with ``catalog.items``, unit-normalised) skips the embedder --
    benchmarks use it to insert precomputed vectors. Without it, the catalog's shipped
    ``item_vectors.npz`` is used for every item it still matches (``precomputed_rows``).
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1 (got {batch_size})")
    if vectors is not None and vectors.shape != (len(catalog.items), embedder.dim):
        raise InputError(f"vectors must have shape ({len(catalog.items)}, {embedder.dim}), got {vectors.shape}")
    from tqdm import tqdm

    from tools.retrieval.item_vectors import precomputed_rows, read_fingerprint

    usable = np.ones(len(catalog.items), dtype=bool) if vectors is not None else None
    source = "given" if vectors is not None else ""
    if vectors is None:
        shipped = precomputed_rows(catalog, embedder.dim)
        if shipped is not None:
            vectors, usable = shipped
            source = read_fingerprint(catalog.source_dir) or "shipped"
    t0 = time.perf_counter()
    if rebuild and _get_collection_or_none(client, collection_name, embedder) is not None:
        client.delete_collection(collection_name)
    col = _get_collection_or_none(client, collection_name, embedder)
    if col is not None and (col.metadata or {}).get(META_MODEL) not in (None, embedder.model_name):
        raise IndexMismatchError(
            f"the vector index {collection_name!r} holds vectors from {col.metadata.get(META_MODEL)!r}, "
            f"not {embedder.model_name!r}; {REBUILD_HINT}"
        )
    base_meta = {META_MODEL: embedder.model_name, META_VERSION: catalog.version}
    if col is None:
        col = client.create_collection(
            name=collection_name,
            embedding_function=embedder,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={**base_meta, META_STATE: "building"},
        )
    else:
        col.modify(metadata={**(col.metadata or {}), **base_meta, META_STATE: "building"})

    existing = _existing_hashes(col)
    row_of = {it.item_id: row for row, it in enumerate(catalog.items)}
    def vector_source(row: int) -> str:
        return source if usable is not None and usable[row] else ""

    changed = [it for it in catalog.items
               if existing.get(it.item_id) != (it.content_hash(), vector_source(row_of[it.item_id]))]
    stale = [i for i in existing if i not in row_of]
    max_batch = min(batch_size, int(client.get_max_batch_size()))
    for chunk in _chunks(stale, max_batch):
        col.delete(ids=list(chunk))
    with tqdm(total=len(changed), desc="embedding items", unit="item", disable=not progress, leave=False) as bar:
        for chunk in _chunks(changed, max_batch):
            rows = [row_of[it.item_id] for it in chunk]
            if vectors is not None and usable is not None:
                embs = np.array(vectors[rows], dtype=np.float32)
                fresh = [n for n, r in enumerate(rows) if not usable[r]]
                if fresh:
                    embs[fresh] = embedder.embed_documents([chunk[n].content_text() for n in fresh])
            else:
                embs = embedder.embed_documents([it.content_text() for it in chunk])
            col.upsert(
                ids=[it.item_id for it in chunk],
                embeddings=embs,
                metadatas=[_item_metadata(it, vector_source(r)) for it, r in zip(chunk, rows, strict=True)],
                documents=[index_document(it) for it in chunk],
            )
            bar.update(len(chunk))
    col.modify(
        metadata={
            **(col.metadata or {}),
            **base_meta,
            META_STATE: "complete",
            META_BUILT_AT: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    seconds = time.perf_counter() - t0
    return IndexReport(
        collection=collection_name,
        catalog_version=catalog.version,
        embedding_model=embedder.model_name,
        total=len(catalog.items),
        embedded=len(changed),
        deleted=len(stale),
        unchanged=len(catalog.items) - len(changed),
        rebuilt=rebuild,
        seconds=round(seconds, 3),
    )


def index_status(client: Any, collection_name: str, embedder: Any, catalog: Catalog | None = None) -> dict[str, Any]:
    """A JSON-able description of the index and whether it is usable with ``catalog``."""
    col = _get_collection_or_none(client, collection_name, embedder)
    if col is None:
        return {"collection": collection_name, "exists": False, "ready": False,
                "problem": "no index yet; run `whyrec index build`"}
    meta = dict(col.metadata or {})
    status: dict[str, Any] = {
        "collection": collection_name,
        "exists": True,
        "count": col.count(),
        "embedding_model": meta.get(META_MODEL),
        "catalog_version": meta.get(META_VERSION),
        "state": meta.get(META_STATE),
        "built_at": meta.get(META_BUILT_AT),
    }
    if catalog is not None:
        status["active_catalog_version"] = catalog.version
        try:
            open_collection(client, collection_name, embedder, catalog)
            status.update(ready=True, problem=None)
        except DataError as exc:
            status.update(ready=False, problem=str(exc))
    return status
