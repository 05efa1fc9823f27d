"""PeopleIndex: full names anywhere, cued unique surnames, nothing from catalogs without people."""

from __future__ import annotations

from tools.catalog.catalog import Item
from tools.resolve.people import PeopleIndex

ITEMS = [
    Item("1", "Cast Away", 2000, attributes={"cast": ["Tom Hanks", "Helen Hunt"], "directors": ["Robert Zemeckis"]}),
    Item("2", "Big", 1988, attributes={"cast": [{"name": "Tom Hanks"}], "directors": "Penny Marshall"}),
    Item("3", "Bad Boys", 1995, attributes={"cast": ["Will Smith", "Martin Lawrence"], "directors": ["Michael Bay"]}),
    Item("4", "Hancock", 2008, attributes={"cast": ["Will Smith", "Charlize Theron"]}),
    Item("5", "The Pursuit", 2006, attributes={"cast": ["Jaden Smith"]}),
    Item("6", "Amélie", 2001, attributes={"cast": ["Audrey Tautou"]}),
    Item("7", "No People", 1999),
]


def test_full_names_any_case_with_role():
    idx = PeopleIndex(ITEMS)
    found = idx.find("something with tom hanks, not directed by Michael Bay")
    assert [(p.name, p.role) for p in found] == [("Tom Hanks", "cast"), ("Michael Bay", "director")]


def test_accents_folded_and_canonical_spelling():
    idx = PeopleIndex(ITEMS)
    assert idx.canonical("audrey TAUTOU") == "Audrey Tautou"
    assert [p.name for p in idx.find("films with Audrey Tautóu")] == ["Audrey Tautou"]


def test_unique_surname_needs_a_cue_and_a_capital():
    idx = PeopleIndex(ITEMS)
    assert [p.name for p in idx.find("anything directed by Zemeckis")] == ["Robert Zemeckis"]
    assert idx.find("Zemeckis is great") == []  # no cue
    assert idx.find("something by zemeckis") == []  # lower-case surname: too often an ordinary word


def test_shared_surname_is_not_guessed():
    idx = PeopleIndex(ITEMS)
    assert idx.find("a movie with Smith") == []  # Will Smith or Jaden Smith
    assert [p.name for p in idx.find("a movie with Will Smith")] == ["Will Smith"]


def test_catalog_without_people_finds_nothing():
    idx = PeopleIndex([Item("1", "Alien", 1979), Item("2", "Heat", 1995, attributes={"cast": None})])
    assert len(idx) == 0
    assert idx.find("something with Tom Hanks") == []
    assert "Tom Hanks" not in idx


def test_a_unique_first_name_after_a_cue_names_the_person():
    idx = PeopleIndex(ITEMS)
    assert [p.name for p in idx.find("more charlize please")] == ["Charlize Theron"]
    assert [p.name for p in idx.find("something starring Audrey")] == ["Audrey Tautou"]
    # no cue, a shared first name ("Will": Will Smith only, but 4 letters) or a short one: nobody
    assert idx.find("Charlize was great") == []
    assert idx.find("more will please") == [] and idx.find("with Tom") == []


def test_a_far_better_known_namesake_and_the_other_surname_cues():
    items = [Item(str(i), f"Nolan film {i}", 2000 + i, popularity=100.0, attributes={"directors": ["Christopher Nolan"]})
             for i in range(3)]
    items += [Item("9", "Old Western", 1950, popularity=2.0, attributes={"cast": ["Lloyd Nolan"]}),
              Item("10", "Alien", 1979, popularity=90.0, attributes={"directors": ["Ridley Scott"]}),
              Item("11", "Step Brothers", 2008, popularity=60.0, attributes={"cast": ["Adam Scott"]})]
    idx = PeopleIndex(items)
    for text in ("More Nolan please", "I love Nolan's films", "a Nolan movie", "another Nolan"):
        assert [p.name for p in idx.find(text)] == ["Christopher Nolan"], text
    assert idx.find("Nolan is overrated") == []  # still needs a cue
    assert idx.find("something by Scott") == []  # Ridley Scott is not three times as mentioned as Adam Scott


def test_weak_surname_cues_need_a_director_or_a_star():
    items = [Item("1", "Mr. Bean's Holiday", 2007, popularity=5.0, attributes={"cast": ["Rowan Atkinson"]}),
             Item("2", "GoldenEye", 1995, popularity=40.0, attributes={"cast": ["Sean Bean"]}),
             Item("3", "Little Children", 2006, popularity=3.0, attributes={"cast": ["Elizabeth Marvel"]}),
             Item("4", "Pulp Fiction", 1994, popularity=600.0, attributes={"directors": ["Quentin Tarantino"]}),
             Item("5", "Waterboy", 1998, popularity=900.0, attributes={"cast": ["Adam Sandler"]})]
    idx = PeopleIndex(items)
    assert idx.find("Mr. Bean's Holiday is not my speed") == []
    assert idx.find("the best Marvel movies for my son") == [] and idx.find("something from Marvel") == []
    assert [p.name for p in idx.find("a movie with Marvel in it")] == ["Elizabeth Marvel"]  # a person cue
    assert [p.name for p in idx.find("Tarantino movies I missed")] == ["Quentin Tarantino"]
    assert [p.name for p in idx.find("more Sandler please")] == ["Adam Sandler"]  # a star
    # a surname turned down: "something like Pulp Fiction but not Tarantino" listed his films first
    for text in ("like Pulp Fiction but not Tarantino", "no Sandler please", "anything except Tarantino"):
        assert len(idx.find(text)) == 1, text
    assert idx.find("not Marvel, not Bean") == []  # neither a director nor a star


def test_a_bare_name_inside_a_longer_name_is_not_that_person():
    """"romantic movies but nothing with Nicholas Sparks" ruled out Thomas Ian Nicholas."""
    idx = PeopleIndex([*ITEMS, Item("8", "American Pie", 1999, attributes={"cast": ["Thomas Ian Nicholas"]})])
    assert [p.name for p in idx.find("anything with Nicholas")] == ["Thomas Ian Nicholas"]
    assert idx.find("nothing with Nicholas Sparks please") == []
    assert idx.find("anything directed by Zemeckis Jr") == []
    # the word "Movie(s)" of a title-cased message is no longer name
    assert [p.name for p in idx.find("A Zemeckis Movie please")] == ["Robert Zemeckis"]
    assert [p.name for p in idx.find("something by Zemeckis Movies")] == ["Robert Zemeckis"]


def test_a_misspelt_full_name_beside_a_cue_is_the_well_known_person():
    """"a 90s comedy with Jim Carey" ruled nothing in: the name was one letter short."""
    items = [Item(str(n), f"Film {n}", 1995, popularity=30.0, attributes={"cast": ["Jim Carrey", "Meryl Streep"]})
             for n in range(3)] + [Item("w", "John Wick", 2014, popularity=90.0, attributes={"cast": ["John Dick"]}),
                                   Item("o", "Obscure", 1990, attributes={"cast": ["Jim Carew"]})]
    idx = PeopleIndex(items)
    assert [p.name for p in idx.find("a 90s comedy with Jim Carey")] == ["Jim Carrey"]
    assert [p.name for p in idx.find("Meryl Streap movies")] == ["Meryl Streep"]
    assert idx.find("Jim Carey is great") == []  # no person cue
    assert idx.find("a John Wick movie") == []  # a film's title, not a misspelt John Dick
    assert idx.near_name("Jim Carew") is None  # written right: an exact name, not a typo
    assert idx.near_name("Zzz Qqq") is None


def test_a_bare_surname_ending_a_title_is_the_title_word():
    """"I loved Toy Story, another Toy Story movie please" listed Tim Story's Ride Along and Barbershop."""
    items = [Item("t", "Toy Story", 1995, popularity=400.0, attributes={"cast": ["Tom Hanks"]}),
             Item("r", "Ride Along", 2014, popularity=600.0, attributes={"directors": ["Tim Story"]})]
    idx = PeopleIndex(items)
    assert idx.find("another Toy Story movie please") == []
    assert idx.find("I loved Toy Story, a Toy Story movie") == []
    assert [p.name for p in idx.find("more Story movies")] == ["Tim Story"]  # no title word before it
    assert [p.name for p in idx.find("something directed by Tim Story")] == ["Tim Story"]


def test_a_bare_surname_opening_the_message_on_its_own_names_a_director_or_star():
    """"Tarantino but not too violent" got "tell me a genre, a decade, an actor or director"."""
    idx = PeopleIndex([Item("4", "Pulp Fiction", 1994, popularity=600.0, attributes={"directors": ["Quentin Tarantino"]}),
                       Item("3", "Little Children", 2006, popularity=3.0, attributes={"cast": ["Elizabeth Marvel"]})])
    for text in ("Tarantino but not too violent", "Tarantino please", "Tarantino?", "Tarantino's style"):
        assert [p.name for p in idx.find(text)] == ["Quentin Tarantino"], text
    assert idx.find("Tarantino films are my thing") != []  # "films" after it, as before
    assert idx.find("Marvel, please") == []  # a supporting actor's surname alone names nobody
    assert idx.find("Tarantino is a genius, what else is like that") == []  # not on its own
