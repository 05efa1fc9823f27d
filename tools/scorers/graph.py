"""The user-item interaction graph shared by the popularity and LightGCN scorers.

Why one class: both scorers need the same string-id <-> row maps, the positive edges
(``Interaction.is_positive``: liked/accepted/seen or a positive rating; dislikes are NOT
edges), per-item popularity and "co-interacted" neighbours for evidence, and both persist
them the same way (``graph.npz``, no pickle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tools.catalog.catalog import Interaction
from tools.errors import DataError


@dataclass
class InteractionGraph:
    user_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    users: np.ndarray  # int64 row of each positive edge
    items: np.ndarray  # int64 column of each positive edge
    user_index: dict[str, int] = field(init=False, repr=False)
    item_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.users = np.asarray(self.users, np.int64)
        self.items = np.asarray(self.items, np.int64)
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {it: i for i, it in enumerate(self.item_ids)}
        self._matrix: sp.csr_matrix | None = None

    @classmethod
    def from_interactions(
        cls, interactions: Sequence[Interaction], item_ids: Sequence[str] | None = None
    ) -> InteractionGraph:
        """Positive interactions become edges; ``item_ids`` fixes the item universe."""
        if item_ids is None:
            items = tuple(dict.fromkeys(str(i.item_id) for i in interactions))
        else:
            items = tuple(dict.fromkeys(str(i) for i in item_ids))
        item_index = {it: k for k, it in enumerate(items)}
        pos = [i for i in interactions if i.is_positive and str(i.item_id) in item_index]
        users = tuple(dict.fromkeys(str(i.user_id) for i in pos))
        user_index = {u: k for k, u in enumerate(users)}
        pairs = {(user_index[str(i.user_id)], item_index[str(i.item_id)]) for i in pos}
        arr = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        return cls(users, items, arr[:, 0], arr[:, 1])

    @classmethod
    def from_arrays(cls, users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> InteractionGraph:
        """Integer-id datasets (Gowalla): ids become their decimal strings."""
        return cls(tuple(map(str, range(n_users))), tuple(map(str, range(n_items))), users, items)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def matrix(self) -> sp.csr_matrix:
        """0/1 user x item CSR matrix of the edges."""
        if self._matrix is None:
            m = sp.csr_matrix(
                (np.ones(self.users.size, np.float32), (self.users, self.items)),
                shape=(self.n_users, self.n_items),
            )
            m.data[:] = 1.0
            self._matrix = m
        return self._matrix

    def item_counts(self) -> np.ndarray:
        """Number of distinct users with a positive edge to each item."""
        return np.bincount(self.items, minlength=self.n_items).astype(np.float64)

    def user_items(self, user: int) -> np.ndarray:
        m = self.matrix
        return m.indices[m.indptr[user] : m.indptr[user + 1]]

    def co_interacted(self, item: int, k: int = 5) -> list[tuple[int, int]]:
        """Items most often positively interacted with by the same users: (item, shared users)."""
        m = self.matrix
        col = m[:, item]
        users = col.nonzero()[0]
        if users.size == 0:
            return []
        counts = np.asarray(m[users].sum(axis=0)).ravel()
        counts[item] = 0
        top = np.argsort(-counts, kind="stable")[:k]
        return [(int(i), int(counts[i])) for i in top if counts[i] > 0]

    def fingerprint(self) -> str:
        """Content hash of ids and edges (part of a checkpoint's cache key)."""
        h = hashlib.sha1()
        h.update("\x1f".join(self.user_ids).encode())
        h.update(b"\x1e")
        h.update("\x1f".join(self.item_ids).encode())
        h.update(np.ascontiguousarray(self.users).tobytes())
        h.update(np.ascontiguousarray(self.items).tobytes())
        return h.hexdigest()[:16]

    def save(self, path: Path) -> Path:
        path = Path(path)
        np.savez_compressed(
            path,
            user_ids=np.array(self.user_ids, dtype=str),
            item_ids=np.array(self.item_ids, dtype=str),
            users=self.users.astype(np.int32),
            items=self.items.astype(np.int32),
        )
        return path

    @classmethod
    def load(cls, path: Path) -> InteractionGraph:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path} is missing; the model directory is incomplete — retrain it")
        with np.load(path, allow_pickle=False) as z:
            return cls(
                tuple(z["user_ids"].tolist()), tuple(z["item_ids"].tolist()), z["users"], z["items"]
            )


def fill_unknown(scores: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Give unknown candidates a score strictly below every known one (the Scorer contract)."""
    out = np.asarray(scores, dtype=np.float64).copy()
    if known.all():
        return out
    floor = float(out[known].min()) - 1.0 if known.any() else 0.0
    out[~known] = floor
    return out
