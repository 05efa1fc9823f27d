"""Loader for the Gowalla split used by NGCF and LightGCN (``/work/shared/data/gowalla``).

Why a dedicated loader: the benchmark needs 1M interactions as integer arrays in well under
a second, and the files are "one line per user: ``user item item ...``" (see the dataset's
README.md), which numpy parses fastest as one flat token stream plus per-line counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.errors import DataError

DEFAULT_GOWALLA_DIR = Path("/work/shared/data/gowalla")


@dataclass(frozen=True)
class InteractionSplit:
    """Train/test (user, item) pairs with contiguous integer ids ``0..n-1``."""

    n_users: int
    n_items: int
    train_users: np.ndarray
    train_items: np.ndarray
    test_users: np.ndarray
    test_items: np.ndarray

    def stats(self) -> dict[str, int]:
        return {
            "users": self.n_users,
            "items": self.n_items,
            "train": int(self.train_users.size),
            "test": int(self.test_users.size),
        }


def read_user_lines(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``user item item ...`` lines into flat (users, items) int64 arrays."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} not found; expected the Gowalla split (train.txt/test.txt) there")
    text = path.read_text()
    lines = [ln for ln in text.split("\n") if ln.strip()]
    counts = np.fromiter((ln.count(" ") for ln in lines), dtype=np.int64, count=len(lines))
    tokens = np.array(" ".join(lines).split(), dtype=np.int64)
    lengths = counts + 1  # tokens per line (user + items); lines have single spaces
    if int(lengths.sum()) != tokens.size:
        raise DataError(f"{path}: expected single spaces between ids; re-export the file")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    line_users = tokens[starts]
    is_user = np.zeros(tokens.size, dtype=bool)
    is_user[starts] = True
    items = tokens[~is_user]
    users = np.repeat(line_users, counts)
    return users, items


def load_gowalla(directory: Path = DEFAULT_GOWALLA_DIR) -> InteractionSplit:
    """Load train.txt/test.txt; ``n_items`` is max item id + 1 over both files (40,981)."""
    directory = Path(directory)
    tr_u, tr_i = read_user_lines(directory / "train.txt")
    te_u, te_i = read_user_lines(directory / "test.txt")
    n_users = int(max(tr_u.max(), te_u.max())) + 1
    n_items = int(max(tr_i.max(), te_i.max())) + 1
    return InteractionSplit(n_users, n_items, tr_u, tr_i, te_u, te_i)
