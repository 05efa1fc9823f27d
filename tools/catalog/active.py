"""Which catalog is active for a data directory.

Why a pointer file: the shipped demo catalog lives inside the package (read-only when
installed), while an imported catalog is written to ``<data_dir>/catalog/``. Switching back
to the demo must not delete an import, so ``whyrec data prepare`` records its choice in
``<data_dir>/active_catalog.json`` -- ``{"source": "demo"}`` or
``{"source": "imported", "path": "catalog"}`` (relative to the data dir so the folder can be
moved) -- and every command finds the catalog with ``resolve_catalog_dir``:

1. an explicit ``catalog_path`` (``--catalog`` / ``WHYREC_CATALOG_PATH``) wins;
2. else the pointer file, when there is one;
3. else ``<data_dir>/catalog`` if it holds a catalog (an import made without a pointer);
4. else the shipped demo catalog.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tools.catalog.catalog import DEMO_CATALOG_DIR
from tools.errors import DataError

POINTER_FILE = "active_catalog.json"
IMPORTED_DIR = "catalog"


def imported_catalog_dir(data_dir: Path) -> Path:
    """Where imports (and ``--rebuild-demo``) write: ``<data_dir>/catalog``."""
    return Path(data_dir) / IMPORTED_DIR


def _has_catalog(directory: Path) -> bool:
    return any((directory / n).is_file() for n in ("items.jsonl", "items.jsonl.gz"))


def read_active(data_dir: Path) -> dict[str, Any] | None:
    """The pointer's content, or None when no catalog was chosen yet."""
    path = Path(data_dir) / POINTER_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is unreadable ({exc}); delete it and run `whyrec data prepare`") from exc
    if not isinstance(data, dict) or "source" not in data:
        raise DataError(f"{path} is not a catalog pointer; delete it and run `whyrec data prepare`")
    return data


def set_active(data_dir: Path, source: str, catalog_dir: Path | None = None, **extra: Any) -> dict[str, Any]:
    """Record the active catalog (atomic replace). ``catalog_dir`` None means the shipped demo."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path_value: str | None = None
    if catalog_dir is not None:
        catalog_dir = Path(catalog_dir)
        try:
            path_value = str(catalog_dir.resolve().relative_to(data_dir.resolve()))
        except ValueError:
            path_value = str(catalog_dir.resolve())
    record = {"source": source, "path": path_value, **extra}
    fd, tmp = tempfile.mkstemp(prefix=".active-", dir=data_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, data_dir / POINTER_FILE)
    return record


def resolve_catalog_dir(data_dir: Path, catalog_path: Path | None = None) -> Path:
    """The catalog directory every command should load (see the module docstring for the order)."""
    if catalog_path is not None:
        path = Path(catalog_path)
        if not path.is_dir():
            raise DataError(f"catalog path {path} is not a directory; point --catalog/WHYREC_CATALOG_PATH at a "
                            "catalog folder (one holding items.jsonl.gz)")
        return path
    data_dir = Path(data_dir)
    pointer = read_active(data_dir)
    if pointer is not None:
        if pointer.get("path") in (None, ""):
            return DEMO_CATALOG_DIR
        path = Path(pointer["path"])
        path = path if path.is_absolute() else data_dir / path
        if not _has_catalog(path):
            raise DataError(f"the active catalog {path} is missing; run `whyrec data prepare` again "
                            "(or `whyrec data prepare --source demo` for the demo catalog)")
        return path
    imported = imported_catalog_dir(data_dir)
    if _has_catalog(imported):
        return imported
    return DEMO_CATALOG_DIR
