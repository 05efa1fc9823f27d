"""ReDial loader (Li et al., NeurIPS 2018; CC BY 4.0).

Why typed: the demo-catalog builder, the causal recommendation-effect study, the RL
simulator and the ReDial benchmark all read the same dialogues; parsing once into
``Dialogue``/``Turn``/``MovieLabel`` keeps the ``@id`` and label conventions in one
place. ``liked`` is 0/1/2 in the raw data, where 2 means "did not say" -> ``None``.
"""

from __future__ import annotations

import csv
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.errors import DataError

MENTION_RE = re.compile(r"@(\d+)")
_YEAR_RE = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")


def default_redial_dir() -> Path:
    """``../shared/data/redial`` beside the checkout (resolved at call time, not import)."""
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "redial"


@dataclass(frozen=True, slots=True)
class Movie:
    movie_id: str
    title: str
    year: int | None
    mentions: int
    raw_name: str


@dataclass(frozen=True, slots=True)
class MovieLabel:
    """One worker's answers about one mentioned movie (``None`` = not answered)."""

    suggested: bool | None
    seen: bool | None
    liked: bool | None


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    sender_id: int
    is_seeker: bool
    mentions: tuple[str, ...]
    message_id: int
    time_offset: int


@dataclass(frozen=True, slots=True)
class Dialogue:
    conversation_id: str
    seeker_id: int
    recommender_id: int
    turns: tuple[Turn, ...]
    movie_mentions: dict[str, str]
    seeker_labels: dict[str, MovieLabel]
    recommender_labels: dict[str, MovieLabel]

    def seeker_label(self, movie_id: str) -> MovieLabel | None:
        """Seeker's own answers, falling back to the recommender's view of the seeker."""
        return self.seeker_labels.get(movie_id) or self.recommender_labels.get(movie_id)


def parse_title(raw: str) -> tuple[str, int | None]:
    """'Headhunter  (2009)' -> ('Headhunter', 2009); '%3F' decodes to '?'."""
    name = urllib.parse.unquote(raw).strip()
    name = re.sub(r"\s+", " ", name)
    m = _YEAR_RE.match(name)
    if m:
        return m.group("title").strip(), int(m.group("year"))
    return name, None


def load_movies(path: Path | None = None) -> list[Movie]:
    path = Path(path) if path else default_redial_dir() / "movies_with_mentions.csv"
    if not path.is_file():
        raise DataError(f"ReDial movie table not found at {path}; pass the path to movies_with_mentions.csv")
    movies = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            title, year = parse_title(row["movieName"])
            movies.append(
                Movie(str(row["movieId"]).strip(), title, year, int(row["nbMentions"] or 0), row["movieName"])
            )
    return movies


def _labels(raw: dict | list | None) -> dict[str, MovieLabel]:
    out: dict[str, MovieLabel] = {}
    if not isinstance(raw, dict):
        return out

    def flag(v: object) -> bool | None:
        return None if v in (None, 2, "2") else bool(int(v))  # type: ignore[arg-type]

    for mid, q in raw.items():
        out[str(mid)] = MovieLabel(flag(q.get("suggested")), flag(q.get("seen")), flag(q.get("liked")))
    return out


def iter_dialogues(path: Path) -> Iterator[Dialogue]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"ReDial dialogue file not found at {path}; pass a path like ../shared/data/redial/valid_data.jsonl")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                seeker = int(d["initiatorWorkerId"])
                turns = tuple(
                    Turn(
                        text=m["text"],
                        sender_id=int(m["senderWorkerId"]),
                        is_seeker=int(m["senderWorkerId"]) == seeker,
                        mentions=tuple(MENTION_RE.findall(m["text"])),
                        message_id=int(m.get("messageId", i)),
                        time_offset=int(m.get("timeOffset", 0)),
                    )
                    for i, m in enumerate(d["messages"])
                )
                mentions = d.get("movieMentions") or {}
                yield Dialogue(
                    conversation_id=str(d["conversationId"]),
                    seeker_id=seeker,
                    recommender_id=int(d["respondentWorkerId"]),
                    turns=turns,
                    movie_mentions={str(k): (v or "") for k, v in (mentions.items() if isinstance(mentions, dict) else [])},
                    seeker_labels=_labels(d.get("initiatorQuestions")),
                    recommender_labels=_labels(d.get("respondentQuestions")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{path}:{lineno}: not a ReDial dialogue record ({exc})") from exc


def load_dialogues(path: Path) -> list[Dialogue]:
    return list(iter_dialogues(path))


def render_text(text: str, titles: dict[str, str]) -> str:
    """Replace ``@123`` with the movie's title so text models see words, not ids."""
    return MENTION_RE.sub(lambda m: titles.get(m.group(1), m.group(0)), text)
