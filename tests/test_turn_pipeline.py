"""A live turn on the recommender pipeline (real store, real ranker on the known world; no LLM).

Each test feeds a case the turn must get right *and* would visibly fail otherwise: the
disliked genre on the slate, a new search instead of an answer to "why", a shown film
shown again, a look-alike instead of "I don't know that film".
"""

from __future__ import annotations

import pytest

from agent.explaining import CheckedExplainer
from agent.loop import WhyRecAgent
from agent.settings import Settings
from agent.state import DialogueState
from agent.turn.dialogue import apply_update, request_for
from agent.turn.state_update import StateUpdate, TitleRef
from tests.recsys_world import query_embedder, world
from tests.test_recsys import _training_rows
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.sources import ContentSource, CoSuggestionSource, PopularitySource, QuerySource
from tools.resolve.people import PeopleIndex
from tools.resolve.titles import TitleResolver
from tools.toolbox.agent_tools import ToolServices

CAT, SPACE, STATS = world()


@pytest.fixture
def agent(tmp_path):
    from agent.store.db import Store

    x, y, g = _training_rows(0)
    ranker = LearnedRanker.fit((x, y, g), None, RankerConfig(n_estimators=40, min_child_samples=5))
    rec = Recommender(SPACE, STATS, [CoSuggestionSource(STATS), ContentSource(SPACE), QuerySource(SPACE, query_embedder),
                                     PopularitySource(STATS.suggested)], ranker, depth=10)
    services = ToolServices(CAT, TitleResolver(CAT.items), None, recommender=rec, people=PeopleIndex(CAT.items))
    return WhyRecAgent(chat_model=None, services=services, store=Store(f"sqlite:///{tmp_path / 'w.db'}"),
                       settings=Settings(recs_per_turn=2, turn_budget_s=None), explainer=CheckedExplainer(None, CAT), versions={"catalog": CAT.version})


def _titles(result) -> list[str]:
    return [c.title for c in result.recommendations]


def test_likes_and_a_hated_genre_in_one_sentence(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "I loved Alien, but I hate musicals")
    assert _titles(r)[0] == "Aliens"
    assert "The Sound of Music" not in _titles(r) and "Alien" not in _titles(r)
    assert all(not t.startswith("Untitled") for t in _titles(r))
    assert r.tool_trace[-1].tool == "recommend"
    rec = agent.store.recommendation(r.recommendations[0].rec_id)
    assert rec["scores"]["contributions"] and "1" in rec["scores"]["supported_by"]  # Alien supports Aliens


def test_why_answers_from_the_stored_card_without_a_new_search(agent):
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Alien")
    why = agent.turn(sid, "why did you suggest the first one?")
    assert not why.recommendations and not why.tool_trace
    assert first.recommendations[0].title in why.reply and "card 1" in why.reply
    nope = agent.turn(sid, "why the fifth one?")
    assert "which card do you mean" in nope.reply.lower() and not nope.recommendations


def test_why_answer_speaks_words_not_feature_names_or_python_lists():
    """'Why the second one?' read "rank attributes (+0.68)" and "people include ['edgar wright']"."""
    from agent.turn.acts import why_answer
    from tools.explain.feature_words import FEATURE_WORDS
    from tools.recsys.features import FEATURES

    assert set(FEATURES) <= set(FEATURE_WORDS)  # a new feature needs its words
    rec = {"title": "The World's End (2013)", "explanation": {"text": "Hot Fuzz fans pick it."},
           "evidence": {"scores": {"contribution.rank_attributes": 0.68, "contribution.rank_comention": 0.37,
                                   "contribution.year": -0.2},
                        "filters": {"people_include": ["edgar wright"], "year_min": 2000, "tags_exclude": ["musical"]}}}
    text = why_answer(2, rec)
    assert "card 2" in text and "Hot Fuzz fans pick it." in text
    assert "genres and people you asked for (+0.68)" in text and "mentioned with yours (+0.37)" in text
    assert "release year" not in text  # a negative contribution did not lift it
    assert "with Edgar Wright" in text and "from 2000 on" in text and "not musical" in text
    assert "[" not in text and "_" not in text and "rank attributes" not in text


def test_none_of_those_gives_a_fresh_slate(agent):
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Toy Story")
    again = agent.turn(sid, "none of those, I've seen them all")
    assert again.recommendations
    assert not set(_titles(first)) & set(_titles(again))
    state = DialogueState.from_dict(agent.store.load_state(sid))
    assert {c.item_id for c in first.recommendations} <= set(state.rejected)


def test_no_thanks_before_any_slate_turns_nothing_down(agent):
    """"no thanks" as a first message got "No problem — here are different ones" over a first slate."""
    r = agent.turn(agent.new_session(), "no thanks")
    assert not r.recommendations and "haven't suggested anything yet" in r.reply
    wish = agent.turn(agent.new_session(), "none of those, something scary")  # a wish with it still counts
    assert wish.recommendations and "different ones" not in wish.reply


def test_more_like_the_first_one_anchors_the_next_slate_on_that_card(agent):
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Alien")
    again = agent.turn(sid, "more like the first one")
    state = DialogueState.from_dict(agent.store.load_state(sid))
    assert first.recommendations[0].item_id in state.liked  # the card's film, as if its title were typed
    assert again.recommendations and first.recommendations[0].title not in _titles(again)


def test_unknown_title_gets_a_question_not_a_look_alike(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "Recommend me Zorbulax Returns 3")
    assert "don't know" in r.reply and not r.recommendations


def test_a_bare_unknown_title_gets_the_question_not_the_greeting(agent):
    """A user who types only "Zorbulax Returns 3" got the welcome text, as if they had said nothing."""
    sid = agent.new_session()
    r = agent.turn(sid, "Zorbulax Returns 3")
    assert "don't know a film called “Zorbulax Returns 3”" in r.reply and not r.recommendations
    for text in ("Hello There", "Thank You", "Good Morning"):  # title case, no titles
        assert "don't know" not in agent.turn(agent.new_session(), text).reply, text
    genre = agent.turn(agent.new_session(), "Horror Movies")
    assert "don't know" not in genre.reply and genre.recommendations


def test_instead_replaces_earlier_constraints():
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), year_min=1980, year_max=1989))
    apply_update(state, StateUpdate(act="replace", genres_liked=("comedy",)))
    req = request_for(state, ["actually, something funny instead"])
    assert req.genres_include == ("comedy",) and req.year_min is None and req.year_max is None
    apply_update(state, StateUpdate(act="refine", disliked=(TitleRef("5", "Sound of Music", "The Sound of Music"),)))
    req = request_for(state, ["not that"])
    assert "5" in req.disliked and "5" in req.exclude


def test_instead_keeps_what_the_user_cannot_stand():
    """"I can't stand musicals" is taste, not this turn's wish: "a comedy instead" must not bring musicals back."""
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), genres_disliked=("musical",),
                                    people_disliked=("Adam Sandler",)))
    apply_update(state, StateUpdate(act="replace", genres_liked=("comedy",)))
    req = request_for(state, ["a comedy instead"])
    assert req.genres_include == ("comedy",) and "musical" in req.genres_exclude
    assert "adam sandler" in req.people_exclude
    apply_update(state, StateUpdate(act="replace", genres_liked=("musical",)))  # unless they now ask for it
    assert "musical" not in request_for(state, ["a musical instead"]).genres_exclude


def test_a_new_genre_without_also_switches_the_wish_and_keeps_the_years():
    """"80s horror please", then "something funny": an 80s comedy, not an 80s horror comedy."""
    state = DialogueState()
    assert not apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), year_min=1980, year_max=1989))
    assert apply_update(state, StateUpdate(act="recommend", moods=("funny",)))
    req = request_for(state, ["something funny"])
    assert req.genres_include == ("comedy",) and (req.year_min, req.year_max) == (1980, 1989)
    assert "horror" not in req.query_text
    # "... too" adds to the wish: both genres stay
    assert not apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), additive=True))
    assert set(request_for(state, ["some horror too"]).genres_include) == {"comedy", "horror"}
    # a wish sharing a genre with the old one refines it (no switch)
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",)))
    assert not apply_update(state, StateUpdate(act="refine", moods=("scary",)))
    assert "horror" in request_for(state, ["scarier"]).genres_include


def test_something_like_a_film_alone_replaces_the_earlier_wish_but_not_the_refusals():
    """After "80s horror comedies, no musicals", "something like Pineapple Express" is a stoner comedy
    of any decade -- still no musical."""
    pe = TitleRef("9", "Pineapple Express", "Pineapple Express")
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror", "comedy"), genres_disliked=("musical",),
                                    year_min=1980, year_max=1989))
    assert apply_update(state, StateUpdate(act="recommend", more_like=(pe,)))
    req = request_for(state, ["something like pineapple express"])
    assert req.genres_include == () and req.year_min is None and req.year_max is None
    assert "musical" in req.genres_exclude and "9" in req.liked
    # with its own constraint ("like Alien but from the 90s") the message refines instead
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",)))
    assert not apply_update(state, StateUpdate(act="recommend", more_like=(pe,), year_min=1990, year_max=1999))
    assert "horror" in request_for(state, ["like it but from the 90s"]).genres_include


def test_something_like_a_film_alone_anchors_the_request_on_that_film_until_the_taste_changes():
    """Found by chatting: after "I loved Alien and The Thing", "something like Pineapple Express" still
    let It (2017) and Predator in (the earlier liked films pulled the collaborative and content anchors)."""
    alien, thing = TitleRef("1", "Alien", "Alien"), TitleRef("2", "The Thing", "The Thing")
    pe = TitleRef("9", "Pineapple Express", "Pineapple Express")
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", liked=(alien, thing)))
    assert request_for(state, ["I loved Alien and The Thing"]).liked == ("1", "2")
    apply_update(state, StateUpdate(act="recommend", more_like=(pe,)))
    req = request_for(state, ["something like pineapple express"])
    assert req.liked == ("9",) and req.recent == ("9",)
    assert set(req.mentioned) == {"1", "2"} and {"1", "2", "9"} <= req.exclude  # context, never shown
    assert set(state.liked) == {"1", "2", "9"}  # the taste is kept; only this wish is anchored
    # a refinement of the same wish keeps the anchor; a new liked film widens the taste again
    apply_update(state, StateUpdate(act="refine", relative_era="older"))
    assert request_for(state, ["something older"]).liked == ("9",)
    apply_update(state, StateUpdate(act="recommend", liked=(TitleRef("5", "Heat", "Heat"),)))
    assert set(request_for(state, ["I also loved Heat"]).liked) == {"1", "2", "9", "5"}
    # "like X but from the 90s" keeps the earlier wish's constraints, and X anchors it too ("The Godfather
    # but funnier" after "I loved Titanic" is no Titanic-like comedy)
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", liked=(alien,)))
    apply_update(state, StateUpdate(act="recommend", more_like=(pe,), year_min=1990, year_max=1999))
    req = request_for(state, ["like pineapple express but from the 90s"])
    assert req.liked == ("9",) and "1" in req.mentioned and req.year_min == 1990
    # an anchor the user then turns against is no anchor
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", liked=(alien,)))
    apply_update(state, StateUpdate(act="recommend", more_like=(pe,)))
    apply_update(state, StateUpdate(act="refine", disliked=(pe,)))
    assert request_for(state, ["actually I hated pineapple express"]).liked == ("1",)


def test_a_wish_for_a_person_or_an_audience_ends_the_anchor_unless_it_is_added_with_too():
    """Found by chatting: after "something like Pineapple Express", "something with Tom Hanks" got
    Tom Hanks films under the lead "movies like Pineapple Express (with Tom Hanks)"."""
    alien = TitleRef("1", "Alien", "Alien")
    pe = TitleRef("9", "Pineapple Express", "Pineapple Express")

    def anchored() -> DialogueState:
        state = DialogueState()
        apply_update(state, StateUpdate(act="recommend", liked=(alien,)))
        apply_update(state, StateUpdate(act="recommend", more_like=(pe,)))
        assert state.focus == ["9"]
        return state

    state = anchored()
    apply_update(state, StateUpdate(act="recommend", people_liked=("Tom Hanks",)))
    assert state.focus == [] and set(request_for(state, ["something with tom hanks"]).liked) == {"1", "9"}
    state = anchored()
    apply_update(state, StateUpdate(act="recommend", audience="family"))
    assert state.focus == []
    state = anchored()
    apply_update(state, StateUpdate(act="recommend", people_liked=("Seth Rogen",), additive=True))
    assert state.focus == ["9"] and request_for(state, ["with seth rogen too"]).liked == ("9",)


def test_a_child_audience_drops_the_earlier_genres_it_rules_out():
    """"80s horror", later "my 6 year old loved Frozen": no horror comedy for the child."""
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror", "comedy"), moods=("scary",)))
    apply_update(state, StateUpdate(act="recommend", audience="young_children",
                                    liked=(TitleRef("3", "frozen", "Toy Story"),)))
    req = request_for(state, ["my 6 year old loved frozen"])
    assert "horror" not in req.genres_include and "horror" in req.genres_exclude
    assert "comedy" in req.genres_include and state.constraints.moods == []
    # asked in the same message, the genre stays: "a scary movie for my 10 year old"
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), audience="young_children"))
    assert "horror" in request_for(state, ["a scary movie for my 10 year old"]).genres_include


def test_a_genre_switch_restarts_the_content_query(agent):
    """The live turn and the replayed dialogue both drop the earlier words after a switch."""
    from agent.turn.replay import replay
    from agent.turn.understand import parse

    resolver = TitleResolver(CAT.items)
    history = [("user", "80s horror please"), ("assistant", "Here you go"), ("user", "something funny")]
    state, texts = replay(history, lambda t: parse(t, resolver), lambda t: ())
    assert texts == ["something funny"] and "horror" not in state.constraints.tags_include
    state, texts = replay(history[:2] + [("user", "something funny as well")], lambda t: parse(t, resolver),
                          lambda t: ())
    assert len(texts) == 2 and "horror" in state.constraints.tags_include



def test_only_the_words_of_the_wish_reach_the_content_query(agent):
    """A why-question, a greeting and the words before "…instead" describe no film the user wants:
    they stay out of the query on every later turn, live and replayed alike."""
    from agent.turn.replay import replay
    from agent.turn.understand import parse

    sid = agent.new_session()
    agent.turn(sid, "80s horror please")
    agent.turn(sid, "why the first one?")
    agent.turn(sid, "hi there")
    agent.turn(sid, "more")
    state = agent.store.load_state(sid)
    assert state["wish_text"] == ["80s horror please", "more"] and "why" not in state["last_query"]
    agent.turn(sid, "actually, something funny instead")
    agent.turn(sid, "from the 90s")
    assert agent.store.load_state(sid)["wish_text"] == ["actually, something funny instead", "from the 90s"]
    # "older" only moves the years: its words are no content to search by ("something like Inception", "older",
    # "even older" listed E.T., Rush Hour and Groundhog Day: what past requests for "older" movies got)
    agent.turn(sid, "older")
    agent.turn(sid, "even older")
    state = agent.store.load_state(sid)
    assert state["wish_text"] == ["actually, something funny instead", "from the 90s"] and state["constraints"]["year_max"]

    resolver = TitleResolver(CAT.items)
    history = [("user", "80s horror please"), ("assistant", "Here you go"), ("user", "why the first one?"),
               ("assistant", "Because"), ("user", "hi there"), ("assistant", "Hello"),
               ("user", "with Tom Hanks too")]
    people = PeopleIndex(CAT.items)
    state, texts = replay(history, lambda t: parse(t, resolver, people=people), lambda t: ())
    assert texts == ["80s horror please", "with Tom Hanks too"] and state.wish_text == texts


def test_the_turn_answers_with_templates_and_llm_sentences_stream_in_after(agent):
    """Cards are explained by their checked claim templates before the answer; then the model's
    claim-by-claim sentences replace each template that passes, stored as a new explanation row.
    A sentence that flips the user's attitude is rejected and never shown."""
    from tests.test_claims import _Model

    model = _Model({"sentences": [
        {"claim": "in_year_range", "text": "It came out in a year you ruled out."},
        {"claim": "avoids_1", "text": "It is not a musical, which you wanted to avoid."}]})
    settings = agent.settings.model_copy(update={"explain_follow_up_s": 5.0})
    agent = WhyRecAgent(chat_model=model, services=agent.services, store=agent.store, settings=settings,
                        explainer=CheckedExplainer(model, CAT),
                        versions={"catalog": CAT.version})
    sid = agent.new_session()
    events = list(agent.stream_turn(sid, "I loved Alien, but no musicals, and only films after 1975"))
    kinds = [e.kind for e in events]
    final_at = kinds.index("final")
    final = events[final_at].data
    assert final["recommendations"]
    assert all(c["explanation_path"] == "template" and c["check_passed"] for c in final["recommendations"])
    later = [e.data for e in events[final_at + 1:] if e.kind == "explanation"]
    assert later and all(e["explanation_path"] == "llm" for e in later)
    first = later[0]
    assert "not a musical, which you wanted to avoid" in first["explanation"] and "ruled out" not in first["explanation"]
    rec = agent.store.recommendation(first["rec_id"])
    assert [e["path"] for e in rec["explanations"]] == ["template", "llm"]
    assert any("in_year_range" in r and "ruled out" in r for r in rec["explanation"]["check"]["rejected"])
    assert kinds[-1] == "explanations_done"


def test_a_turn_refused_the_planner_for_its_budget_still_gets_llm_sentences_after_it_answers(agent):
    """Refused on predicted latency (the model is idle but slower than the turn's budget), the turn
    answers at once, and the explanation follow-up, outside that budget, still runs; with every call
    slot of the process taken it does not (it would queue behind them)."""
    import time as _time

    from tests.test_claims import _Model

    model = _Model({"sentences": [{"claim": "avoids_1", "text": "It is not a musical, which you wanted to avoid."}]})
    settings = agent.settings.model_copy(update={"explain_follow_up_s": 5.0, "turn_budget_s": 1.0})
    slow = WhyRecAgent(chat_model=model, services=agent.services, store=agent.store, settings=settings,
                       explainer=CheckedExplainer(model, CAT), versions={"catalog": CAT.version})
    slow.gate.latency_s, slow.gate._last_probe = 5.0, _time.monotonic()  # 5 s predicted; no probe due
    events = list(slow.stream_turn(slow.new_session(), "I loved Alien, but no musicals"))
    kinds = [e.kind for e in events]
    final = events[kinds.index("final")].data
    assert final["llm"] == "busy" and final["recommendations"]
    assert model.calls >= 1 and kinds[-1] == "explanations_done"
    assert any(e.data["explanation_path"] == "llm" for e in events[kinds.index("final") + 1:] if e.kind == "explanation")
    calls = model.calls
    slow.gate.inflight = slow.gate.max_inflight  # every slot taken by calls of other turns
    events = list(slow.stream_turn(slow.new_session(), "I loved Alien, but no musicals"))
    assert "explanations_done" not in [e.kind for e in events] and model.calls == calls


def test_a_list_filled_past_the_strict_matches_says_which_wish_the_rest_leave_out(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "I loved Alien, something with Tom Hanks")
    assert _titles(r)[0] == "Toy Story"  # the one film with him comes first
    assert "the other one leaves out “with Tom Hanks”" in r.reply, r.reply
    first = agent.store.recommendation(r.recommendations[0].rec_id)
    assert first["scores"]["contributions"]  # the shown cards carry the ranker's account


def test_hating_animated_family_films_keeps_other_family_films(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "I loved Alien, but no animated family movies")
    assert "Toy Story" not in _titles(r) and "Up" not in _titles(r)
    state = DialogueState.from_dict(agent.store.load_state(sid))
    assert state.constraints.tags_exclude == ["animation+family"], state.constraints


def test_thanks_and_goodbye_are_answered_as_such_and_keep_the_wish(agent):
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Alien")
    thanks = agent.turn(sid, "thanks!")
    assert thanks.reply.startswith("You're welcome") and not thanks.recommendations
    assert agent.turn(sid, "ok bye").reply.startswith("Enjoy the movie")
    assert agent.turn(sid, "hello").reply.startswith("Hi!")
    state = agent.store.load_state(sid)
    assert state["wish_text"] == ["I loved Alien"] and state["last_slate"] == [c.item_id for c in first.recommendations]


def test_the_slate_puts_films_fitting_every_asked_genre_and_the_mood_first():
    """"documentaries about music" showed The Lion King and Dirty Dancing (music films, no
    documentary), "a war movie that is not too depressing" Schindler's List first."""
    from types import SimpleNamespace

    from agent.turn.genre_fit import genre_fit
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import genre_shares
    from tools.recsys.request import RecRequest

    genres = {"lion": ("animation", "music"), "dance": ("music", "romance"), "kids": ("documentary", "music"),
              "list": ("drama", "war"), "mash": ("comedy", "war"), "doc": ("documentary", "history")}
    cat = SimpleNamespace(get=lambda i: SimpleNamespace(genres=genres[i], title=i),
                          genre_shares=genre_shares(genres.values()))
    ranked = ["lion", "dance", "list", "doc", "kids", "mash"]
    docs = genre_fit(RecRequest(genres_include=("documentary", "music")), (), cat)
    assert build_slate(ranked, str, size=3, wanted=docs) == ["kids", "lion", "dance"]
    war = genre_fit(RecRequest(genres_include=("war",)), ("light",), cat)
    assert build_slate(ranked, str, size=2, wanted=war) == ["mash", "list"]
    assert [war(i) for i in ("mash", "list", "lion")] == [11, 10, 0]  # a mood genre counts only beside an asked one
    assert genre_fit(RecRequest(), ("light",), cat) is None
    # "something like M*A*S*H" (no genre asked): films sharing a genre with it go first, and of those the
    # ones sharing its tone (a comedy) before a war drama
    like = genre_fit(RecRequest(), (), cat, like=genres["mash"])
    assert build_slate(ranked, str, size=3, wanted=like) == ["mash", "list", "lion"]
    # "something like Pineapple Express" (action, comedy, crime, thriller): a comedy before a thriller
    genres.update(airplane=("comedy",), jaws=("thriller",), diehard=("action", "crime", "thriller"))
    pineapple = genre_fit(RecRequest(), (), cat, like=("action", "comedy", "crime", "thriller"))
    assert build_slate(["diehard", "jaws", "airplane"], str, size=2, wanted=pineapple) == ["airplane", "diehard"]
    # "like The Deer Hunter but funnier" (comedy asked): comedies sharing a genre with the film first
    funnier = genre_fit(RecRequest(genres_include=("comedy",)), (), cat, like=("drama", "war"))
    genres["hang"] = ("comedy",)
    assert build_slate(["hang", "lion", "mash"], str, size=2, wanted=funnier) == ["mash", "hang"]
    # "something like Star Wars" (action, adventure, family, fantasy, science fiction) listed Coco and Moana:
    # an animated film sharing its labels comes after a live-action one sharing as many; an animated film's
    # look-alikes may be animated
    genres.update(coco=("animation", "family", "fantasy"), et=("adventure", "family", "science fiction"))
    star_wars = genre_fit(RecRequest(), (), cat, like=("action", "adventure", "family", "fantasy", "science fiction"))
    assert build_slate(["coco", "et"], str, size=2, wanted=star_wars) == ["et", "coco"]
    # ... and after a live-action film sharing fewer (Star Trek II: no family tone), not only as many
    genres["trek"] = ("action", "science fiction")
    assert build_slate(["coco", "trek"], str, size=2, wanted=star_wars) == ["trek", "coco"]
    shrek = genre_fit(RecRequest(), (), cat, like=("animation", "comedy", "family", "fantasy"))
    assert build_slate(["coco", "et"], str, size=2, wanted=shrek) == ["coco", "et"]


def test_a_tone_defines_a_liked_film_only_when_the_films_talked_about_with_it_share_it():
    """"something like Jurassic Park" (action, adventure, horror, science fiction, thriller) showed It
    (2017) and Get Out second and third: its horror tag put horror-only films first, as Pineapple
    Express's comedy rightly puts comedies first. What people mention with each film tells them apart."""
    from types import SimpleNamespace

    import numpy as np
    import scipy.sparse as sp

    from agent.turn.genre_fit import MIN_TONE_SUPPORT, defining_tones, genre_fit
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import genre_shares
    from tools.recsys.cooccurrence import CoSuggestionStats
    from tools.recsys.request import RecRequest

    genres = {"jp": ("action", "adventure", "horror", "science fiction"), "pe": ("action", "comedy", "crime"),
              "it": ("horror",), "getout": ("horror",), "jaws": ("action", "adventure"),
              "mib": ("adventure", "science fiction"), "superbad": ("comedy",), "knocked": ("comedy",),
              "quiet": ("drama",)}
    ids = list(genres)
    index = {i: n for n, i in enumerate(ids)}
    talked = {("jp", "jaws"): 5, ("jp", "mib"): 4, ("jp", "it"): 1,
              ("pe", "superbad"): 5, ("pe", "knocked"): 4, ("pe", "jaws"): 1, ("quiet", "it"): 2}
    rows, cols, vals = [], [], []
    for (a, b), k in talked.items():
        rows += [index[a], index[b]]
        cols += [index[b], index[a]]
        vals += [k, k]
    m = sp.csr_matrix((vals, (rows, cols)), shape=(len(ids), len(ids)))
    zeros = np.zeros(len(ids))
    rec = SimpleNamespace(stats=CoSuggestionStats(m, m, zeros, zeros), space=SimpleNamespace(ids=ids, index=index))
    cat = SimpleNamespace(get=lambda i: SimpleNamespace(genres=genres[i], title=i),
                          genre_shares=genre_shares(genres.values()))
    # horror is on a third of the films but on 1 in 10 of those mentioned with jp; comedy on 9 in 10 for pe
    assert defining_tones(rec, cat, ["jp"]) == frozenset()
    assert defining_tones(rec, cat, ["pe"]) == frozenset({"comedy"})
    assert 2 < MIN_TONE_SUPPORT and defining_tones(rec, cat, ["quiet"]) is None  # too few to say: the genre list
    assert defining_tones(SimpleNamespace(), cat, ["jp"]) is None  # no counts (a recommender without them)
    ranked = ["it", "jaws", "getout", "mib"]
    by_list = genre_fit(RecRequest(), (), cat, like=genres["jp"])
    assert build_slate(ranked, str, size=2, wanted=by_list) == ["it", "getout"]  # the defect
    by_talk = genre_fit(RecRequest(), (), cat, like=genres["jp"], tones=defining_tones(rec, cat, ["jp"]))
    assert build_slate(ranked, str, size=2, wanted=by_talk) == ["it", "jaws"]  # the ranker's order stands
    funny = genre_fit(RecRequest(), (), cat, like=genres["pe"], tones=defining_tones(rec, cat, ["pe"]))
    assert build_slate(["jaws", "it", "knocked"], str, size=2, wanted=funny) == ["knocked", "jaws"]


def test_films_having_the_genres_several_liked_films_share_go_before_the_tone_alone():
    """"I loved Alien and The Thing" (both horror and science fiction) listed Annabelle, It (2017) and
    Get Out -- horror only -- third to fifth, before Predator."""
    from types import SimpleNamespace

    from agent.turn.film_genres import film_genres
    from agent.turn.genre_fit import LIVE_ACTION_FIRST, genre_fit, shared_genres
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import genre_shares
    from tools.recsys.request import RecRequest

    genres = {"alien": ("adventure", "horror", "science fiction"), "thing": ("horror", "mystery", "science fiction", "thriller"),
              "annabelle": ("horror",), "getout": ("horror",), "predator": ("action", "horror", "science fiction"),
              "fly": ("drama", "horror", "romance", "science fiction"), "heat": ("action", "crime", "drama", "thriller"),
              "collateral": ("action", "crime", "drama", "thriller"), "dogs": ("crime", "thriller"),
              "c1": ("comedy",), "c2": ("comedy",), "c3": ("comedy",), "c4": ("comedy",), "d1": ("drama",),
              "d2": ("drama",), "r1": ("romance",), "r2": ("romance",)}

    class Cat(dict):
        def get(self, i):
            return SimpleNamespace(genres=self[i], people=("someone",), title=i)

    cat = Cat(genres)
    cat.genre_shares = genre_shares(genres.values())
    core = shared_genres([film_genres(cat, i) for i in ("alien", "thing")])
    assert core == {"horror", "science fiction"} and shared_genres([film_genres(cat, "alien")]) == frozenset()
    like = [g for i in ("alien", "thing") for g in genres[i]]
    ranked = ["annabelle", "getout", "predator", "fly"]
    tone_only = genre_fit(RecRequest(), (), cat, like=like, tones=frozenset({"horror"}))
    assert build_slate(ranked, str, size=2, wanted=tone_only) == ["annabelle", "getout"]  # the defect
    both = genre_fit(RecRequest(), (), cat, like=like, tones=frozenset({"horror"}), core=core)
    assert build_slate(ranked, str, size=2, wanted=both) == ["predator", "fly"]
    # two of three shared genres are enough: a crime thriller is like two action crime thrillers
    crime = genre_fit(RecRequest(), (), cat, like=[*genres["heat"], *genres["collateral"]],
                      core=shared_genres([film_genres(cat, i) for i in ("heat", "collateral")]))
    assert crime("dogs") == crime("collateral") == 2 * LIVE_ACTION_FIRST and crime("c1") == 0


def test_a_genre_on_half_the_catalog_does_not_say_what_a_film_is_like():
    """"The Godfather but funnier" (crime, drama; comedy asked) showed Groundhog Day and Fight Club
    (comedies with "drama") before crime comedies: drama is on half the films."""
    from types import SimpleNamespace

    from agent.turn.genre_fit import broad_genres, genre_fit
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import genre_shares
    from tools.recsys.request import RecRequest

    genres = {"groundhog": ("comedy", "drama"), "family": ("comedy", "crime"), "hangover": ("comedy",),
              "d1": ("drama",), "d2": ("drama", "war"), "d3": ("drama",)}
    cat = SimpleNamespace(get=lambda i: SimpleNamespace(genres=genres[i]), genre_shares=genre_shares(genres.values()))
    assert broad_genres(cat) == {"drama", "comedy"}
    funnier = genre_fit(RecRequest(genres_include=("comedy",)), (), cat, like=("crime", "drama"))
    assert build_slate(["groundhog", "hangover", "family"], str, size=2, wanted=funnier) == ["family", "groundhog"]
    # a film that is only "drama" still has its like-films
    only = genre_fit(RecRequest(genres_include=("comedy",)), (), cat, like=("drama",))
    assert build_slate(["hangover", "groundhog"], str, size=1, wanted=only) == ["groundhog"]


def test_a_film_named_with_how_the_wish_differs_anchors_the_slate():
    """"The Godfather but funnier" after "I loved Titanic": The Godfather anchors the slate (its genres
    order the comedies), the comedy wish stays."""
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", liked=(TitleRef("t", "Titanic", "Titanic"),)))
    apply_update(state, StateUpdate(act="refine", more_like=(TitleRef("g", "The Godfather", "The Godfather"),),
                                    genres_liked=("comedy",), moods=("funny",)))
    assert state.focus == ["g"] and state.constraints.tags_include == ["comedy"]
    assert request_for(state, ["The Godfather but funnier"]).liked == ("g",)


def test_too_violent_after_a_slate_refines_that_wish(agent):
    """"too violent" after a thriller slate got "I can't choose films by that" and no slate."""
    sid = agent.new_session()
    agent.turn(sid, "I loved Alien")
    r = agent.turn(sid, "too violent")
    assert r.recommendations and "can't choose films by that" not in r.reply
    assert "slasher" in r.reply  # says what it read the wish as
    alone = agent.turn(agent.new_session(), "too violent")
    assert not alone.recommendations and "can't choose films by that" in alone.reply


def test_a_liked_films_franchise_comes_in_watch_order():
    """"I loved Toy Story, what else?" showed Toy Story 3 third and left Toy Story 2 seventh."""
    from agent.turn.franchise import franchise_tokens, in_watch_order
    from agent.turn.slate import build_slate

    year = {"up": 2009, "ts3": 2010, "moana": 2016, "ts2": 1999, "ts4": 2019, "dead": 1980}
    title = {"up": "Up", "ts3": "Toy Story 3", "moana": "Moana", "ts2": "Toy Story 2", "ts4": "Toy Story 4",
             "dead": "Alien Dead"}
    ranked = ["up", "ts3", "moana", "ts4", "ts2"]
    order = in_watch_order(ranked, title.get, year.get, [("Toy Story", 1995)])
    assert order == ["up", "ts2", "moana", "ts3", "ts4"]  # the franchise's places, filled oldest first
    assert build_slate(order, title.get, size=3, taken_titles=["Toy Story"]) == ["up", "ts2", "moana"]
    # after a liked sequel, the films made after it first; nothing moves without a liked franchise
    assert in_watch_order(["up", "ts2", "moana", "ts4"], title.get, year.get,
                          [("Toy Story 3", 2010)]) == ["up", "ts4", "moana", "ts2"]
    assert in_watch_order(ranked, title.get, year.get, [("Alien", 1979)]) == ranked
    # the films made before a liked one keep the ranker's order ("I loved Skyfall" listed the Bond films of
    # 1967, 1971 and 1973 oldest first)
    bond = {"gold": ("GoldenEye", 1995), "spec": ("Spectre", 2015), "live": ("You Only Live Twice", 1967),
            "cas": ("Casino Royale", 2006)}
    kin = dict.fromkeys(bond, frozenset({"bond"}))
    assert in_watch_order(list(bond), lambda i: bond[i][0], lambda i: bond[i][1], [("sky", 2012)],
                          kin_of=lambda i: kin.get(i, frozenset({"bond"}))) == ["spec", "gold", "live", "cas"]
    # one franchise under several main titles: "The Lost World: Jurassic Park" before "Jurassic Park III"
    jp = {"jp3": ("Jurassic Park III", 2001), "bp": ("Black Panther", 2018), "lw": ("The Lost World: Jurassic Park", 1997)}
    assert in_watch_order(list(jp), lambda i: jp[i][0], lambda i: jp[i][1],
                          [("Jurassic Park", 1993)]) == ["lw", "bp", "jp3"]
    # "Shrek the Third" and "Shrek Forever After" are one franchise for the cap of two cards
    assert "shrek" in franchise_tokens("Shrek the Third") & franchise_tokens("Shrek Forever After")


def test_the_films_of_an_asked_genre_beyond_the_top_ones_come_with_the_ranking():
    """"The Godfather but funnier": the crime comedies sat below the whole-catalog top forty, so
    ``recommend(genre_depth=...)`` adds the best films of the asked genre after the top ones."""
    from tools.recsys.request import RecRequest

    x, y, g = _training_rows(0)
    ranker = LearnedRanker.fit((x, y, g), None, RankerConfig(n_estimators=40, min_child_samples=5))
    rec = Recommender(SPACE, STATS, [CoSuggestionSource(STATS), PopularitySource(STATS.suggested)], ranker, depth=10)
    req = RecRequest(liked=("1",), genres_include=("musical",))
    top = [r.item_id for r in rec.recommend(req, k=2)]
    assert "5" not in top  # the musical is no top pick for an Alien fan
    deeper = [r.item_id for r in rec.recommend(req, k=2, genre_depth=3)]
    assert deeper[:2] == top and deeper[2:] == ["5"]  # only films of the asked genre are added
    assert [r.item_id for r in rec.recommend(RecRequest(liked=("1",)), k=2, genre_depth=3)] == \
        [r.item_id for r in rec.recommend(RecRequest(liked=("1",)), k=2)]  # nothing asked: nothing added


def test_the_genres_of_a_mood_are_alternatives_not_all_wanted():
    """"a movie like Fight Club but less dark" (light: comedy, family, animation) listed The Incredibles
    and Toy Story first: films having all three of the mood's genres outranked dark comedies."""
    from types import SimpleNamespace

    from agent.turn.genre_fit import genre_fit
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import genre_shares
    from tools.recsys.request import RecRequest

    genres = {"toy": ("animation", "comedy", "family"), "office": ("comedy", "crime"), "saw": ("horror",)}
    cat = SimpleNamespace(get=lambda i: SimpleNamespace(genres=genres[i]), genre_shares=genre_shares(genres.values()))
    light = RecRequest(genres_include=("comedy", "family", "animation"))
    fit = genre_fit(light, ("light",), cat, like=("crime", "thriller"))
    assert build_slate(["toy", "saw", "office"], str, size=2, wanted=fit) == ["office", "toy"]
    # for children the audience's genres are all wanted: an animated family film first
    kids = genre_fit(RecRequest(genres_include=("family", "animation"), audience="young_children"), (), cat)
    assert [kids(i) for i in ("toy", "office")] == [20, 0]


def test_a_lookalike_title_of_no_note_is_no_sequel():
    """"I loved Titanic" showed Titanic II (2010, an uncredited Asylum film mentioned twice) third: the
    watch order had moved it into the franchise's place."""
    from agent.turn.franchise import in_watch_order

    title = {"gump": "Forrest Gump", "t2": "Titanic II", "tw": "Titanic", "jedi": "Star Wars: The Last Jedi",
             "ep1": "Star Wars: Episode I", "x": "Jumanji"}
    year = {"gump": 1994, "t2": 2010, "tw": 1953, "jedi": 2017, "ep1": 1999, "x": 2017}
    noted = {"gump", "tw", "jedi", "ep1", "x"}.__contains__
    ranked = ["gump", "tw", "t2"]
    assert in_watch_order(ranked, title.get, year.get, [("Titanic", 1997)]) == ["gump", "t2", "tw"]  # before
    assert in_watch_order(ranked, title.get, year.get, [("Titanic", 1997)], of_note=noted) == ranked
    # a film of note keeps its watch-order place, credited or not (The Last Jedi is uncredited)
    assert in_watch_order(["jedi", "x", "ep1"], title.get, year.get, [("Star Wars", 1977)],
                          of_note=noted) == ["ep1", "x", "jedi"]


def test_a_film_turned_down_is_no_search_words():
    """"I hated La La Land but loved Whiplash": the words "La La Land" searched for musicals."""
    from agent.turn.dialogue import without_titles

    assert without_titles(["I hated La La Land but loved Whiplash"], ["la la land"]) == ["I hated but loved Whiplash"]
    # a short one-word title only as the catalog writes it: "cheer me up" keeps its words
    assert without_titles(["hated Up, cheer me up"], ["Up"]) == ["hated , cheer me up"]
    assert without_titles(["nothing to drop"], []) == ["nothing to drop"]


def _genre_catalog(genres: dict[str, tuple[str, ...]]):
    """A catalog of ids and genres only, with its genre shares: what the slate's genre rules read."""
    from types import SimpleNamespace

    from tools.catalog.catalog import genre_shares

    shares = genre_shares(genres.values())

    class Cat:
        genre_shares = shares

        def get(self, i):
            return SimpleNamespace(genres=genres[i])

        def __contains__(self, i):
            return i in genres

    return Cat()


def test_a_genre_only_the_hated_film_has_goes_last():
    """"I hated La La Land but loved Whiplash" showed The Greatest Showman: the musical sets the
    hated film apart; drama (broad, and shared with the liked film) says nothing of the dislike."""
    from agent.turn.off_tone import either, hated_genres
    from agent.turn.slate import build_slate

    genres = {"lalaland": ("romance", "musical", "drama"), "whiplash": ("drama", "music"),
              "showman": ("drama", "musical"), "swan": ("drama", "thriller"), "amadeus": ("drama", "music"),
              "d1": ("drama",), "d2": ("drama",)}
    cat = _genre_catalog(genres)
    hated = hated_genres(cat, ["lalaland"], ["whiplash"], ())
    assert [hated(i) for i in ("showman", "swan", "amadeus")] == [True, False, False]
    assert build_slate(["showman", "swan", "amadeus"], str, size=2, off_tone=hated) == ["swan", "amadeus"]
    # asked for, or liked too: no longer a sign of the dislike
    assert hated_genres(cat, ["lalaland"], ["whiplash"], ("musical", "romance")) is None
    assert hated_genres(cat, ["showman"], ["lalaland"], ()) is None
    assert either(None, None) is None and either(hated, None) is hated


def test_a_hated_films_common_secondary_tags_are_not_what_was_hated():
    """"I loved Alien but hated Prometheus" put Aliens, Predator and The Thing after Alien Dead and
    Creature: Prometheus is also tagged action and thriller, tags a quarter of the catalog carries. A
    tone the hated film has alone (comedy) still goes last however common it is."""
    from agent.turn.off_tone import hated_genres

    genres = {"alien": ("adventure", "horror", "science fiction"),
              "prometheus": ("action", "adventure", "drama", "horror", "science fiction", "thriller"),
              "aliens": ("action", "adventure", "horror", "science fiction", "thriller"),
              "creature": ("horror", "science fiction"), "heat": ("action", "crime", "drama", "thriller"),
              "hangover": ("comedy",), "superbad": ("comedy", "teen"), "airplane": ("comedy",),
              "naked_gun": ("comedy",), "die_hard": ("action", "thriller"), "d1": ("drama",),
              "d2": ("drama", "history"), "r1": ("romance", "drama"), "d3": ("drama", "comedy"), "d4": ("drama",)}
    cat = _genre_catalog(genres)
    shares = cat.genre_shares
    assert shares["action"] > 0.25 and shares["thriller"] > 0.25 and shares["comedy"] > 0.25 and shares["drama"] > 0.4

    assert hated_genres(cat, ["prometheus"], ["alien"], ()) is None  # Aliens is not demoted
    hated = hated_genres(cat, ["hangover"], ["heat"], ())
    assert [hated(i) for i in ("superbad", "die_hard", "aliens")] == [True, False, False]


def test_an_uncredited_row_without_genres_borrows_its_credited_twins():
    """"something like Anchorman" listed Jumanji first: ReDial's "Anchorman" row has no genres."""
    from agent.turn.film_genres import film_genres
    from tools.catalog.catalog import Catalog, Item

    cat = Catalog((Item("row", "Anchorman", popularity=131),
                   Item("film", "Anchorman: The Legend of Ron Burgundy", 2004, ("comedy",),
                        attributes={"directors": ["Adam McKay"]}),
                   Item("other", "Anchorman 2: The Legend Continues", 2013, ("comedy", "sequel"),
                        attributes={"directors": ["Adam McKay"]}),
                   Item("bare", "Zorbulax")))
    assert film_genres(cat, "row") == ("comedy",)
    assert film_genres(cat, "film") == ("comedy",) and film_genres(cat, "bare") == ()
    # a row named for a series: its best-known film whose title goes on from the name; never for a
    # short name, which begins too many titles
    cat = Catalog((Item("hp", "Harry Potter", popularity=89),
                   Item("hp1", "Harry Potter and the Philosopher's Stone", 2001, ("adventure", "fantasy"),
                        attributes={"directors": ["Chris Columbus"]}, popularity=28),
                   Item("hpx", "Harry Potterish Parody", 2010, ("comedy",), attributes={"directors": ["X"]},
                        popularity=90),
                   Item("it", "It", popularity=50),
                   Item("itf", "It Follows", 2014, ("horror",), attributes={"directors": ["David Robert Mitchell"]})))
    assert film_genres(cat, "hp") == ("adventure", "fantasy") and film_genres(cat, "it") == ()
    # a credited film without genres: what most of its director's other films have ("I loved The Grand
    # Budapest Hotel" listed Jumanji, Get Out and It)
    wes = {"directors": ["Wes Anderson"]}
    cat = Catalog((Item("gbh", "The Grand Budapest Hotel", 2014, (), attributes=wes),
                   Item("rushmore", "Rushmore", 1998, ("comedy", "drama", "teen"), attributes=wes),
                   Item("moonrise", "Moonrise Kingdom", 2012, ("comedy", "drama", "romance"), attributes=wes),
                   Item("fox", "Fantastic Mr. Fox", 2009, ("animation", "comedy"), attributes=wes),
                   Item("solo", "Solo Film", 2000, (), attributes={"directors": ["Nobody Else"]}),
                   Item("one", "One Other", 2001, ("horror",), attributes={"directors": ["Nobody Else"]})))
    assert film_genres(cat, "gbh") == ("comedy", "drama")
    assert film_genres(cat, "solo") == ()  # one other film says too little


def test_films_without_genres_go_after_known_ones_when_genres_are_ruled_out():
    """"I loved Spirited Away", then "more like that but not animated", listed two Naruto films (anime,
    no genres in the catalog) third and fifth: nothing said they were animated."""
    from agent.turn.off_tone import genres_unknown
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import Catalog, Item

    cat = Catalog((Item("naruto", "The Last: Naruto the Movie", 2014),
                   Item("labyrinth", "Labyrinth", 1986, ("fantasy", "family")),
                   Item("neverending", "The NeverEnding Story", 1984, ("fantasy", "adventure")),
                   Item("pan", "Pan's Labyrinth", 2006, ("fantasy", "drama"))))
    unknown = genres_unknown(cat, ("animation",))
    assert [unknown(i) for i in ("naruto", "labyrinth")] == [True, False]
    assert build_slate(["naruto", "labyrinth", "neverending", "pan"], str, size=3,
                       off_tone=unknown) == ["labyrinth", "neverending", "pan"]
    assert build_slate(["naruto", "labyrinth"], str, size=2, off_tone=unknown) == ["labyrinth", "naruto"]
    assert genres_unknown(cat, ()) is None  # nothing ruled out: no film is in doubt


def test_the_lead_spells_people_as_the_catalog_does():
    """People are kept normalised ("leonardo dicaprio"), and the lead said "with Leonardo Dicaprio"."""
    from agent.state import Constraints

    c = Constraints(people_include=["leonardo dicaprio"], people_exclude=["quentin tarantino"])
    spelled = {"leonardo dicaprio": "Leonardo DiCaprio"}
    assert c.describe(spelled.get) == "with Leonardo DiCaprio; without Quentin Tarantino"
    assert c.describe() == "with Leonardo Dicaprio; without Quentin Tarantino"


def test_an_audiences_genres_are_implied_and_give_way_to_a_named_film():
    """After "something my grandma would enjoy", "Is The Matrix any good?" listed About Time, The Proposal
    and Click: the audience's genres stand in for a wish that names no film; its rule-outs stay."""
    from agent.state import DialogueState
    from agent.turn.dialogue import request_for

    state = DialogueState()
    state.constraints.audience = "older_viewers"
    req = request_for(state, ["something my grandma would enjoy"])
    assert set(req.genres_include) == {"drama", "comedy", "romance"} == set(req.genres_implied_in)
    assert "horror" in req.genres_exclude and "horror" in req.genres_implied_out
    state.mention("matrix")
    req = request_for(state, ["Is The Matrix any good?"])
    assert req.genres_include == () and "horror" in req.genres_exclude
    asked = DialogueState()
    asked.constraints.audience = "date_night"
    asked.constraints.tags_include.append("romance")
    req = request_for(asked, ["a romantic movie for date night"])
    assert req.genres_include == ("romance",) and req.genres_implied_in == ()  # the user said it


def test_a_question_about_one_film_ends_the_earlier_wishes_but_not_what_was_ruled_out():
    """Found by chatting: after "something classic and scary for grandma", "Is The Matrix any good?" was
    answered with "movies like The Matrix (up to 2002; horror)": Psycho, The Sixth Sense, It."""
    matrix = TitleRef("7", "The Matrix", "The Matrix")
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", audience="older_viewers", genres_liked=("horror",),
                                    genres_disliked=("musical",), year_max=2002))
    fresh = apply_update(state, StateUpdate(act="recommend", mentioned=(matrix,)), question=True)
    c = state.constraints
    assert fresh and c.tags_include == [] and c.year_max is None
    assert c.tags_exclude == ["musical"] and c.audience == "older_viewers"
    # the same film named without a question ("my dad loved it... The Matrix") is no change of subject
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",)))
    apply_update(state, StateUpdate(act="recommend", mentioned=(matrix,)))
    assert state.constraints.tags_include == ["horror"]
    # nor is a question that also says what it wants ("any horror like The Matrix?")
    apply_update(state, StateUpdate(act="recommend", mentioned=(matrix,), genres_liked=("horror",)), question=True)
    assert state.constraints.tags_include == ["horror"]


def test_older_and_newer_move_past_the_years_asked_for_else_past_the_last_slate():
    """Found by chatting: "80s horror please" after an Amélie slate, then "something older instead", listed
    films up to 1998 (the median year of the last two slates) instead of horror from before 1980."""
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), year_min=1980, year_max=1989),
                 [2001, 2001, 2003, 1999, 2001])
    apply_update(state, StateUpdate(act="refine", relative_era="older"), [1980, 1984, 1980, 1988, 1982])
    assert (state.constraints.year_min, state.constraints.year_max) == (None, 1979)
    apply_update(state, StateUpdate(act="refine", relative_era="older"), [1973, 1978, 1960, 1976, 1979])
    assert (state.constraints.year_min, state.constraints.year_max) == (None, 1975)  # below the slate's median
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("comedy",), year_min=1990, year_max=1999))
    apply_update(state, StateUpdate(act="refine", relative_era="newer"), [1993, 1994, 1993, 1998, 1990])
    assert (state.constraints.year_min, state.constraints.year_max) == (2000, None)
    state = DialogueState()
    apply_update(state, StateUpdate(act="refine", relative_era="newer"), [2010, 2012, 2016, 1986, 2009])
    assert (state.constraints.year_min, state.constraints.year_max) == (2011, None)
    apply_update(state, StateUpdate(act="refine", relative_era="older"))  # older than "from 2011 on"
    assert (state.constraints.year_min, state.constraints.year_max) == (None, 2010)
    state = DialogueState()
    apply_update(state, StateUpdate(act="refine", relative_era="older"))  # nothing shown, no years: a default
    assert (state.constraints.year_min, state.constraints.year_max) == (None, 1995)


def test_older_and_newer_move_past_the_film_the_slate_is_like():
    """Found by chatting: "something like Jurassic Park" (1993), then "older instead", gave Waterworld and
    Independence Day: the slate's median year (its sequels', 1997) was the edge, not the film it was like."""
    from agent.turn.dialogue import era_reference, liked_the_slate_fits

    jp = TitleRef("jp", "Jurassic Park", "Jurassic Park")
    state = DialogueState()
    u = StateUpdate(act="recommend", more_like=(jp,))
    assert era_reference(state, u) == ["jp"]  # "something like Jurassic Park but older": that film
    fresh = apply_update(state, u)
    state.slate_liked = liked_the_slate_fits(state, u, fresh)
    state.record_shown(["lost", "jp3", "et", "jaws", "mib"])
    older = StateUpdate(act="refine", relative_era="older")
    assert era_reference(state, older) == ["jp"]
    # no film liked: the slate shown
    state = DialogueState()
    state.record_shown(["a", "b"])
    assert era_reference(state, older) == ["a", "b"]
    # "I loved Amélie", then "none of those": still the films that message loved
    amelie = TitleRef("am", "Amélie", "Amélie")
    state = DialogueState()
    u = StateUpdate(act="recommend", liked=(amelie,))
    state.slate_liked = liked_the_slate_fits(state, u, apply_update(state, u))
    assert state.slate_liked == ["am"]
    reject = StateUpdate(act="reject_slate")
    assert liked_the_slate_fits(state, reject, apply_update(state, reject)) == ["am"]


def test_the_lead_names_only_liked_films_the_cards_stand_on(agent):
    """"80s horror please" after "I loved Amélie" led with "Since you liked Amélie" above horror films
    that owe Amélie nothing."""
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Alien")
    assert "Since you liked Alien" in first.reply, first.reply
    r = agent.turn(sid, "an animated film please")
    assert {"Toy Story", "Up"} & set(_titles(r))
    assert "you liked" not in r.reply, r.reply
    # two animated films for a fresh wish: no film is said to leave the genre out
    both = agent.turn(agent.new_session(), "an animated film please")
    assert set(_titles(both)) == {"Toy Story", "Up"}, _titles(both)
    assert "leave" not in both.reply, both.reply


def test_a_film_without_the_asked_genre_is_said_to_leave_it_out(agent):
    """An asked genre orders the slate but does not filter it: "a documentary about food" ended with
    Ratatouille, under a lead that promised documentaries."""
    r = agent.turn(agent.new_session(), "a musical please")
    assert _titles(r)[0] == "The Sound of Music"  # the one musical comes first
    assert "the other one leaves out “musical”" in r.reply, r.reply


def test_a_refinement_naming_no_film_fits_the_films_the_last_slate_was_fit_to(agent):
    """"I loved Inception", then "something funnier instead" listed Game Night, Bad Moms and The Hangover:
    the slate's genre fit forgot the loved film once the message named none. A refinement keeps the films
    the last slate was fit to; a new wish ("... instead" with a new genre) or a new loved film replaces them."""
    from agent.state import DialogueState

    sid = agent.new_session()
    agent.turn(sid, "I loved Alien")
    assert DialogueState.from_dict(agent.store.load_state(sid)).slate_liked == ["1"]
    agent.turn(sid, "something scarier instead")
    assert DialogueState.from_dict(agent.store.load_state(sid)).slate_liked == ["1"]
    agent.turn(sid, "none of those")
    assert DialogueState.from_dict(agent.store.load_state(sid)).slate_liked == ["1"]
    agent.turn(sid, "an animated film instead")
    assert DialogueState.from_dict(agent.store.load_state(sid)).slate_liked == []
    agent.turn(sid, "I loved Toy Story")
    assert DialogueState.from_dict(agent.store.load_state(sid)).slate_liked == ["3"]


def test_films_from_where_the_liked_films_are_from_fit_better():
    """"I loved Oldboy" (2003) listed The Game, National Treasure and Taken, each sharing its thriller label,
    while Lady Vengeance ranked 26th; "I loved Amélie" leaned to American romantic comedies."""
    from types import SimpleNamespace

    import numpy as np

    from agent.turn.genre_fit import genre_fit, origin_films, shared_origin
    from agent.turn.slate import build_slate
    from tools.catalog.catalog import Catalog, Item
    from tools.recsys.request import RecRequest

    def film(i: str, genres: tuple[str, ...], langs: list[str], countries: list[str]) -> Item:
        return Item(i, i, 2005, genres=genres, attributes={"languages": langs, "countries": countries})

    cat = Catalog((film("oldboy", ("thriller", "mystery"), ["Korean"], ["South Korea"]),
                   film("lady", ("thriller", "mystery"), ["Korean"], ["South Korea"]),
                   film("game", ("thriller", "mystery"), ["English"], ["United States"]),
                   film("amelie", ("comedy", "romance"), ["French", "Russian"], ["France"]),
                   film("deli", ("comedy",), ["French"], ["France"]),
                   film("notting", ("comedy", "romance"), ["English"], ["United Kingdom"])))
    assert shared_origin(cat, ["oldboy"]) == {"Korean"}
    assert shared_origin(cat, ["amelie"]) == {"French"}  # its first language, not the Russian also spoken
    assert shared_origin(cat, ["oldboy", "amelie"]) == shared_origin(cat, ["game"]) == shared_origin(cat, []) == set()
    fit = genre_fit(RecRequest(), (), cat, like=["thriller", "mystery"], origin=shared_origin(cat, ["oldboy"]))
    assert build_slate(["game", "lady"], str, size=2, wanted=fit) == ["lady", "game"]
    # without an origin the ranked order stands: the same genre fit (the defect's order)
    plain = genre_fit(RecRequest(), (), cat, like=["thriller", "mystery"])
    assert build_slate(["game", "lady"], str, size=2, wanted=plain) == ["game", "lady"]
    # the films joining the ranked list: the recommendable ones of that origin, by the item space's kind masks
    space = SimpleNamespace(ids=["oldboy", "lady", "game"], recommendable=np.array([True, True, False]),
                            kinds={"Korean": np.array([True, True, True])})
    assert origin_films(SimpleNamespace(space=space), frozenset({"Korean"})) == {"oldboy", "lady"}
    assert origin_films(SimpleNamespace(space=space), frozenset({"French"})) == frozenset()
    assert origin_films(object(), frozenset({"Korean"})) == frozenset()
