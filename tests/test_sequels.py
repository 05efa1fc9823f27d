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


# -- the series Wikipedia names (tools/catalog/film_series.py) ---------------------------------------------

SAGA = Catalog((Item("s1", "Star Wars", 1977, popularity=900, attributes={"series": ["Star Wars"]}),
                Item("s2", "The Empire Strikes Back", 1980, popularity=300, attributes={"series": ["Star Wars"]}),
                Item("s3", "Return of the Jedi", 1983, popularity=200,
                     attributes={"series": ["Star Wars", "The Empire Strikes Back"]}),
                Item("s4", "Star Wars: Episode I – The Phantom Menace", 1999, popularity=100),
                Item("b1", "Blade Runner", 1982, popularity=400), Item("e1", "E.T. the Extra-Terrestrial", 1982),
                Item("k1", "The Dark Knight", 2008, popularity=800, attributes={"series": ["Batman Begins"]}),
                Item("k2", "The Dark Knight Rises", 2012, attributes={"series": ["The Dark Knight", "Batman"]}),
                Item("k3", "Batman", 1989, attributes={"series": ["Batman"]}), Item("k4", "Logan", 2017)))


def test_film_kin_joins_titles_and_the_series_wikipedia_names():
    from agent.turn.franchise import film_kin, franchise_tokens

    by_id = SAGA.by_id
    # by title alone Return of the Jedi is kin of nothing; its series ties it to Star Wars and Episode I
    assert not franchise_tokens("Return of the Jedi") & franchise_tokens("Star Wars")
    assert film_kin(by_id["s3"]) & film_kin(by_id["s1"]) and film_kin(by_id["s3"]) & film_kin(by_id["s4"])
    assert film_kin(by_id["k2"]) & film_kin(by_id["k3"])  # The Dark Knight Rises is a Batman film
    assert not film_kin(by_id["b1"]) & film_kin(by_id["s1"])


def test_the_slate_caps_a_series_the_titles_do_not_show():
    """"I loved Star Wars" showed The Empire Strikes Back, Return of the Jedi and two prequels: four films of one
    franchise, two of them without "Star Wars" in the title."""
    from agent.turn.franchise import film_kin
    from agent.turn.slate import build_slate

    ranked = ["s2", "s3", "s4", "b1", "e1"]
    title = lambda i: SAGA.get(i).title  # noqa: E731
    assert build_slate(ranked, title, size=3) == ["s2", "s3", "s4"]  # titles alone: no franchise in common
    assert build_slate(ranked, title, size=3, kin_of=lambda i: film_kin(SAGA.get(i))) == ["s2", "s3", "b1"]


def test_a_liked_films_series_turned_down_is_left_out_not_disliked():
    """"something like Star Wars but no Star Wars movies" showed The Empire Strikes Back and Return of the Jedi;
    "like The Dark Knight but not Batman" kept The Dark Knight Rises."""
    star_wars = TitleRef("s1", "Star Wars", "Star Wars")
    text = "something like Star Wars but no star wars movies please"
    u = with_series_ruled_out(StateUpdate(act="recommend", more_like=(star_wars,)), text, SAGA)
    assert [r.item_id for r in u.left_out] == ["s2", "s3", "s4"]  # most mentioned first
    assert u.more_like == (star_wars,) and not u.disliked  # the anchor stays; nothing counts as a taste
    # loving the series is no ruling out
    loved = StateUpdate(act="recommend", liked=(star_wars,))
    assert with_series_ruled_out(loved, "I loved Star Wars movies", SAGA) is loved
    batman = TitleRef("k3", "Batman", "Batman")
    u = with_series_ruled_out(StateUpdate(act="recommend", more_like=(TitleRef("k1", "the dark knight", "The Dark Knight"),),
                                          disliked=(batman,)), "something like the dark knight but not Batman", SAGA)
    assert "k2" in {r.item_id for r in u.disliked} and "k1" not in {r.item_id for r in u.disliked}


def test_left_out_films_are_never_shown_and_are_no_taste():
    from agent.state import DialogueState
    from agent.turn.dialogue import apply_update, request_for

    state = DialogueState()
    u = StateUpdate(act="recommend", more_like=(TitleRef("s1", "Star Wars", "Star Wars"),),
                    left_out=(TitleRef("s2", "Star Wars", "The Empire Strikes Back"),))
    apply_update(state, u)
    req = request_for(state, ["something like Star Wars but no star wars movies"])
    assert "s2" in state.excluded_ids() and "s2" not in req.disliked and "s2" not in req.mentioned
    assert StateUpdate.from_dict(u.to_dict()) == u


@pytest.mark.parametrize(("extract", "title", "series"), [
    ("The Empire Strikes Back is a 1980 space opera film. The sequel to Star Wars (1977), it is the second film in "
     "the Star Wars film series.", "The Empire Strikes Back", ["Star Wars"]),
    ("The Dark Knight Rises is a 2012 superhero film. Based on the DC Comics character Batman, it is the final "
     "installment in Nolan's The Dark Knight trilogy, and the sequel to The Dark Knight (2008).",
     "The Dark Knight Rises", ["The Dark Knight", "Batman"]),
    ("Skyfall is a 2012 spy film and the twenty-third in the James Bond series produced by Eon Productions.",
     "Skyfall", ["James Bond"]),
    ("Batman is a 1989 superhero film based on the DC Comics character of the same name.", "Batman (1989 film)",
     ["Batman"]),
    ("Halloween II is a 2009 slasher film. It is a sequel to Rob Zombie's 2007 remake of the 1978 film.",
     "Halloween II", []),
    ("Ocean's Thirteen is a 2007 heist film, the sequel to Ocean's Twelve (2004). It is the final film in the "
     "Ocean's trilogy.", "Ocean's Thirteen", ["Ocean's", "Ocean's Twelve"]),
    ("The Hobbit is a 2013 fantasy film, the prequel to Jackson's The Lord of the Rings film trilogy.", "The Hobbit",
     ["The Lord of the Rings"]),
    # a television or book series is not the film's series; a sentence end is no part of a name
    ("Men in Black is a 1997 comedy film based on the comic series by Lowell Cunningham. It stars Will Smith.",
     "Men in Black", []),
    ("Kick-Ass 2 is a 2013 superhero film and the sequel to Kick-Ass. It was written by Jeff Wadlow.", "Kick-Ass 2",
     ["Kick-Ass"]),
    ("Heat is a 1995 crime film written and directed by Michael Mann.", "Heat", []),
    (None, "Heat", []),
])
def test_film_series_reads_the_series_from_the_opening_paragraph(extract, title, series):
    from tools.catalog.film_series import film_series

    assert film_series(extract, title) == series


def test_the_demo_catalog_knows_the_star_wars_films_are_one_series():
    from agent.turn.franchise import film_kin

    cat = load_catalog()
    films = {it.title: it for it in cat.items if it.title in ("Star Wars", "The Empire Strikes Back", "Return of the Jedi")}
    assert len(films) == 3 and all(it.series for it in films.values())
    assert film_kin(films["The Empire Strikes Back"]) & film_kin(films["Return of the Jedi"]) & film_kin(films["Star Wars"])
