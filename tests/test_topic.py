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

    monkeypatch.setattr(series_wish, "wish_topic", lambda _texts, _known=(): None)
    r = agent.turn(agent.new_session(), "I loved Toy Story. Now a movie about space monsters")
    assert len(r.recommendations) == 1 and "about" not in r.reply


KNOWN = frozenset({"shark", "alien", "robot", "police chief", "date", "tom"})


@pytest.mark.parametrize(("text", "topic"), [
    # "a shark movie", "a good alien movie", "something with robots" listed Black Panther, It and Get Out
    ("a shark movie", "shark"),
    ("a good alien movie please", "alien"),
    ("something with robots", "robots"),
    ("any good police chief movies?", "police chief"),
    # "I loved Jaws. Any other shark movies?" read no subject: "other" and a message opening on the subject
    ("I loved Jaws. Any other shark movies?", "shark"),
    ("shark movies please", "shark"),
    ("Some more shark movies", "shark"),
    ("A Tom Hanks movie", None),
    ("date movies", None),
    # a name, an audience, a genre or kind, or a word the catalog's plot keywords do not know: no subject
    ("a good Tom Hanks movie", None),
    ("a good date movie", None),
    ("a good horror movie", None),
    ("a good zombie movie", None),
    ("a good spaceship movie", None),
    ("something with Tom Cruise", None),
])
def test_a_subject_the_catalog_knows_may_be_named_without_about(text, topic):
    assert topic_of(text, KNOWN) == topic
    assert topic_of(text) is None  # without the catalog's words, only "about ..." names a subject


def test_the_keyword_vocabulary_holds_what_three_films_share():
    from agent.turn.topic import keyword_vocabulary
    from tools.catalog.catalog import Catalog, Item

    def film(i: str, *keywords: str) -> Item:
        return Item(i, f"Film {i}", 2000, attributes={"keywords": list(keywords)})

    cat = Catalog((film("1", "shark", "beach"), film("2", "sharks", "police chief"), film("3", "shark", "Police chief"),
                   film("4", "police chiefs")))
    assert keyword_vocabulary(cat) == {"shark", "police chief"}


@pytest.mark.parametrize(("text", "audience"), [
    ("a good date movie", "date_night"),
    ("any good kids movies?", "family"),
    ("a movie for date night", "date_night"),
])
def test_who_watches_is_read_from_date_and_kids_movies(text, audience):
    from agent.turn.understand import parse
    from tools.catalog.catalog import load_catalog
    from tools.resolve.titles import TitleResolver

    assert parse(text, TitleResolver(load_catalog().items)).audience == audience
