"""The recommendation-effect table: one row per (ReDial dialogue, mentioned movie).

Why this table: it is the observational data behind WhyRec's causal questions ("does being
suggested by the recommender make a seeker like a movie, beyond the fact that popular movies
get suggested and liked more?"). Columns (all numeric; empty = the seeker did not say):
  suggested, seen, liked          seeker's answers (ReDial's questionnaire; 0/1)
  popularity                      log(1 + ReDial mentions of the movie, whole corpus)
  year                            release year (median-imputed when unknown; ``year_known``)
  mentioned_first_by_seeker       1 if the seeker, not the recommender, named it first
  position                        first-mention turn index / number of turns (0 = start)
  genre_*                         demo-catalog genre indicators (CMU genres, ~70% coverage)
Tiering (``TIERS``): movie attributes -> dialogue context -> suggested (exposure) -> seen
-> liked. Data: ReDial (Li et al., NeurIPS 2018), CC BY 4.0; derived, not the original.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from tools.datasets.redial import Dialogue, Movie
from tools.errors import DataError

GENRES = ("comedy", "drama", "action", "horror", "family")
ATTRIBUTES = ("popularity", "year", *(f"genre_{g.replace(' ', '_')}" for g in GENRES))
CONTEXT = ("mentioned_first_by_seeker", "position")
ANALYSIS_COLUMNS = (*ATTRIBUTES, *CONTEXT, "suggested", "seen", "liked")
ID_COLUMNS = ("conversation_id", "movie_id", "split", "year_known")
COLUMNS = ID_COLUMNS + ANALYSIS_COLUMNS
#: attributes -> dialogue context -> exposure -> seen -> liked
TIERS: tuple[tuple[str, ...], ...] = (ATTRIBUTES, CONTEXT, ("suggested",), ("seen",), ("liked",))
DESCRIPTIONS = {
    "popularity": "log(1 + number of ReDial dialogues mentioning the movie)",
    "year": "the movie's release year",
    **{f"genre_{g.replace(' ', '_')}": f"1 if the movie's genres include {g}" for g in GENRES},
    "mentioned_first_by_seeker": "1 if the seeker (not the recommender) named the movie first",
    "position": "turn index of the first mention divided by the dialogue length",
    "suggested": "1 if the seeker says the recommender suggested the movie",
    "seen": "1 if the seeker has seen the movie",
    "liked": "1 if the seeker liked the movie",
}
HEADER = (
    "# WhyRec recommendation-effect table, derived from ReDial (Li et al., 'Towards Deep Conversational\n"
    "# Recommendations', NeurIPS 2018), licensed CC BY 4.0 (http://creativecommons.org/licenses/by/4.0).\n"
    "# Changed: one row per (dialogue, mentioned movie) built by scripts/build_mentions_table.py from\n"
    "# train_partial.jsonl + valid_data.jsonl; genres from the WhyRec demo catalog (CMU Movie Summary Corpus).\n"
)


def _flag(v: bool | None) -> str:
    return "" if v is None else str(int(v))


def mention_rows(
    dialogues: Iterable[Dialogue],
    movies: Sequence[Movie],
    genres: dict[str, Sequence[str]] | None = None,
    split: str = "",
) -> list[dict[str, str]]:
    """Rows (as CSV strings) for every movie mentioned in the dialogues' text."""
    by_id = {m.movie_id: m for m in movies}
    years = sorted(m.year for m in movies if m.year)
    median_year = years[len(years) // 2] if years else 2000
    genres = genres or {}
    rows = []
    for d in dialogues:
        first: dict[str, tuple[int, bool]] = {}
        for i, turn in enumerate(d.turns):
            for mid in turn.mentions:
                first.setdefault(mid, (i, turn.is_seeker))
        n_turns = max(len(d.turns), 1)
        for mid, (turn_idx, by_seeker) in first.items():
            movie = by_id.get(mid)
            label = d.seeker_label(mid)
            g = {x.lower() for x in genres.get(mid, ())}
            row = {
                "conversation_id": d.conversation_id,
                "movie_id": mid,
                "split": split,
                "year_known": str(int(bool(movie and movie.year))),
                "popularity": f"{math.log1p(movie.mentions if movie else 0):.4f}",
                "year": str(movie.year if movie and movie.year else median_year),
                "mentioned_first_by_seeker": str(int(by_seeker)),
                "position": f"{turn_idx / n_turns:.4f}",
                "suggested": _flag(label.suggested if label else None),
                "seen": _flag(label.seen if label else None),
                "liked": _flag(label.liked if label else None),
            }
            for name in GENRES:
                row[f"genre_{name.replace(' ', '_')}"] = str(int(name in g))
            rows.append(row)
    return rows


def write_table(rows: Sequence[dict[str, str]], path: Path) -> Path:
    """Reproducible gzip CSV (mtime=0, fixed column order, header comment with attribution)."""
    buf = io.StringIO()
    buf.write(HEADER)
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in COLUMNS})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    tmp.replace(path)
    return path


def read_table(path: Path):
    """The table as a pandas DataFrame (``#`` lines are comments)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"mentions table not found at {path}; run `python scripts/build_mentions_table.py`")
    try:
        return pd.read_csv(path, comment="#", dtype={"conversation_id": str, "movie_id": str})
    except (ValueError, OSError) as exc:
        raise DataError(f"{path} is not a readable CSV table ({exc})") from exc
