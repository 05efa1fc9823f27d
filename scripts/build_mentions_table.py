"""Build the shipped recommendation-effect table ``tools/data/demo/mentions.csv.gz``.

Run from the checkout: ``python scripts/build_mentions_table.py [--redial DIR] [--out PATH]``.
Reads ReDial's ``train_partial.jsonl`` and ``valid_data.jsonl`` (CC BY 4.0) and the demo
catalog's genres; the output is byte-reproducible (gzip mtime=0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.catalog.catalog import DEMO_CATALOG_DIR, load_catalog  # noqa: E402
from tools.datasets.redial import default_redial_dir, iter_dialogues, load_movies  # noqa: E402
from tools.errors import WhyRecError  # noqa: E402
from tools.studies.redial_effect import mention_rows, write_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--redial", type=Path, default=None, help="ReDial folder (default ../shared/data/redial)")
    ap.add_argument("--out", type=Path, default=DEMO_CATALOG_DIR / "mentions.csv.gz")
    args = ap.parse_args(argv)
    redial = args.redial or default_redial_dir()
    try:
        movies = load_movies(redial / "movies_with_mentions.csv")
        try:
            genres = {it.item_id: it.genres for it in load_catalog().items}
        except WhyRecError as exc:
            print(f"warning: no demo catalog ({exc}); genre columns will be 0", file=sys.stderr)
            genres = {}
        rows = []
        for split, name in (("train", "train_partial.jsonl"), ("valid", "valid_data.jsonl")):
            rows += mention_rows(iter_dialogues(redial / name), movies, genres, split=split)
        write_table(rows, args.out)
    except WhyRecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
