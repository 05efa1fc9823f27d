"""Precomputed content vectors of catalog items (``item_vectors.npz`` beside ``items.jsonl.gz``).

Why precomputed: a film's plot says what it is about far better than its title, but embedding
~6,000 Wikipedia plots takes a quarter of an hour on two CPU cores. The demo catalog builder
does it once and ships the result; ``whyrec index build`` inserts these vectors into Chroma
instead of embedding ``Item.content_text()``, and queries are still embedded at run time by the
same model (all-MiniLM-L6-v2, unit vectors), so both live in one space.

How a vector is made (``embed_item_texts``): the text (Wikipedia opening paragraph + plot, at
most ``MAX_CHUNKS`` chunks of ``CHUNK_WORDS`` words; MiniLM reads 256 tokens per chunk) is split
into word chunks, each chunk is embedded and normalised, the chunk vectors are averaged and
the mean is L2-normalised. Films without Wikipedia text get the vector of their catalog text.

File format (``write_item_vectors``; byte-identical for identical input -- fixed zip
timestamps, no pickles): ``ids`` (unicode, catalog order), ``q`` (int8, rows x 384),
``scale`` (float32 per row: vector = q * scale / 127), ``content_hash`` (the ``Item.content_hash``
each row was built for, so a changed item falls back to run-time embedding) and
``fingerprint`` (sha256 of model, rules and every embedded text: an unchanged input reuses
the file instead of recomputing it). int8 keeps 6,924 x 384 vectors at ~2.7 MB; the
quantisation error (cosine > 0.9999 to the float vector) is far below ranking noise.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import DataError

VECTORS_FILE = "item_vectors.npz"
CHUNK_WORDS = 200
MAX_CHUNKS = 2
#: fixed zip member timestamp (the zip format's epoch) so rebuilding gives the same bytes
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def chunk_words(text: str, size: int = CHUNK_WORDS, max_chunks: int = MAX_CHUNKS) -> list[str]:
    """Whitespace-word chunks of ``size`` words, at most ``max_chunks`` (the start of the text)."""
    if size < 1 or max_chunks < 1:
        raise ValueError("size and max_chunks must be >= 1")
    words = text.split()[: size * max_chunks]
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def fingerprint(model_name: str, ids: Sequence[str], texts: Sequence[str]) -> str:
    """Identifies what ``embed_item_texts`` would compute: model, chunking rules, ids and texts."""
    h = hashlib.sha256(f"{model_name}|{CHUNK_WORDS}|{MAX_CHUNKS}|int8".encode())
    for i, t in zip(ids, texts, strict=True):
        h.update(b"\x00" + i.encode() + b"\x01" + t.encode("utf-8"))
    return h.hexdigest()


def embed_item_texts(texts: Sequence[str], embedder: Any, progress: bool = False) -> np.ndarray:
    """One unit vector per text: mean of the normalised chunk vectors, renormalised."""
    chunks: list[str] = []
    owner: list[int] = []
    for row, text in enumerate(texts):
        parts = chunk_words(text) or [" "]
        chunks.extend(parts)
        owner.extend([row] * len(parts))
    chunk_vecs = np.asarray(embedder.embed_documents(chunks, progress=progress), dtype=np.float64)
    sums = np.zeros((len(texts), chunk_vecs.shape[1]), dtype=np.float64)
    np.add.at(sums, np.asarray(owner, dtype=np.int64), chunk_vecs)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def quantise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and per-row scales (``q * scale / 127`` restores the vector)."""
    m = np.asarray(matrix, dtype=np.float32)
    scale = np.abs(m).max(axis=1).astype(np.float32)
    safe = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(m / safe[:, None] * 127.0), -127, 127).astype(np.int8)
    return q, scale


def dequantise(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32, L2-normalised rows (zero rows stay zero)."""
    m = q.astype(np.float32) * (scale.astype(np.float32)[:, None] / 127.0)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def item_vectors_bytes(ids: Sequence[str], q: np.ndarray, scale: np.ndarray, content_hashes: Sequence[str],
                       fp: str) -> bytes:
    """The ``.npz`` file content (see ``quantise``); identical input gives identical bytes."""
    if not len(ids) == len(q) == len(scale) == len(content_hashes):
        raise ValueError("ids, vector rows, scales and content hashes must have the same length")
    arrays = {
        "ids": np.asarray(list(ids), dtype=str),
        "q": np.asarray(q, dtype=np.int8),
        "scale": np.asarray(scale, dtype=np.float32),
        "content_hash": np.asarray(list(content_hashes), dtype=str),
        "fingerprint": np.asarray(fp),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    return buf.getvalue()


def build_item_vectors(ids: Sequence[str], texts: Sequence[str], content_hashes: Sequence[str],
                       reuse_dir: Path | None = None, threads: int = 2,
                       progress: bool = False) -> tuple[bytes, dict[str, Any]]:
    """The vectors file for ``texts`` (one per id) and a description of it for ``catalog.json``.

    Why reuse: embedding ~6,000 plots takes ~15 minutes on two cores. When ``reuse_dir`` holds a
    file with the same fingerprint (model, chunking rules, every id and text), its quantised
    vectors are kept and only the content hashes are rewritten. Deterministic otherwise too: a
    fixed thread count, fixed batches in input order, no sampling.
    """
    from tools.retrieval.embeddings import EMBEDDING_DIM, MODEL_NAME, MiniLMEmbedder

    fp = fingerprint(MODEL_NAME, ids, texts)
    old = Path(reuse_dir) / VECTORS_FILE if reuse_dir is not None else None
    reused = old is not None and old.is_file() and read_fingerprint(old.parent) == fp
    if reused and old is not None:
        data = _read(old)
        q, scale = data["q"], data["scale"]
    else:
        import torch

        torch.manual_seed(0)
        torch.set_num_threads(threads)
        q, scale = quantise(embed_item_texts(texts, MiniLMEmbedder(threads=threads, batch_size=32), progress))
    blob = item_vectors_bytes(ids, q, scale, content_hashes, fp)
    meta = {
        "file": VECTORS_FILE, "model": MODEL_NAME, "dim": EMBEDDING_DIM, "rows": len(ids),
        "quantisation": "int8 with a float32 scale per row (vector = q * scale / 127), rows L2-normalised on load",
        "text": f"first {CHUNK_WORDS * MAX_CHUNKS} words of the Wikipedia opening paragraph + plot without the film's own title, in "
                f"{CHUNK_WORDS}-word chunks, mean of unit chunk vectors, renormalised; items without "
                "Wikipedia text: Item.content_text()",
        "fingerprint": fp, "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob),
    }
    return blob, {**meta, "reused": bool(reused)}


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable vectors file ({exc}); rebuild the catalog") from exc


def read_fingerprint(catalog_dir: Path | str) -> str | None:
    """The stored fingerprint, or None when there is no (readable) vectors file."""
    path = Path(catalog_dir) / VECTORS_FILE
    if not path.is_file():
        return None
    try:
        return str(_read(path)["fingerprint"].reshape(-1)[0])
    except (DataError, KeyError, IndexError):
        return None


def load_item_vectors(catalog_dir: Path | str) -> tuple[list[str], np.ndarray]:
    """``(ids, matrix)``: ids in catalog order and a float32, L2-normalised ``(n, 384)`` matrix.

    Raises ``FileNotFoundError`` when the catalog ships no vectors (e.g. an imported CSV).
    """
    ids, matrix, _ = load_item_vectors_with_hashes(catalog_dir)
    return ids, matrix


def load_item_vectors_with_hashes(catalog_dir: Path | str) -> tuple[list[str], np.ndarray, list[str]]:
    """Like ``load_item_vectors`` plus the ``Item.content_hash`` each row was computed for."""
    path = Path(catalog_dir) / VECTORS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; this catalog ships no precomputed vectors")
    data = _read(path)
    try:
        ids = [str(i) for i in data["ids"]]
        matrix = dequantise(data["q"], data["scale"])
        hashes = [str(h) for h in data["content_hash"]]
    except KeyError as exc:
        raise DataError(f"{path} lacks the array {exc}; rebuild the catalog") from exc
    if len(ids) != len(matrix) or len(hashes) != len(ids):
        raise DataError(f"{path} has inconsistent arrays; rebuild the catalog")
    return ids, matrix, hashes


def precomputed_rows(catalog: Any, dim: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Vectors aligned with ``catalog.items`` and a mask of rows that may use them, or None.

    A row is usable when the file has the item's id AND was built for the item's current
    ``content_hash`` (an edited item is embedded afresh). None when the catalog was not loaded
    from a directory, ships no file, or the file's dimension is not ``dim``.
    """
    source = getattr(catalog, "source_dir", None)
    if source is None or not (Path(source) / VECTORS_FILE).is_file():
        return None
    ids, matrix, hashes = load_item_vectors_with_hashes(source)
    if matrix.shape[1] != dim:
        return None
    where = {i: (n, h) for n, (i, h) in enumerate(zip(ids, hashes, strict=True))}
    out = np.zeros((len(catalog.items), dim), dtype=np.float32)
    usable = np.zeros(len(catalog.items), dtype=bool)
    for row, item in enumerate(catalog.items):
        hit = where.get(item.item_id)
        if hit is not None and hit[1] == item.content_hash():
            out[row] = matrix[hit[0]]
            usable[row] = True
    return out, usable
