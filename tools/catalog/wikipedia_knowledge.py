"""Facts from a film's English Wikipedia row: cast, directors, source authors, series, studios, genres, link, text.

Why a module of its own: the demo catalog (``demo_builder``) may redistribute Wikipedia-derived
data only as facts and keywords, never a sentence of the articles (CC BY-SA 4.0; see
``tools/data/demo/LICENSE.md``). Everything read from ``shared/data/movies_text`` passes through
here: the reader, the cleaning of the source's noisy cast and director fields, the text the plot
keywords and vectors are computed from (never written out), and the facts kept on an item.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.catalog.film_series import film_series
from tools.catalog.film_studios import film_studios
from tools.catalog.movie_genres import wikipedia_genre_labels
from tools.catalog.source_authors import source_authors
from tools.errors import DataError

MAX_CAST = 8
#: words that start list noise rather than a person's name ("voices of", "narrated by", "et al.")
_NOT_NAMES = frozenset({"voice", "voices", "with", "and", "narrated", "narrator", "starring", "featuring",
                        "uncredited", "cast", "various", "others", "et"})
_NAME_WORD = r"(?:[A-Z]\.|[A-Z][\w'-]*)"
_DIRECTED_BY = re.compile(rf"directed by ({_NAME_WORD}(?:(?:\s+and\s+|\s*&\s*|,\s*|\s+){_NAME_WORD})*)")


def load_wikipedia(path: Path) -> dict[str, dict[str, Any]]:
    """``movies_text/redial_wikipedia.jsonl.gz`` keyed by ReDial movie id (see its README)."""
    rows: dict[str, dict[str, Any]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows[str(row["movieId"])] = row
            except (ValueError, KeyError) as exc:
                raise DataError(f"{path}:{lineno}: bad record ({exc})") from exc
    return rows


def _person(name: str) -> str | None:
    """A cleaned person name, or None for list noise ("voices of", "(uncredited)", lower-case words)."""
    name = re.sub(r"\s*\([^)]*\)", "", str(name)).strip(" ,;:.-\u2013\u2014\t\n")
    name = " ".join(name.split())
    if not name or not name[0].isupper() or len(name) > 40 or len(name.split()) > 5 or re.search(r"\d", name):
        return None
    return None if name.split()[0].lower() in _NOT_NAMES else name


def split_directors(text: str | None) -> list[str]:
    """'Joel and Ethan Coen' -> ['Joel Coen', 'Ethan Coen']; 'A, B & C' -> ['A', 'B', 'C']."""
    if not text:
        return []
    parts = [p for p in re.split(r"\s*(?:,|&|;|/|\band\b|\n)\s*", str(text)) if p.strip()]
    if len(parts) > 1 and len(parts[-1].split()) >= 2:
        surname = parts[-1].split()[-1]
        parts = [p if len(p.split()) > 1 else f"{p} {surname}" for p in parts]
    return list(dict.fromkeys(n for n in (_person(p) for p in parts) if n))


def clean_cast(names: Sequence[str] | None, limit: int = MAX_CAST) -> list[str]:
    """The first ``limit`` real names of a cast list, in billing order, without duplicates."""
    return list(dict.fromkeys(n for n in (_person(x) for x in names or ()) if n))[:limit]


def wikipedia_text(row: dict[str, Any] | None) -> str:
    """What a film is about: the opening paragraph, then the plot (empty when unknown)."""
    if not row:
        return ""
    return " ".join(str(row.get(k) or "").strip() for k in ("extract", "plot")).strip()


def without_own_title(text: str, titles: Sequence[str]) -> str:
    """``text`` without the film's own ``titles`` (as written, whole words, with a possessive "'s").

    Why: a content vector is what the film is about, and Wikipedia's text opens with the title ("Alien
    Dead is a 1980 ... film"): with it, Alien Dead's plot vector was closer to Alien's (cosine .54) than
    The Thing's or Event Horizon's were, and its card said "its story is close to Alien"; without it, .36
    against .58 and .52. Removed, not replaced: "the film" in every opening made unrelated films alike
    (Amélie and Friday the 13th .33 -> .44; .37 removed). Case-sensitive: a title is capitalised in
    running text, so "It" spares "it"."""
    for title in sorted({t.strip() for t in titles if t and len(t.strip()) > 1}, key=len, reverse=True):
        text = re.sub(r"(?<![\w'])" + re.escape(title) + r"(?:'s)?(?!\w)", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def wikipedia_year(row: dict[str, Any] | None, cmu_year: int | None = None) -> int | None:
    """The release year of a film whose ReDial title carries none, from its Wikipedia row.

    Why: 614 ReDial titles have no year ("Zootopia", "Dirty Dancing", "Star Wars"), so "something
    from the 80s" could never hold Dirty Dancing and the year features read nothing. The row's year
    is trusted when the row names the article it came from, or when the title-only CMU match agrees
    within a year; a row without an article title was matched by name alone and is sometimes another
    film ("The Naked Gun" -> a 1956 film), so then it needs that second opinion.
    """
    year = row.get("wikipedia_year") if row else None
    if not isinstance(year, int) or not 1870 <= year <= 2030:
        return None
    trusted = bool(row and row.get("wikipedia_title")) or (cmu_year is not None and abs(cmu_year - year) <= 1)
    return year if trusted else None


def item_knowledge(row: dict[str, Any] | None, keywords: Sequence[str]) -> dict[str, Any]:
    """Facts from one Wikipedia row for ``Item.attributes`` (no sentence of the text)."""
    if not row:
        return {}
    out: dict[str, Any] = {}
    cast = clean_cast(row.get("cast"))
    directors = split_directors(row.get("director"))
    if any(len(d.split()) < 2 for d in directors):
        # the source's director field is sometimes cut ("Joel" for "Joel and Ethan Coen"):
        # read the opening paragraph's "directed by ..." instead, else keep full names only
        said = _DIRECTED_BY.search(row.get("extract") or "")
        directors = [d for d in (split_directors(said.group(1)) if said else directors) if len(d.split()) >= 2]
    wiki_genres = list(wikipedia_genre_labels(row.get("genres_wikipedia") or ()))
    # who wrote the book it is based on ("a Stephen King movie" is The Shining and Misery too)
    authors = source_authors(row.get("extract"))
    # the series, earlier films and source characters it belongs with ("Star Wars" for The Empire Strikes Back)
    series = film_series(row.get("extract"), str(row.get("wikipedia_title") or row.get("redial_title") or ""))
    studios = film_studios(row.get("extract"))  # "a Pixar movie", "Marvel movies"
    for key, value in (("cast", cast), ("directors", directors), ("authors", authors), ("series", series),
                       ("studios", studios), ("wiki_genres", wiki_genres), ("keywords", list(keywords))):
        if value:
            out[key] = value
    out["wikipedia_url"] = str(row["wikipedia_url"])
    out["wikipedia_title"] = str(row.get("wikipedia_title") or "")
    return out
