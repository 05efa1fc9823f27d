"""Context settles an ambiguous title (agent/turn/title_context.py), and moods and audiences shape
the request (agent/turn/dialogue.py): each with a case that must stay as it was."""

from __future__ import annotations

from agent.state import DialogueState
from agent.turn.dialogue import apply_update, request_for
from agent.turn.state_update import StateUpdate
from agent.turn.title_context import settle_by_context
from agent.turn.title_typos import unresolved_title
from tools.catalog.catalog import Item
from tools.resolve.title_resolution import Candidate, Resolution, distinct_films
from tools.resolve.titles import SpanMatch


def _film(item_id, title, year, pop, genres=(), cast=(), directors=()):
    return Item(item_id, title, year, tuple(genres), popularity=pop,
                attributes={"cast": list(cast), "directors": list(directors)})


HEAT_95 = _film("1", "Heat", 1995, 8, ("crime",), ("Al Pacino", "Robert De Niro"), ("Michael Mann",))
HEAT_96 = _film("2", "Heat", 1996, 44, ("crime",), ("Al Pacino", "Robert De Niro"), ("Michael Mann",))
HEAT_06 = _film("3", "Heat", 2006, 4, ("comedy",), ("Someone Else",))
FROZEN_13 = _film("10", "Frozen", 2013, 220, ("animation", "musical"), ("Kristen Bell",), ("Chris Buck",))
FROZEN_10 = _film("11", "Frozen", 2010, 35, ("horror",), ("Emma Bell",), ("Adam Green",))
IT_17 = _film("20", "It", 2017, 896, ("horror",), ("Bill Skarsgård",))
IT_90 = _film("21", "It", 1990, 191, ("horror",), ("Tim Curry",))


def _span(*films):
    res = Resolution("ambiguous", None, tuple(Candidate(f, 100.0) for f in films), 100.0)
    return SpanMatch(0, len(films[0].title), films[0].title, None, res)


def _picked(span):
    return span.resolution.item.item_id if span.resolution.status == "resolved" else None


def test_a_named_star_settles_which_film():
    [s] = settle_by_context([_span(HEAT_96, HEAT_95, HEAT_06)], "I liked Heat, something with Al Pacino", ["Al Pacino"])
    assert _picked(s) == "2"  # the twins 1995/1996 are one film: the more mentioned listing
    [s] = settle_by_context([_span(IT_17, IT_90)], "I liked It, the one with Tim Curry", ["Tim Curry"])
    assert _picked(s) == "21"


def test_children_words_pick_the_family_film():
    [s] = settle_by_context([_span(FROZEN_13, FROZEN_10)], "my kids loved Frozen", [])
    assert _picked(s) == "10"


def test_no_cue_or_a_cue_that_fits_every_film_keeps_the_question():
    [s] = settle_by_context([_span(IT_17, IT_90)], "I liked It", [])
    assert s.resolution.status == "ambiguous"
    [s] = settle_by_context([_span(IT_17, IT_90)], "my kids liked It", [])  # neither is a family film
    assert s.resolution.status == "ambiguous"
    [s] = settle_by_context([_span(HEAT_96, HEAT_06)], "I liked Heat with Val Kilmer", ["Val Kilmer"])
    assert s.resolution.status == "ambiguous"


def test_twins_are_offered_once_in_the_question():
    assert [f.item_id for f in distinct_films([HEAT_96, HEAT_95, HEAT_06])] == ["2", "3"]
    u = unresolved_title("Heat", Resolution("ambiguous", None, (Candidate(HEAT_96, 100), Candidate(HEAT_95, 100),
                                                                 Candidate(HEAT_06, 100)), 100))
    assert [c.title for c in u.candidates] == ["Heat (1996)", "Heat (2006)"]
    # films without credits are never merged: nothing says they are the same film
    bare = [_film("30", "Frozen", 2007, 1), _film("31", "Frozen", None, 13)]
    assert len(distinct_films(bare)) == 2


def test_a_lighter_mood_rules_out_horror_unless_asked_for():
    state = DialogueState()
    apply_update(state, StateUpdate(act="replace", moods=("light",)))
    req = request_for(state, ["something lighter instead"])
    assert "horror" in req.genres_exclude and "comedy" in req.genres_include
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", moods=("light",), genres_liked=("horror",)))
    req = request_for(state, ["a light horror comedy"])
    assert "horror" not in req.genres_exclude and req.genres_include == ("horror",)


def test_lighter_prefers_comedy_not_adventure_and_the_lead_says_so():
    """"something lighter instead" after Inception listed District 9, Die Hard and Children of Men: the
    catalog calls them adventure, and adventure counted as light; the lead never said "light"."""
    state = DialogueState()
    apply_update(state, StateUpdate(act="replace", moods=("light",)))
    req = request_for(state, ["something lighter instead"])
    assert "adventure" not in req.genres_include and set(req.genres_include) == {"comedy", "family", "animation"}
    assert state.constraints.describe() == "light"
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", moods=("funny",), genres_liked=("comedy",)))
    assert state.constraints.describe() == "comedy"  # "something funny" is the comedy it asked for, said once


def test_a_family_night_rules_out_crime_sagas():
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", audience="family"))
    req = request_for(state, ["something for a family night"])
    assert {"crime", "horror"} <= set(req.genres_exclude) and req.genres_include == ("family",)


def test_a_preferred_genre_never_contradicts_a_rule_out():
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", audience="young_children", moods=("mind-bending",)))
    req = request_for(state, ["a mind-bending film for my 6 year old"])
    assert not set(req.genres_include) & set(req.genres_exclude)


def test_a_scary_film_for_a_child_is_still_a_family_or_animation_film():
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", audience="family", genres_liked=("horror",)))
    req = request_for(state, ["a scary movie for my 10 year old"])
    assert req.genres_require == ("family", "animation") and "horror" in req.genres_include
    assert "horror" not in req.genres_exclude and "crime" in req.genres_exclude
    plain = DialogueState()
    apply_update(plain, StateUpdate(act="recommend", genres_liked=("horror",)))
    assert request_for(plain, ["a scary movie"]).genres_require == ()
