"""Answers to our own clarifying question turn back into the message that raised it."""

from __future__ import annotations

from agent.turn.clarify import PendingClarification, answer_to, pending_for
from agent.turn.state_update import TitleRef, UnresolvedTitle

MATRIX = PendingClarification("i loved teh matrx but hated avatar", "teh matrx", (("1", "The Matrix (1999)"),))
IT = PendingClarification("I liked It", "It", (("10", "It (1990)"), ("11", "It (2017)")))


def test_yes_settles_a_single_option_in_the_original_words():
    assert answer_to("yes", MATRIX) == "i loved The Matrix (1999) but hated avatar"
    assert answer_to("Yeah, that one", MATRIX) == "i loved The Matrix (1999) but hated avatar"


def test_yes_with_several_options_is_no_choice():
    assert answer_to("yes", IT) is None


def test_ordinal_year_and_title_pick_an_option():
    assert answer_to("the second one", IT) == "I liked It (2017)"
    assert answer_to("the 1990 one", IT) == "I liked It (1990)"
    assert answer_to("It (2017)", IT) == "I liked It (2017)"
    assert answer_to("2", IT) == "I liked It (2017)"
    assert answer_to("the last", IT) == "I liked It (2017)"


def test_a_year_off_by_one_picks_the_option_it_is_near():
    heat = PendingClarification("I liked Heat", "Heat", (("1", "Heat (1996)"), ("2", "Heat (2006)")))
    assert answer_to("the 1995 one", heat) == "I liked Heat (1996)"
    assert answer_to("2006", heat) == "I liked Heat (2006)"
    assert answer_to("the 2001 one", heat) is None
    close = PendingClarification("I liked X", "X", (("1", "X (1995)"), ("2", "X (1997)")))
    assert answer_to("the 1996 one", close) is None  # near both: no choice


def test_no_a_new_request_or_nothing_pending_settle_nothing():
    assert answer_to("no", MATRIX) is None
    assert answer_to("neither, I meant something else", IT) is None
    assert answer_to("yes but actually I want something funny from the 90s with Jim Carrey", MATRIX) is None
    assert answer_to("yes", None) is None
    assert answer_to("the third one", IT) is None  # only two options


def test_a_why_question_is_not_an_answer_even_with_an_ordinal():
    assert answer_to("why the second one?", IT) is None
    assert answer_to("explain the first one", IT) is None
    assert answer_to("why?", MATRIX) is None


def test_pending_round_trips_and_needs_options():
    u = UnresolvedTitle("teh matrx", (TitleRef("1", "teh matrx", "The Matrix (1999)"),), "typo")
    p = pending_for("i loved teh matrx", [u])
    assert p == PendingClarification("i loved teh matrx", "teh matrx", (("1", "The Matrix (1999)"),))
    assert PendingClarification.from_dict(p.to_dict()) == p
    assert pending_for("x", [UnresolvedTitle("Zorbulax", (), "unknown")]) is None
    assert PendingClarification.from_dict({}) is None


def test_a_person_in_one_option_picks_it():
    """"the one with Al Pacino" to "Which Heat …?" listed films with Al Pacino and left Heat unsettled."""
    credits = {"2": ("Al Pacino", "Robert De Niro", "Michael Mann"), "3": ("Dennis Hopper",),
               "5": ("Bill Skarsgård",), "6": ("Tim Curry",)}.get
    heat = PendingClarification("I loved Heat", "Heat", (("2", "Heat (1996)"), ("3", "Heat (2006)")))
    assert answer_to("the one with Al Pacino", heat, credits=credits) == "I loved Heat (1996)"
    assert answer_to("the Michael Mann one", heat, credits=credits) == "I loved Heat (1996)"
    assert answer_to("the pacino one", heat, credits=credits) == "I loved Heat (1996)"
    it = PendingClarification("I liked It", "It", (("5", "It (2017)"), ("6", "It (1990)")))
    assert answer_to("the one with Bill Skarsgard", it, credits=credits) == "I liked It (2017)"  # accents folded
    assert answer_to("the one with Tom Hanks", heat, credits=credits) is None
    assert answer_to("the one with Al Pacino", heat) is None  # no credits to read
    both = PendingClarification("I loved Heat", "Heat", (("2", "Heat (1996)"), ("7", "Heat (1987)")))
    assert answer_to("the Pacino one", both, credits={"2": ("Al Pacino",), "7": ("Al Pacino",)}.get) is None


def test_the_wish_itself_picks_the_one_option_that_fits_it():
    """"something for my 6 year old", then "she loved Frozen" asked which of three Frozens."""
    from agent.turn.clarify import pick_by_context

    frozen = UnresolvedTitle("Frozen", (TitleRef("13", "Frozen", "Frozen (2013)"), TitleRef("10", "Frozen", "Frozen (2010)"),
                                        TitleRef("7", "Frozen", "Frozen (2007)")), "ambiguous")
    genres = {"13": ("animation", "family", "musical"), "10": ("horror", "thriller"), "7": ("drama",)}.get
    assert pick_by_context([frozen], "young_children", (), genres) == ("Frozen", "Frozen (2013)")
    assert pick_by_context([frozen], None, ("horror",), genres) == ("Frozen", "Frozen (2010)")
    assert pick_by_context([frozen], None, (), genres) is None  # nothing said: we ask
    assert pick_by_context([frozen], None, ("comedy",), genres) is None  # no option fits: we ask
    two_horror = {"13": ("horror",), "10": ("horror",), "7": ("drama",)}.get
    assert pick_by_context([frozen], None, ("horror",), two_horror) is None  # two fit: we ask
    typo = UnresolvedTitle("Frozn", frozen.candidates, "typo")
    assert pick_by_context([typo], "young_children", (), genres) is None  # only a title several films share
