"""A subject the user names ("a movie about dogs") leads the slate with the films its words find."""

from __future__ import annotations

import pytest

from agent.turn.topic import topic_of, wish_topic


@pytest.mark.parametrize(("text", "topic"), [
    ("a movie about dogs", "dogs"),
    ("any films about the ocean, not too sad", "ocean"),
    ("a documentary about climate change", "climate change"),
    ("films about World War 2", "world war 2"),
    ("a film about a boy and his dog", "boy and his dog"),
    ("a movie about dogs and cats", "dogs"),
    ("something involving sharks please", "sharks"),
    # read elsewhere as genres, moods or kinds, or no subject at all
    ("documentaries about music", None),
    ("a movie about time travel", None),
    ("what about something with Morgan Freeman", None),
    ("how about Alien", None),
    ("movies about it", None),
    ("I loved Toy Story", None),
])
def test_the_subject_of_a_wish(text, topic):
    assert topic_of(text) == topic


def test_the_newest_subject_of_the_wish_holds_through_its_other_messages():
    assert wish_topic(["a movie about dogs", "none of those"]) == "dogs"
    assert wish_topic(["a movie about dogs", "something about cats instead"]) == "cats"
    assert wish_topic(["something funny"]) is None


def test_a_named_subject_leads_the_slate(tmp_path, monkeypatch):
    """"a movie about dogs" listed Black Panther and Jumanji: the ranker learned from ReDial's titles
    and genres and put the films the words found below every popular one, out of the ranked list."""
    import agent.turn.runner as runner
    import agent.turn.topic as topic
    from tests.test_turn_pipeline import agent as make_agent

    monkeypatch.setattr(topic, "TOPIC_TOP", 2)
    monkeypatch.setattr(runner, "RANK_DEPTH", 1)  # the subject's films are ranked on their own, not cut with the rest
    agent = make_agent.__wrapped__(tmp_path)
    r = agent.turn(agent.new_session(), "I loved Toy Story. Now a movie about space monsters")
    assert [c.title for c in r.recommendations] == ["Alien", "Aliens"]
    assert "about space monsters" in r.reply
    import agent.turn.series_wish as series_wish

    monkeypatch.setattr(series_wish, "wish_topic", lambda _texts: None)
    r = agent.turn(agent.new_session(), "I loved Toy Story. Now a movie about space monsters")
    assert len(r.recommendations) == 1 and "about" not in r.reply
