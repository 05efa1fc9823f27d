"""Semantic + attribute search over the catalog: the ``Retriever`` seam and its Chroma implementation.

Why hybrid: the vector side (all-MiniLM-L6-v2 in Chroma) understands "something scary with
a haunted house"; the lexical side (``tools.resolve.lexical``) nails names. The two rankings are fused
with reciprocal-rank fusion (RRF, k=60), and a title found verbatim in the query gets a bonus
so "Toy Story" is always first for "Toy Story".

Callers (agent tools, evals, the RL simulator) see only our dataclasses -- ``ItemHit`` and
``SearchFilters`` -- never Chroma's result dicts. Typical use::

    from tools.retrieval.retriever import open_retriever, SearchFilters
    r = open_retriever(catalog, chroma_path="var/chroma")          # or client=HttpClient(...)
    hits = r.search("scary clown", SearchFilters(year_min=1980), exclude_ids={"1234"}, k=10)
    more = r.similar(hits[0].item_id, k=5)

Speed: query embeddings are LRU-cached, the lexical index and the filter arrays are numpy.
A filter keeping < 50% of the catalog is searched exactly over an in-memory float32 copy of the
item vectors (``tools.retrieval.vector_matrix``; read from Chroma on first use, 154 MB at 100k items);
broader filters over-fetch HNSW neighbours and mask them. ``filter_mode="mask"`` always uses the
HNSW over-fetch (or Chroma's exact ``ids=`` allow-list when a filter keeps <= 2000 items), and
``filter_mode="where"`` pushes year/popularity into Chroma's metadata ``where``, which measured
~1 s per query at 100k items. See ``evals/bench_retrieval.py`` and ``evals/results/retrieval.md``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.catalog.catalog import Catalog
from tools.errors import InputError, NotFoundError
from tools.resolve.lexical import LexicalIndex
from tools.retrieval.filters import POPULARITY_BANDS, CatalogFacets, SearchFilters
from tools.retrieval.vector_index import (
    IndexReport,
    build_index,
    index_status,
    open_chroma_client,
    open_collection,
)
from tools.retrieval.vector_matrix import VectorMatrix

__all__ = [
    "POPULARITY_BANDS",
    "ChromaRetriever",
    "IndexReport",
    "ItemHit",
    "Retriever",
    "SearchFilters",
    "build_index",
    "index_status",
    "open_chroma_client",
    "open_retriever",
]

RRF_K = 60
EXACT_TITLE_BONUS = 1.0
PHRASE_TITLE_BONUS = 0.5
MAX_K = 500
MAX_QUERY_CHARS = 2000
#: allow-lists up to this size are searched exactly (``ids=``) instead of over-fetching
_SELECTIVE_ROWS = 2000
#: never ask Chroma for more neighbours than this in one over-fetch round
_MAX_FETCH = 20_000
#: in ``filter_mode="auto"``, filters keeping less than this fraction of the catalog are searched
#: exactly over the in-memory vector matrix; broader ones over-fetch from HNSW (a few extra rows)
_EXACT_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class ItemHit:
    """One search result. ``score`` orders a result list (fused rank score; not comparable across
    queries); ``vector_score`` is cosine similarity to the query; ``lexical_score`` is BM25 (None
    when the lexical side did not match); ``matched_fields`` names what matched: ``semantic``,
    ``title``, ``tags``, ``genres``."""

    item_id: str
    title: str
    year: int | None
    score: float
    matched_fields: tuple[str, ...]
    vector_score: float | None = None
    lexical_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "year": self.year,
            "score": round(self.score, 6),
            "matched_fields": list(self.matched_fields),
            "vector_score": None if self.vector_score is None else round(self.vector_score, 6),
            "lexical_score": None if self.lexical_score is None else round(self.lexical_score, 6),
        }


class Retriever(ABC):
    """Find catalog items for a free-text query or a seed item."""

    @abstractmethod
    def search(
        self,
        query: str,
        filters: SearchFilters | Mapping[str, Any] | None = None,
        exclude_ids: Collection[str] = (),
        k: int = 10,
    ) -> list[ItemHit]:
        """The ``k`` best items for ``query`` that satisfy ``filters`` and are not in ``exclude_ids``."""

    @abstractmethod
    def similar(
        self,
        item_id: str,
        k: int = 10,
        filters: SearchFilters | Mapping[str, Any] | None = None,
        exclude_ids: Collection[str] = (),
    ) -> list[ItemHit]:
        """"More like ``item_id``": nearest items by stored embedding (the item itself excluded)."""


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= int(k) <= MAX_K:
        raise InputError(f"k must be an integer between 1 and {MAX_K} (got {k!r})")
    return int(k)


def _as_filters(filters: SearchFilters | Mapping[str, Any] | None) -> SearchFilters:
    if filters is None:
        return SearchFilters()
    if isinstance(filters, SearchFilters):
        return filters
    return SearchFilters.from_dict(dict(filters))


class ChromaRetriever(Retriever):
    """Hybrid (vector + lexical) retriever over a verified Chroma collection of ``catalog``."""

    def __init__(self, catalog: Catalog, collection: Any, embedder: Any, hybrid: bool = True,
                 query_cache_size: int = 1024, filter_mode: str = "auto",
                 vectors: VectorMatrix | None = None) -> None:
        if filter_mode not in ("auto", "where", "mask"):
            raise InputError(f"filter_mode must be 'auto', 'where' or 'mask' (got {filter_mode!r})")
        self.filter_mode = filter_mode
        self.catalog = catalog
        self.collection = collection
        self.embedder = embedder
        self.hybrid = hybrid
        self._ids = [it.item_id for it in catalog.items]
        self._row = {iid: row for row, iid in enumerate(self._ids)}
        self.facets = CatalogFacets(catalog.items)
        self.lexical = LexicalIndex(catalog.items) if hybrid else None
        self._count = int(collection.count())
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = query_cache_size
        self._lock = threading.Lock()
        #: float32 copy of the item vectors for exact filtered search; read on first use
        #: (rows x dim x 4 bytes: 154 MB at 100k items) -- call ``load_vectors()`` to pay it up front
        #: (pass ``vectors=`` to share one matrix between retrievers over the same collection)
        self.vectors = vectors if vectors is not None else VectorMatrix(collection, self._ids)

    def load_vectors(self) -> int:
        """Read the in-memory vector matrix now (else the first filtered query does); returns its bytes."""
        return self.vectors.load().nbytes

    # -- helpers --------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        """The (cached) unit query vector."""
        with self._lock:
            vec = self._cache.get(query)
            if vec is not None:
                self._cache.move_to_end(query)
                return vec
        vec = self.embedder.embed_one(query)
        with self._lock:
            self._cache[query] = vec
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def _mask(self, filters: SearchFilters, exclude_ids: Collection[str]) -> np.ndarray:
        if isinstance(exclude_ids, str):
            raise InputError("exclude_ids must be a list of item ids, not one string")
        rows = (self._row[str(i)] for i in exclude_ids if str(i) in self._row)
        return self.facets.mask(filters, rows)

    def _vector(self, qvec: np.ndarray, depth: int, filters: SearchFilters, mask: np.ndarray) -> list[tuple[int, float]]:
        """Up to ``depth`` (row, cosine) pairs from Chroma that pass ``mask``, best first."""
        allowed = int(mask.sum())
        if allowed == 0 or self._count == 0:
            return []
        frac = allowed / max(self.facets.size, 1)
        if self.filter_mode == "auto" and frac < _EXACT_BELOW:
            return self.vectors.top(qvec, mask, depth)
        q = [qvec.tolist()]
        if allowed <= _SELECTIVE_ROWS and allowed < self._count:
            ids = [self._ids[r] for r in np.flatnonzero(mask)]
            res = self.collection.query(query_embeddings=q, ids=ids, n_results=min(depth, allowed),
                                        include=["distances"])
            return [(self._row[i], 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
                    if i in self._row]
        # Two ways to honour a broad filter: Chroma's metadata ``where`` (exact, but Chroma scans
        # the metadata of every row on each query: ~1 s at 100k items) or over-fetching unfiltered
        # neighbours and keeping those in ``mask`` (sub-linear; the fetch grows as 1/selectivity,
        # and filters keeping <= 2000 rows took the exact ``ids=`` path above). "auto" therefore
        # uses the mask; "where" is kept for comparison (evals/bench_retrieval.py measures both).
        where = self.facets.where(filters)
        use_where = where is not None and self.filter_mode == "where"
        if use_where:
            n = min(self._count, depth + min(self.facets.size - allowed, 4 * depth) + 10)
        else:
            where = None
            n = min(self._count, _MAX_FETCH, int(depth / frac * 1.2) + 10)
        while True:
            res = self.collection.query(query_embeddings=q, n_results=n, where=where, include=["distances"])
            got = list(zip(res["ids"][0], res["distances"][0], strict=True))
            kept = [(self._row[i], 1.0 - d) for i, d in got if i in self._row and mask[self._row[i]]]
            if len(kept) >= depth or len(got) < n or n >= min(self._count, _MAX_FETCH):
                return kept[:depth]
            n = min(self._count, _MAX_FETCH, n * 4)

    def _vector_scores(self, qvec: np.ndarray, item_ids: list[str]) -> dict[str, float]:
        if not item_ids:
            return {}
        if self.vectors.loaded:
            found = self.vectors.scores(qvec, [self._row[i] for i in item_ids])
            return {self._ids[r]: s for r, s in found.items()}
        got = self.collection.get(ids=item_ids, include=["embeddings"])
        embs = np.asarray(got["embeddings"], dtype=np.float32)
        return {i: float(e @ qvec) for i, e in zip(got["ids"], embs, strict=True)}

    def _hit(self, row: int, score: float, fields: tuple[str, ...], vec: float | None, lex: float | None) -> ItemHit:
        it = self.catalog.items[row]
        return ItemHit(it.item_id, it.title, it.year, float(score), fields, vec, lex)

    # -- the Retriever API -------------------------------------------------------
    def search(
        self,
        query: str,
        filters: SearchFilters | Mapping[str, Any] | None = None,
        exclude_ids: Collection[str] = (),
        k: int = 10,
    ) -> list[ItemHit]:
        if not isinstance(query, str) or not query.strip():
            raise InputError("query must be non-empty text, e.g. 'a scary movie like Halloween'")
        if len(query) > MAX_QUERY_CHARS:
            raise InputError(f"query is {len(query)} characters; shorten it to at most {MAX_QUERY_CHARS}")
        k = _check_k(k)
        flt = _as_filters(filters)
        mask = self._mask(flt, exclude_ids)
        query = " ".join(query.split())
        qvec = self.embed_query(query)
        depth = max(2 * k, 20) if self.hybrid else k
        vec = self._vector(qvec, depth, flt, mask)
        if not self.hybrid:
            return [self._hit(r, s, ("semantic",), s, None) for r, s in vec[:k]]

        lexical = self.lexical
        if lexical is None:  # pragma: no cover - hybrid=True always builds it
            raise RuntimeError("hybrid retriever without a lexical index")
        lex = lexical.top(query, depth, mask)
        fused: dict[int, float] = {}
        vec_score = dict(vec)
        lex_score = {row: bm25 for row, bm25, _ in lex}
        for rank, (row, _) in enumerate(vec):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, (row, _, coverage) in enumerate(lex):
            # weighted RRF: a lexical rank counts in proportion to how much of the query it matched
            fused[row] = fused.get(row, 0.0) + coverage / (RRF_K + rank + 1)
        for row, kind in lexical.title_matches(query).items():
            if mask[row]:
                bonus = EXACT_TITLE_BONUS if kind == "exact" else PHRASE_TITLE_BONUS
                fused[row] = fused.get(row, 0.0) + bonus
        best = sorted(fused.items(), key=lambda rs: (-rs[1], rs[0]))[:k]
        missing = [self._ids[r] for r, _ in best if r not in vec_score]
        filled = self._vector_scores(qvec, missing)
        hits = []
        for row, score in best:
            fields = (("semantic",) if row in vec_score else ()) + lexical.matched_fields(row, query)
            v = vec_score.get(row, filled.get(self._ids[row]))
            hits.append(self._hit(row, score, fields, v, lex_score.get(row)))
        return hits

    def similar(
        self,
        item_id: str,
        k: int = 10,
        filters: SearchFilters | Mapping[str, Any] | None = None,
        exclude_ids: Collection[str] = (),
    ) -> list[ItemHit]:
        k = _check_k(k)
        item_id = str(item_id)
        if item_id not in self._row:
            raise NotFoundError(f"item id {item_id!r} is not in the catalog; find ids with `whyrec search`")
        got = self.collection.get(ids=[item_id], include=["embeddings"])
        if not got["ids"]:
            raise NotFoundError(f"item {item_id!r} has no vector; run `whyrec index build` to update the index")
        seed = np.asarray(got["embeddings"][0], dtype=np.float32)
        flt = _as_filters(filters)
        mask = self._mask(flt, [*exclude_ids, item_id])
        seed_item = self.catalog.items[self._row[item_id]]
        seed_genres = {g.lower() for g in seed_item.genres}
        seed_tags = {t.lower() for t in seed_item.tags}
        hits = []
        for row, s in self._vector(seed, k, flt, mask):
            it = self.catalog.items[row]
            fields = ("semantic",)
            if seed_tags & {t.lower() for t in it.tags}:
                fields += ("tags",)
            if seed_genres & {g.lower() for g in it.genres}:
                fields += ("genres",)
            hits.append(self._hit(row, s, fields, s, None))
        return hits


def open_retriever(
    catalog: Catalog,
    *,
    client: Any = None,
    chroma_path: Path | str | None = None,
    collection_name: str = "whyrec_items",
    embedder: Any = None,
    hybrid: bool = True,
    threads: int = 1,
    filter_mode: str = "auto",
) -> ChromaRetriever:
    """Build the retriever from plain arguments (for the agent, evals, the UI).

    Give either a Chroma ``client`` (embedded or server) or ``chroma_path`` for an embedded
    store. Raises ``ModelNotReadyError``/``IndexMismatchError`` when ``whyrec index build`` is due.
    """
    if embedder is None:
        from tools.retrieval.embeddings import MiniLMEmbedder

        embedder = MiniLMEmbedder(threads=threads)
    if client is None:
        if chroma_path is None:
            raise InputError("open_retriever needs client= or chroma_path= (e.g. settings.chroma_path)")
        client = open_chroma_client("embedded", chroma_path)
    collection = open_collection(client, collection_name, embedder, catalog)
    return ChromaRetriever(catalog, collection, embedder, hybrid=hybrid, filter_mode=filter_mode)
