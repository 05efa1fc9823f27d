"""Lower-case titles and typos through a live turn (real store and ranker on the known world; no LLM).

Why at the turn level too: the parser's ``UnresolvedTitle(reason="typo")`` is only useful if the
reply asks "did you mean ...?" instead of recommending as if nothing had been said, and a
lower-case title must keep the film itself off the slate like a capitalised one does.
"""

from __future__ import annotations

from tests import test_turn_pipeline

#: the live-turn fixture on the known world (real store, ranker and resolver; no LLM)
agent = test_turn_pipeline.agent


def test_lowercase_liked_title_is_understood_and_not_recommended(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "loved alien, what next?")
    titles = [c.title for c in r.recommendations]
    assert titles and "Alien" not in titles and titles[0] == "Aliens"


def test_a_title_typed_on_its_own_in_lower_case_is_the_film_not_a_greeting(agent):
    """"alien" or "the sound of music!" alone got the welcome text; chat words alone still do."""
    for text, film, first in (("alien", "Alien", "Aliens"), ("the sound of music!", "The Sound of Music", None)):
        r = agent.turn(agent.new_session(), text)
        titles = [c.title for c in r.recommendations]
        assert titles and film not in titles, text
        assert f"movies like {film}" in r.reply and (first is None or titles[0] == first), (text, r.reply)
    for text in ("hello", "ok", "more", "yes", "perfect", "awesome"):
        r = agent.turn(agent.new_session(), text)
        assert not r.recommendations and "like" not in r.reply.split(".")[0], text


def test_unsure_typo_gets_a_did_you_mean_question(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "i loved the sond ov musik")
    assert r.reply.startswith("Did you mean The Sound of Music") and "don't know" not in r.reply
    assert not r.recommendations


def test_sure_typo_resolves_without_a_question(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "i loved the sund of mosic")
    assert "Did you mean" not in r.reply and r.recommendations
    assert "The Sound of Music" not in [c.title for c in r.recommendations]


def test_yes_to_did_you_mean_takes_the_film_with_the_first_message_polarity(agent):
    sid = agent.new_session()
    q = agent.turn(sid, "i loved the sond ov musik")
    assert q.reply.startswith("Did you mean The Sound of Music") and not q.recommendations
    r = agent.turn(sid, "yes")
    titles = [c.title for c in r.recommendations]
    assert titles and "The Sound of Music" not in titles and "Did you mean" not in r.reply
    state = agent.store.load_state(sid)
    liked_titles = [agent.services.catalog.get(i).title for i in state["liked"]]
    assert liked_titles == ["The Sound of Music"] and not state["pending_clarification"]
    assert state["wish_text"] == ["i loved The Sound of Music (1965)"]  # the settled message, once


def test_a_new_request_after_a_question_drops_it(agent):
    sid = agent.new_session()
    agent.turn(sid, "i loved the sond ov musik")
    r = agent.turn(sid, "actually just something scary from the 80s")
    assert r.recommendations and not agent.store.load_state(sid)["pending_clarification"]
    assert not agent.store.load_state(sid)["liked"]



def test_why_while_a_question_is_pending_answers_about_the_card_not_the_question(agent):
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Alien")
    state = agent.store.load_state(sid)
    # as after "I liked Heat": "Which Heat do you mean: ...?" (two options; this world has no such title)
    state["pending_clarification"] = {"text": "I liked Heat", "surface": "Heat",
                                      "options": [["3", "Toy Story"], ["4", "Up"]]}
    agent.store.save_state(sid, state, turn_count=state.get("turn_count", 1))
    why = agent.turn(sid, "why the second one?")
    assert not why.recommendations and not why.tool_trace
    assert first.recommendations[1].title in why.reply and "card 2" in why.reply
    after = agent.store.load_state(sid)
    assert "4" not in after["liked"] and not after["pending_clarification"]


def test_a_reply_that_answers_nothing_gets_the_question_again_and_no_declines_it(agent):
    sid = agent.new_session()
    agent.turn(sid, "i loved the sond ov musik")
    again = agent.turn(sid, "hmm")
    assert again.reply.startswith("Sorry, I didn't catch") and "Did you mean The Sound of Music" in again.reply
    assert agent.store.load_state(sid)["pending_clarification"]  # still open: "yes" settles it now
    r = agent.turn(sid, "yes")
    assert r.recommendations and "The Sound of Music" not in [c.title for c in r.recommendations]
    agent.turn(sid, "i loved the sond ov musik")
    no = agent.turn(sid, "no")
    assert no.reply.startswith("Okay — then I'm not sure") and not agent.store.load_state(sid)["pending_clarification"]


def test_a_wish_the_catalog_cannot_tell_is_said_not_greeted(agent):
    """"not french" got "Hi! I recommend movies…"; "a french comedy" listed comedies as if they were French
    (French is a kind now; Brazil is not among the languages and countries the catalog records)."""
    sid = agent.new_session()
    r = agent.turn(sid, "not brazilian")
    assert "country or language" in r.reply and "Hi!" not in r.reply and not r.recommendations
    r = agent.turn(sid, "a brazilian comedy")
    assert r.recommendations and "aren't chosen by that" in r.reply and "country or language" in r.reply
    r = agent.turn(sid, "a comedy")
    assert r.recommendations and "aren't chosen by that" not in r.reply


def test_hated_sequels_never_reach_the_slate(agent):
    """"I loved The Matrix but hated the sequels" listed The Matrix Reloaded and Revolutions first."""
    sid = agent.new_session()
    r = agent.turn(sid, "I loved Alien but hated the sequels")
    assert r.recommendations and "Aliens" not in [c.title for c in r.recommendations]
    state = agent.store.load_state(sid)
    assert "2" in state["disliked"] and "1" in state["liked"]


def test_a_question_about_a_film_gets_films_like_it_not_since_you_liked(agent):
    """"Is The Matrix any good?" was read as liking it: "Since you liked The Matrix, here are 5 picks"."""
    r = agent.turn(agent.new_session(), "Is Alien any good?")
    titles = [c.title for c in r.recommendations]
    assert titles and "Alien" not in titles
    assert "movies like Alien" in r.reply and "you liked" not in r.reply, r.reply
    # what the catalog knows of it comes first, for the user to judge (no opinion)
    assert r.reply.startswith("Alien (1979) is a"), r.reply


def test_film_facts_say_what_the_catalog_records_and_nothing_else():
    from types import SimpleNamespace

    from agent.replies import film_facts

    film = SimpleNamespace(display_title="Aliens (1986)", genres=("action", "horror", "science fiction", "thriller"),
                           directors=("James Cameron",), cast=("Sigourney Weaver", "Michael Biehn", "Paul Reiser",
                                                              "Lance Henriksen"))
    assert film_facts(film) == ("Aliens (1986) is an action, horror and science fiction film, directed by James "
                                "Cameron, with Sigourney Weaver, Michael Biehn and Paul Reiser.")
    bare = SimpleNamespace(display_title="Zorba", genres=(), directors=(), cast=())
    assert film_facts(bare) == "Zorba is a film."
