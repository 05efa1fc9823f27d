"""The shipped demo catalog, and the genre-join / tag-mining rules that build it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.catalog.catalog import DEMO_CATALOG_DIR, load_catalog
from tools.catalog.demo_builder import build_demo_catalog, describe, seeker_label_name
from tools.catalog.movie_genres import CmuMovie, GenreIndex, main_title, normalise_title, simplify_genres
from tools.catalog.tag_mining import MentionContext, extract_tags, mention_contexts, mine_tags
from tools.datasets.redial import MovieLabel, Turn

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def demo():
    return load_catalog()


def _find(catalog, title: str, year: int | None):
    hits = [it for it in catalog.items if it.title == title and it.year == year]
    assert hits, f"{title} ({year}) not in the demo catalog"
    return hits[0]


def test_shipped_catalog_loads_with_expected_shape(demo) -> None:
    assert demo.name == "demo" and len(demo) == 6924
    assert len(demo.interactions) > 5000 and len(demo.users) > 100
    stats = demo.stats()
    assert 0.8 <= stats["genre_coverage"] <= 0.9  # CMU ~70%, Wikipedia genres where CMU has none
    assert stats["items_with_tags"] > 250
    assert demo.meta["genre_coverage"] == stats["genre_coverage"]
    assert demo.meta["licence"] == "CC BY-SA 4.0"
    assert set(demo.meta["interaction_conversation_ids"]) == {"train_partial.jsonl", "valid_data.jsonl"}
    assert len(demo.meta["interaction_conversation_ids"]["valid_data.jsonl"]) > 500
    # tags only from the training dialogues: no leakage into the validation benchmark
    assert demo.meta["tag_conversation_ids"]["train_partial.jsonl"]
    assert demo.meta["tag_conversation_ids"]["valid_data.jsonl"] == []
    assert {i.label for i in demo.interactions} <= {"liked", "disliked", "seen", "suggested"}
    assert all(i.item_id in demo for i in demo.interactions)
    assert all(i.context.startswith("redial:") and i.user_id.startswith("redial-seeker-") for i in demo.interactions)
    assert (DEMO_CATALOG_DIR / "LICENSE.md").is_file()
    assert all(p.stat().st_size < 4_000_000 for p in DEMO_CATALOG_DIR.iterdir())
    assert sum(p.stat().st_size for p in DEMO_CATALOG_DIR.iterdir()) < 8_000_000


def test_genre_shares_count_each_film_once_among_films_with_genres(demo) -> None:
    from tools.catalog.catalog import Catalog, Item

    cat = Catalog((Item("1", "A", genres=("Drama", "drama", "crime")), Item("2", "B", genres=("comedy",)),
                   Item("3", "C", genres=("drama",)), Item("4", "D")))
    assert cat.genre_shares == {"drama": 2 / 3, "crime": 1 / 3, "comedy": 1 / 3}
    assert 0.4 < demo.genre_shares["drama"] < 0.6  # "drama" is on about half the shipped films


def test_black_panther_2018_is_not_given_the_1977_film(demo) -> None:
    bp = _find(demo, "Black Panther", 2018)
    assert bp.attributes.get("cmu_year") != 1977
    assert "cmu_wikipedia_id" not in bp.attributes  # the 2012 corpus cannot know this film
    assert "action" in bp.tags  # but the dialogues do


def test_known_movies_have_sensible_genres_and_tags(demo) -> None:
    nightmare = _find(demo, "A Nightmare on Elm Street", 1984)
    assert "horror" in nightmare.genres and "horror" in nightmare.tags
    toy = _find(demo, "Toy Story", 1995)
    assert {"animation", "family", "comedy"} <= set(toy.genres)
    assert "family" in toy.tags
    assert toy.description.startswith("A 1995 adventure, animation and comedy film.")
    shining = _find(demo, "The Shining", 1980)
    assert {"horror", "scary"} <= set(shining.tags)
    assert "black-and-white" not in {g for it in demo.items for g in it.genres}


def test_year_parsing_including_url_escapes(demo) -> None:
    assert _find(demo, "Why Me?", 2015).year == 2015
    assert not [it for it in demo.items if "%3F" in it.title or "(" + str(it.year) + ")" in it.title]
    assert sum(1 for it in demo.items if it.year) > 6000


def test_genre_join_rules_known_answers() -> None:
    movies = [
        CmuMovie("1", "The Black Panther", 1977, ("Crime Fiction", "Thriller")),
        CmuMovie("2", "Jumanji", 1995, ("Family Film", "Fantasy", "Adventure")),
        CmuMovie("3", "Star Wars Episode IV: A New Hope", 1977, ("Science Fiction", "Action/Adventure")),
        CmuMovie("4", "Volver", 2007, ("Drama", "World cinema")),
        CmuMovie("5", "Planes", 2013, ("Animation",)),
        CmuMovie("6", "Moonlight Mile", 2002, ("Drama",)),
        CmuMovie("7", "Matrix, The", 1999, ("Science Fiction",)),
    ]
    index = GenreIndex(movies)
    assert index.match("Black Panther", 2018) is None  # title-only match with other year: never
    assert index.match("Jumanji", 2017) is None
    assert index.match("Jumanji", 1995).rule == "title+year"
    assert index.match("Volver", 2006).rule == "title+year±1"
    assert index.match("Star Wars", 1977).movie.wikipedia_id == "3"
    assert index.match("Planes: Fire & Rescue", 2014) is None  # one-word head, other year
    assert index.match("Moonlight", 2002) is None  # one-word prefix is too weak
    assert index.match("The Matrix", 1999).movie.wikipedia_id == "7"
    assert index.match("Jumanji", None).rule == "title-unique-no-year"


def test_title_normalisation_and_genre_simplification() -> None:
    assert normalise_title("The Lord of the Rings: The Two Towers") == "lord of the rings the two towers"
    assert normalise_title("Amélie") == "amelie" and normalise_title("Don't Breathe") == "dont breathe"
    assert normalise_title("Why Me%3F") == "why me"
    assert main_title("Alien: Covenant") == "alien" and main_title("Alien") is None
    assert simplify_genres(["Black-and-white", "World cinema", "Romantic comedy", "Slasher"]) == (
        "comedy", "horror", "romance")
    assert simplify_genres(["Indie", "Short Film"]) == ()


def test_tag_extraction_and_mining_known_answers() -> None:
    assert extract_tags("a scary rom-com, hilarious!") == {"scary", "romantic comedy", "funny"}
    assert extract_tags("it's not scary at all") == set()
    assert extract_tags("Sci-Fi and super hero stuff") == {"sci-fi", "superhero"}
    contexts = [MentionContext(str(c), "m1", "so scary") for c in range(3)]
    contexts += [MentionContext("9", "m1", "funny"), MentionContext("1", "m1", "scary scary")]
    contexts += [MentionContext(str(c), "m2", "funny") for c in range(40)]
    contexts += [MentionContext(str(c), "m2", "scary") for c in range(100, 102)]
    result = mine_tags(contexts, min_conversations=2, min_share=0.05)
    assert result.tags["m1"] == ("scary",)  # funny seen in one conversation only
    assert result.support["m1"] == {"scary": 3}
    assert result.tags["m2"] == ("funny",)  # 2 of 42 conversations < 5%
    turns = [Turn("anything scary?", 1, True, (), 1, 0), Turn("try @5 or @6", 2, False, ("5", "6"), 2, 1),
             Turn("both gory", 2, False, (), 3, 2), Turn("I saw @5", 1, True, ("5",), 4, 3)]
    ctx = mention_contexts(turns, "c1")
    assert [(c.movie_id, extract_tags(c.text)) for c in ctx] == [
        ("5", {"scary", "gory"}), ("6", {"scary", "gory"}), ("5", {"gory"})]


def test_labels_and_description() -> None:
    assert seeker_label_name(MovieLabel(True, True, True)) == "liked"
    assert seeker_label_name(MovieLabel(True, False, False)) == "disliked"
    assert seeker_label_name(MovieLabel(False, True, None)) == "seen"
    assert seeker_label_name(MovieLabel(True, None, None)) == "suggested"
    assert seeker_label_name(MovieLabel(None, None, None)) is None
    assert describe(1984, ["horror"], ["scary", "classic"]) == (
        "A 1984 horror film. ReDial users described it as scary and classic.")
    assert describe(None, ["action", "adventure"], []) == "An action and adventure film."
    assert describe(None, [], []) == ""


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "movies_text").is_dir(),
                    reason="needs /work/shared/data (ReDial + CMU + Wikipedia) beside the repo")
def test_rebuild_is_byte_identical_to_the_shipped_files(tmp_path: Path) -> None:
    # the shipped vectors file is placed first so its fingerprint check is exercised (recomputing
    # the plot vectors takes ~15 minutes on two cores; tests/test_item_knowledge.py checks them)
    (tmp_path / "demo").mkdir()
    shutil.copy(DEMO_CATALOG_DIR / "item_vectors.npz", tmp_path / "demo" / "item_vectors.npz")
    summary = build_demo_catalog(SHARED, tmp_path / "demo", progress=False)
    assert summary["vectors"]["reused"] is True
    for name in ("items.jsonl.gz", "interactions.csv.gz", "catalog.json", "item_vectors.npz"):
        assert (tmp_path / "demo" / name).read_bytes() == (DEMO_CATALOG_DIR / name).read_bytes(), name
