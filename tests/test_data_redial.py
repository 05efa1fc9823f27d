"""tools/datasets/redial.py on the real shared ReDial files (skipped when /work/shared is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.datasets.redial import (
    MENTION_RE,
    default_redial_dir,
    iter_dialogues,
    load_movies,
    parse_title,
    render_text,
)
from tools.errors import DataError

REDIAL = default_redial_dir()
needs_shared = pytest.mark.skipif(
    not (REDIAL / "movies_with_mentions.csv").is_file(),
    reason=f"ReDial files not found at {REDIAL} (the shared data folder beside the checkout)",
)


def test_parse_title_known_answers() -> None:
    assert parse_title("Headhunter  (2009)") == ("Headhunter", 2009)
    assert parse_title("Why Me%3F (2015)") == ("Why Me?", 2015)
    assert parse_title("The Purge ") == ("The Purge", None)
    assert parse_title("Blade Runner 2049 (2017)") == ("Blade Runner 2049", 2017)


def test_missing_files_raise_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="movies_with_mentions.csv"):
        load_movies(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="not found"):
        list(iter_dialogues(tmp_path / "nope.jsonl"))


@needs_shared
def test_movie_table() -> None:
    movies = load_movies()
    assert len(movies) == 6924 and len({m.movie_id for m in movies}) == 6924
    assert sum(1 for m in movies if m.year) > 6000
    assert not [m for m in movies if "%3F" in m.title]
    by_id = {m.movie_id: m for m in movies}
    assert by_id["75796"].title == "Headhunter" and by_id["75796"].year == 2009


@needs_shared
def test_valid_dialogues_parse_with_mentions_and_labels() -> None:
    dialogues = list(iter_dialogues(REDIAL / "valid_data.jsonl"))
    assert len(dialogues) == 901
    assert len({d.conversation_id for d in dialogues}) == 901
    known = {m.movie_id for m in load_movies()}
    d = dialogues[0]
    assert d.turns[0].is_seeker and d.turns[0].sender_id == d.seeker_id
    mentioned = {mid for dd in dialogues for t in dd.turns for mid in t.mentions}
    assert mentioned <= known | {mid for dd in dialogues for mid in dd.movie_mentions}
    assert {mid for dd in dialogues for mid in dd.movie_mentions} <= known
    labels = [lab for dd in dialogues for lab in dd.seeker_labels.values()]
    assert any(lab.liked is None for lab in labels) and any(lab.liked is True for lab in labels)
    with_fallback = [dd for dd in dialogues if not dd.seeker_labels and dd.recommender_labels]
    if with_fallback:
        dd = with_fallback[0]
        mid = next(iter(dd.recommender_labels))
        assert dd.seeker_label(mid) == dd.recommender_labels[mid]


@needs_shared
def test_train_partial_is_disjoint_from_valid() -> None:
    train = {d.conversation_id for d in iter_dialogues(REDIAL / "train_partial.jsonl")}
    valid = {d.conversation_id for d in iter_dialogues(REDIAL / "valid_data.jsonl")}
    assert len(train) == 1355 and not train & valid


def test_render_text_replaces_mentions() -> None:
    assert render_text("have you seen @111 or @222?", {"111": "Alien (1979)"}) == "have you seen Alien (1979) or @222?"
    assert MENTION_RE.findall("@1 and @23") == ["1", "23"]
