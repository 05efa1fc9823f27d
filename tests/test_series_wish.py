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
    # a verb of wanting, or nothing at all, before "<series> movies" asks for its films too
    ("I want to watch James Bond movies", ["James Bond"]),
    ("show me some good Alien films", ["Alien"]),
    ("James Bond movies please", ["James Bond"]),
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
    assert subject.note(["b1", "h1"]) == " Only 1 of these is one of the James Bond films I know of; the other one is another pick."
    assert "None of the James Bond films" in subject.note(["h1", "a1"])
    assert SlateSubject().note(["h1"]) == "" and slate_subject(None, CAT, None, ["hello"], INDEX) == SlateSubject()


def test_the_demo_catalog_knows_the_bond_films():
    cat = load_catalog()
    index = SeriesIndex(cat.items)
    (bond,) = index.find("a good James Bond movie")
    titles = {cat.get(i).title for i in bond.films}
    assert {"Skyfall", "Casino Royale", "GoldenEye"} <= titles and len(titles) >= 10


# -- studios ("a Pixar movie", "no Disney movies") ------------------------------------------------------------

def _made(i: str, title: str, *studios: str) -> Item:
    return Item(i, title, 2010, attributes={"studios": list(studios)})


STUDIO_CAT = Catalog((_made("p1", "Up", "Pixar", "Disney"), _made("p2", "Coco", "Pixar", "Disney"),
                      _made("d1", "Frozen", "Disney"), _made("m1", "Thor", "Marvel"), _made("m2", "Logan", "Marvel"),
                      _made("g1", "Ponyo", "Studio Ghibli"), _made("g2", "Grave of the Fireflies", "Studio Ghibli"),
                      _made("w1", "Wonder Woman", "DC"), _made("w2", "Aquaman", "DC"), _made("s1", "Shrek", "DreamWorks")))
STUDIOS = SeriesIndex(STUDIO_CAT.items)


@pytest.mark.parametrize(("extract", "studios"), [
    ("Up is a 2009 animated film produced by Pixar Animation Studios for Walt Disney Pictures.", ["Pixar", "Disney"]),
    ("Inside Out is a 2015 animated film produced by Pixar Animation Studios and released by Walt Disney Studios "
     "Motion Pictures.", ["Pixar", "Disney"]),  # Pixar's films are Disney's too; the distributor alone is not
    ("The Avengers is a 2012 superhero film based on the Marvel Comics superhero team. Distributed by Walt Disney "
     "Studios Motion Pictures.", ["Marvel"]),
    ("Planes: Fire & Rescue is a 2014 animated film and a spin-off of Pixar's Cars, produced by Disneytoon Studios.",
     ["Disney"]),  # the possessive credits another film
    ("Heat is a 1995 crime film written and directed by Michael Mann.", []),
    (None, []),
])
def test_film_studios_reads_the_studios_people_ask_for(extract, studios):
    from tools.catalog.film_studios import film_studios

    assert film_studios(extract) == studios


@pytest.mark.parametrize(("text", "asked", "refused"), [
    ("any pixar movie my 5 year old hasn't seen", ["Pixar"], []),
    ("something from Studio Ghibli", ["Studio Ghibli"], []),
    ("a ghibli film please", ["Studio Ghibli"], []),
    ("any Marvel movies but not DC", ["Marvel"], ["DC"]),
    ("an animated movie but nothing from Disney", [], ["Disney"]),
    ("no Disney movies please", [], ["Disney"]),
    ("I love Pixar", [], []),  # a taste, no wish for a film of it
    # ... but its films liked as a whole ask for more of them ("I loved Ghibli movies" was an unknown film)
    ("I loved Ghibli movies, especially Spirited Away", ["Studio Ghibli"], []),
    ("I'm a big fan of Pixar films", ["Pixar"], []),
    ("a DreamWorks movie", [], []),  # one film: no studio to ask for
])
def test_a_studio_is_asked_for_or_turned_down(text, asked, refused):
    assert [m.name for m in STUDIOS.find(text)] == asked and all(m.kind == "studio" for m in STUDIOS.find(text))
    assert [m.name for m in STUDIOS.find_refused(text)] == refused


def test_a_studio_wish_is_recorded_and_a_studio_turned_down_is_left_out():
    u = with_series_wish(StateUpdate(act="recommend", genres_liked=("animation",), unsupported=("studio",)),
                         "an animated movie but nothing from Disney", STUDIOS)
    assert {r.item_id for r in u.left_out} == {"p1", "p2", "d1"} and not u.disliked and u.unsupported == ()
    u = with_series_wish(StateUpdate(act="chit_chat", unsupported=("studio",)), "a Pixar movie", STUDIOS)
    assert u.series == ("Pixar",) and u.act == "recommend" and not u.unsupported and not u.left_out
    subject = slate_subject(None, STUDIO_CAT, None, ["a Pixar movie"], STUDIOS)
    # five Pixar films are no five Toy Story films: the franchise cap stays
    assert subject.films == {"p1", "p2"} and subject.kind == "studio" and not subject.series
    assert subject.note(["p1", "d1"]) == " Only 1 of these is one of the Pixar films I know of; the other one is another pick."


@pytest.mark.parametrize(("text", "refused"), [
    ("no James Bond movies please", ["James Bond"]),
    ("a spy movie, nothing from the James Bond series", ["James Bond"]),
    ("action movies, no Fast and Furious movies", ["Fast & Furious"]),
    ("nothing with aliens please", []),  # a subject in lower case, no series
    ("not a good James Bond", []),  # no film of it named
])
def test_a_series_turned_down_by_name(text, refused):
    assert [m.name for m in INDEX.find_refused(text)] == refused


def test_a_series_turned_down_is_left_out_unless_a_title_names_it():
    """"any good heist movies?", then "no Ocean's movies" listed Ocean's Eleven and Ocean's Twelve: "Ocean's" is
    no film's title, so only the studio refusals were read. A series whose name is a title ("no Alien movies")
    stays a disliked title, the whole series with it (``agent.turn.sequels.with_series_ruled_out``)."""
    u = with_series_wish(StateUpdate(act="refine"), "no James Bond movies", INDEX)
    # the 1999 film titled "James Bond" goes with the series' name, though it is no film of it
    assert {r.item_id for r in u.left_out} == {"b1", "b2", "b3", "j1"} and not u.disliked and not u.series
    alien = TitleRef("a1", "Alien", "Alien")
    u = with_series_wish(StateUpdate(act="recommend", disliked=(alien,)), "no Alien movies", INDEX)
    assert u.disliked == (alien,) and not u.left_out


def test_a_series_seen_in_full_is_left_out_and_its_best_known_films_are_talk():
    """"I've seen all the Marvel movies, what else is good?" listed Black Panther, The Avengers and Thor: Ragnarok;
    "I watched all of the Harry Potter films, something similar" listed Harry Potter films, then (left out) Black
    Panther and It: the films seen say what the user watches."""
    from agent.turn.series_wish import SEEN_ALL_CONTEXT

    films = [Item(f"h{n}", f"Harry Potter {n}", 2000 + n, popularity=float(n), attributes={"series": ["Harry Potter"]})
             for n in range(1, 6)]
    index = SeriesIndex((*films, Item("hx", "Harry Potter", None)))
    [mention] = index.find_refused("I watched all of the Harry Potter films, something similar")
    assert mention.seen_all and not index.find("I watched all of the Harry Potter films")
    u = with_series_wish(StateUpdate(act="recommend"), "I watched all of the Harry Potter films, something similar", index)
    assert [r.item_id for r in u.seen] == ["h5", "h4", "h3"][:SEEN_ALL_CONTEXT]  # the best known are talk
    assert {r.item_id for r in u.left_out} == {"h1", "h2", "hx"}  # the rest, and the row titled the name, left out
    assert not index.find_refused("any Harry Potter films?")
    assert index.best_known("harry potter") == ("h5", "h4", "h3", "h2", "h1") and index.titled("Harry Potter") == {"hx"}
    # a film the message already placed is no talk to add: the next best known takes its place
    h5 = TitleRef("h5", "Harry Potter 5", "Harry Potter 5")
    u = with_series_wish(StateUpdate(act="recommend", disliked=(h5,)),
                         "I watched all of the Harry Potter films, something similar", index)
    assert [r.item_id for r in u.seen] == ["h4", "h3", "h2"][:SEEN_ALL_CONTEXT]


def test_more_like_a_series_by_its_name_leaves_its_films_out_and_talks_of_the_best_known():
    """"something like Harry Potter" opened with the Philosopher's Stone and the Chamber of Secrets: whoever
    names a series by a name none of its films has knows its films. The films titled with the name are the talk (Fantastic Beasts,
    of the series by Wikipedia, is no "which you mentioned"); a film named by its own title keeps its kin."""
    from agent.turn.series_wish import SEEN_ALL_CONTEXT

    films = [Item(f"h{n}", f"Harry Potter {n}", 2000 + n, popularity=float(n), attributes={"series": ["Harry Potter"]})
             for n in range(1, 6)]
    beasts = Item("fb", "Fantastic Beasts", 2016, popularity=99.0, attributes={"series": ["Harry Potter"]})
    index = SeriesIndex((*films, beasts, Item("hx", "Harry Potter", None)))
    row = TitleRef("hx", "Harry Potter", "Harry Potter")
    u = with_series_wish(StateUpdate(act="recommend", more_like=(row,)), "something like Harry Potter", index)
    assert [r.item_id for r in u.seen] == ["h5", "h4", "h3"][:SEEN_ALL_CONTEXT]
    assert {r.item_id for r in u.left_out} == {"h1", "h2", "fb"}
    assert u.more_like == (row,) and not u.series
    # a film of the series by its full title, a sequel number, a series liked outright: no change
    h2 = TitleRef("h2", "Harry Potter 2", "Harry Potter 2")
    for plain, text in ((StateUpdate(act="recommend", more_like=(h2,)), "something like Harry Potter 2"),
                        (StateUpdate(act="recommend", liked=(row,)), "I loved Harry Potter")):
        assert with_series_wish(plain, text, index) is plain
    # a name that is a series but the film resolved outside it; a film titled the name that is of the series
    # ("like The Matrix" may mean the 1999 film, whose sequels are fair picks)
    other = TitleRef("zz", "Harry Potter", "Harry Potter Tribute")
    assert with_series_wish(StateUpdate(act="recommend", more_like=(other,)), "like Harry Potter", index).left_out == ()
    toy = TitleRef("t1", "Toy Story", "Toy Story")
    plain = StateUpdate(act="recommend", more_like=(toy,))
    assert with_series_wish(plain, "something like Toy Story", INDEX) is plain


@pytest.mark.parametrize(("kind", "cap"), [("series", 5), ("studio", 1), ("topic", 2), ("", 2)])
def test_a_slate_holds_one_film_per_franchise_for_a_studio_and_any_number_for_a_series(kind, cap):
    """"any pixar movie ... he's seen Cars and Up" showed Toy Story 3, Cars 3, Cars 2, Coco and Toy Story."""
    assert SlateSubject("x films", frozenset({"1"}), kind).per_franchise(5) == cap


def test_a_series_turned_down_without_movies_after_its_name_and_a_lookalike_title_read_for_it():
    """"a heist movie, not Ocean's" showed Ocean's Thirteen: "Ocean's" alone was no refusal of the series, and the
    title resolver had read it as Oceans (2010, a documentary) turned down -- a title of no film of the series."""
    cat = load_catalog()
    index = SeriesIndex(cat.items)
    text = "I'm in the mood for a heist movie, not Ocean's"
    assert [m.name for m in index.find_refused(text)] == ["Ocean's"]
    assert [m.name for m in index.find_refused("I liked The Dark Knight but none of the other Batman movies")] == ["Batman"]
    assert index.find_refused("not a good James Bond") == [] and index.find_refused("not Alien, something scary") == []
    documentary = next(it for it in cat.items if it.title == "Oceans")
    u = with_series_wish(StateUpdate(act="recommend", disliked=(TitleRef(documentary.item_id, "Ocean's", "Oceans"),)),
                         text, index)
    left_out = {cat.get(r.item_id).title for r in u.left_out}
    assert {"Ocean's Eleven", "Ocean's Twelve", "Ocean's Thirteen"} <= left_out and not u.disliked


def test_a_series_named_after_a_film_joins_that_films_series():
    """The Dark Knight's paragraph calls it the sequel to Batman Begins: "Batman movies" never showed it."""
    cat = [Item("b1", "Batman", 1989, attributes={"series": ["Batman"]}),
           Item("b2", "Batman Returns", 1992, attributes={"series": ["Batman"]}),
           Item("b3", "Batman Begins", 2005, attributes={"series": ["Batman"]}),
           Item("d1", "The Dark Knight", 2008, attributes={"series": ["Batman Begins"]}),
           Item("x1", "Heat", 1995, attributes={"series": ["Collateral"]})]
    index = SeriesIndex(cat)
    assert index.films("Batman") == {"b1", "b2", "b3", "d1"}
    assert index.films("Collateral") == frozenset()  # no film is titled so: nothing to join
