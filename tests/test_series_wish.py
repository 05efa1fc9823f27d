""""a good James Bond movie" asked which of two obscure films titled "James Bond" was meant."""

from __future__ import annotations

import pytest

from agent.turn.series_wish import SlateSubject, slate_subject, with_series_wish
from agent.turn.state_update import StateUpdate, TitleRef, UnresolvedTitle
from tools.catalog.catalog import Catalog, Item, load_catalog
from tools.resolve.series import SeriesIndex


def _bond(i: str, title: str, year: int) -> Item:
    return Item(i, title, year, attributes={"series": ["James Bond"]})


CAT = Catalog((_bond("b1", "Skyfall", 2012), _bond("b2", "Casino Royale", 2006), _bond("b3", "GoldenEye", 1995),
               Item("j1", "James Bond", 1999), Item("a1", "Alien", 1979, attributes={"series": ["Alien"]}),
               Item("a2", "Aliens", 1986, attributes={"series": ["Alien"]}),
               Item("a3", "Alien 3", 1992, attributes={"series": ["Alien"]}),
               Item("f1", "Fast & Furious", 2009, attributes={"series": ["Fast & Furious"]}),
               Item("f2", "Furious 7", 2015, attributes={"series": ["Fast & Furious"]}),
               Item("f3", "Fast & Furious 6", 2013), Item("h1", "Heat", 1995, attributes={"series": ["Heat"]}),
               Item("t1", "Toy Story", 1995), Item("t2", "Toy Story 2", 1999, attributes={"series": ["Toy Story"]}),
               Item("t3", "Toy Story 3", 2010, attributes={"series": ["Toy Story"]}),
               Item("x1", "Untitled", None, attributes={"series": ["James Bond"], "recommendable": False})))
INDEX = SeriesIndex(CAT.items)


@pytest.mark.parametrize(("text", "series"), [
    ("a good James Bond movie", ["James Bond"]),
    ("any good james bond films?", ["James Bond"]),
    ("something from the Fast and Furious franchise", ["Fast & Furious"]),
    ("another fast & furious movie please", ["Fast & Furious"]),
    ("a good Alien movie", ["Alien"]),
    # a taste, a refusal, a subject in lower case, a series of fewer than three films: no wish
    ("I loved the James Bond movies", []),
    ("I loved Skyfall", []),
    ("not a James Bond movie", []),
    ("no James Bond movies please", []),
    ("a good alien movie", []),
    ("another Heat movie", []),
])
def test_a_series_is_wished_for_only_when_a_film_of_it_is_asked_for(text, series):
    assert [m.name for m in INDEX.find(text)] == series


def test_a_series_holds_the_films_named_for_it_and_those_titled_after_it():
    # Fast & Furious 6 names no series of its own; its title does; a placeholder row is no film; a film titled
    # the name itself is of the series when it came first (Toy Story), not when made after (James Bond, 1999)
    assert INDEX.films("fast and furious") == {"f1", "f2", "f3"}
    assert INDEX.films("The James Bond") == {"b1", "b2", "b3"}
    assert INDEX.films("toy story") == {"t1", "t2", "t3"}
    assert INDEX.films("Heat") == frozenset() and len(INDEX) == 4


def test_the_title_inside_the_series_name_is_no_question_and_no_taste():
    asked = UnresolvedTitle("James Bond", (TitleRef("j1", "James Bond", "James Bond"),), "ambiguous")
    u = StateUpdate(act="chit_chat", unresolved=(asked,))
    got = with_series_wish(u, "a good James Bond movie", INDEX)
    assert got.series == ("James Bond",) and not got.unresolved and got.act == "recommend" and got.has_preferences
    # a liked film beside it stays
    skyfall = TitleRef("b1", "Skyfall", "Skyfall")
    got = with_series_wish(StateUpdate(act="recommend", liked=(skyfall,)), "I loved Skyfall, another James Bond movie",
                           INDEX)
    assert got.liked == (skyfall,) and got.series == ("James Bond",)
    plain = StateUpdate(act="recommend", liked=(skyfall,))
    assert with_series_wish(plain, "I loved Skyfall", INDEX) is plain and with_series_wish(plain, "x", None) is plain
    assert StateUpdate.from_dict(got.to_dict()) == got


def test_the_slate_subject_is_the_newest_series_and_says_when_its_films_ran_out():
    subject = slate_subject(None, CAT, None, ["a good James Bond movie", "something more recent"], INDEX)
    assert subject.series and subject.films == {"b1", "b2", "b3"} and subject.label == "James Bond films"
    assert subject.note(["b1", "b2"]) == ""
    assert subject.note(["b1", "h1"]) == " Only 1 of these is one of the James Bond films; the other one is another pick."
    assert "None of the James Bond films" in subject.note(["h1", "a1"])
    assert SlateSubject().note(["h1"]) == "" and slate_subject(None, CAT, None, ["hello"], INDEX) == SlateSubject()


def test_the_demo_catalog_knows_the_bond_films():
    cat = load_catalog()
    index = SeriesIndex(cat.items)
    (bond,) = index.find("a good James Bond movie")
    titles = {cat.get(i).title for i in bond.films}
    assert {"Skyfall", "Casino Royale", "GoldenEye"} <= titles and len(titles) >= 10
