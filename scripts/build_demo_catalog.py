"""Rebuild the shipped demo catalog from the shared data (reproducible, byte-identical).

Example (from the repository root):
    python scripts/build_demo_catalog.py --shared ../shared/data --out tools/data/demo

The plot vectors (item_vectors.npz) take ~15 minutes on two CPU cores the first time; a rerun
whose inputs did not change reuses the file in --out (same bytes). --no-vectors skips them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.catalog.demo_builder import build_demo_catalog  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path("tools/data/demo"), help="catalog folder to (re)write")
    parser.add_argument("--no-vectors", action="store_true", help="do not (re)compute item_vectors.npz")
    args = parser.parse_args(argv)
    summary = build_demo_catalog(args.shared, args.out, vectors=not args.no_vectors)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
