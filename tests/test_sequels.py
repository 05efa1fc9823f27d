"""'I loved The Matrix but hated the sequels' recommended The Matrix Reloaded and Revolutions first."""

from __future__ import annotations

import pytest

from agent.turn.sequels import sequels_of, with_sequels_disliked, with_series_ruled_out
from agent.turn.state_update import StateUpdate, TitleRef
from agent.turn.understand import parse
from tools.catalog.catalog import Catalog, Item, load_catalog
from tools.resolve.titles import TitleResolver

CAT = Catalog((Item("1", "The Matrix", 1999), Item("2", "The Matrix Reloaded", 2003),
               Item("3", "The Matrix Revolutions", 2003), Item("4", "Alien", 1979), Item("5", "Aliens", 1986),
               Item("6", "Alien: Resurrection", 1997), Item("7", "The Animatrix", 2003), Item("8", "Toy Story", 1995),
               Item("9", "Toy Story 2", 1999), Item("10", "Heat", 1995), Item("11", "Alien Nation", 1988),
               Item("12", "Alien Dead", 1980), Item("13", "Alien 51", 2004), Item("14", "Shrek", 2001),
               Item("15", "Shrek the Third", 2007), Item("16", "Shrek Forever After", 2010),
               Item("17", "Aliens in the Wild Wild West", 1999), Item("18", "Alien: Covenant", 2017)))
MATRIX = TitleRef("1", "The Matrix", "The Matrix")


def test_sequels_are_the_later_films_of_the_series():
    assert [r.title for r in sequels_of(["1"], CAT)] == ["The Matrix Reloaded", "The Matrix Revolutions"]
    # other films whose titles start with "Alien" are not its sequels (they were, and crowded out Covenant)
    assert [r.title for r in sequels_of(["4"], CAT)] == ["Aliens", "Alien: Resurrection", "Alien: Covenant"]
    # sequels named by an ordinal in words
    assert [r.title for r in sequels_of(["14"], CAT)] == ["Shrek the Third", "Shrek Forever After"]
    assert [r.title for r in sequels_of(["9"], CAT)] == []  # nothing after Toy Story 2 here; Toy Story came before
    assert sequels_of(["10"], CAT) == [] and sequels_of(["nope"], CAT) == []


def test_disliked_sequels_join_the_disliked_films():
    u = with_sequels_disliked(StateUpdate(act="recommend", liked=(MATRIX,), sequels_disliked=True), [], CAT)
    assert [r.item_id for r in u.disliked] == ["2", "3"] and u.liked == (MATRIX,)
    # "no sequels please" on its own: the films liked earlier in the dialogue
    u = with_sequels_disliked(StateUpdate(act="chit_chat", sequels_disliked=True), ["8"], CAT)
    assert [r.item_id for r in u.disliked] == ["9"] and u.act == "recommend"
    plain = StateUpdate(act="recommend", liked=(MATRIX,))
    assert with_sequels_disliked(plain, [], CAT) is plain


@pytest.mark.parametrize(("text", "disliked"), [
    ("I loved The Matrix but hated the sequels", True),
    ("I loved The Matrix, the sequels were terrible", True),
    ("loved Alien, not the sequels", True),
    ("I love Toy Story and its sequels", False),
    ("I loved The Matrix", False),
])
def test_the_parser_reads_sequels_the_user_dislikes(text, disliked):
    assert parse(text, TitleResolver(load_catalog().items)).sequels_disliked is disliked


@pytest.mark.parametrize(("text", "surface", "series"), [
    ("recommend a movie with Keanu Reeves but not The Matrix", "The Matrix", True),
    ("something sci-fi, no Matrix movies", "Matrix", True),
    ("anything except the Toy Story films", "Toy Story", True),
    ("I hated The Matrix", "The Matrix", False),  # one film: the series is not named as such
    ("not Toy Story 2", "Toy Story 2", False),  # a numbered title is that film
])
def test_a_series_turned_down_by_name_is_the_whole_series(text, surface, series):
    """"a movie with Tom Cruise but not Mission Impossible" showed two Mission: Impossible sequels."""
    ref = {"The Matrix": MATRIX, "Matrix": TitleRef("1", "Matrix", "The Matrix"),
           "Toy Story": TitleRef("8", "Toy Story", "Toy Story"), "Toy Story 2": TitleRef("9", "Toy Story 2", "Toy Story 2")}
    u = with_series_ruled_out(StateUpdate(act="recommend", disliked=(ref[surface],)), text, CAT)
    got = {r.title for r in u.disliked}
    if series and surface != "Toy Story":
        assert {"The Matrix", "The Matrix Reloaded", "The Matrix Revolutions"} <= got and "Heat" not in got
    elif series:
        assert got == {"Toy Story", "Toy Story 2"}
    else:
        assert len(got) == 1


def test_a_series_named_with_movies_after_it_is_read_as_its_title():
    """"no Mission Impossible movies" was read as The Mission, "Star Wars movies" as Star!: the words
    "movies"/"films" after a title made it an adjective ("Marvel movies"), and a shorter title was taken."""
    resolver = TitleResolver(load_catalog().items)
    assert [r.title for r in parse("no Mission Impossible movies", resolver).disliked] == ["Mission: Impossible"]
    assert [r.title for r in parse("I love Star Wars movies", resolver).liked] == ["Star Wars"]
    assert not parse("any Marvel movies?", resolver).liked and not parse("Italian films please", resolver).liked
