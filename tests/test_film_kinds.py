"""Film kinds finer than a genre ("a psychological thriller", "a heist movie", "a mob movie").

Found by chatting: "I want a slow-burn psychological thriller" listed Die Hard, Insidious and John
Wick (every thriller counted), "a mob movie" was not understood at all. Each test here fails on
the code before kinds: the parser read no kind, the request carried none, the slate ignored it.
"""

from __future__ import annotations

import numpy as np
import pytest

from agent.explaining import CheckedExplainer
from agent.loop import WhyRecAgent
from agent.settings import Settings
from agent.state import Constraints, DialogueState
from agent.turn.dialogue import apply_update, request_for
from agent.turn.lexicon import KIND_WORDS, RESERVED
from agent.turn.state_update import StateUpdate
from agent.turn.understand import parse
from tests.test_recsys import _training_rows
from tools.catalog.catalog import Catalog, Item, load_catalog
from tools.catalog.movie_kinds import KINDS, kinds_of, known_kinds
from tools.recsys.constraints import allowed_mask, relaxations
from tools.recsys.cooccurrence import CoSuggestionStats, Episode
from tools.recsys.item_space import ItemSpace
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.request import RecRequest
from tools.recsys.sources import CoSuggestionSource, PopularitySource, QuerySource
from tools.resolve.people import PeopleIndex
from tools.resolve.titles import TitleResolver
from tools.toolbox.agent_tools import ToolServices

ITEMS = (
    Item("1", "Heat", 1995, ("crime", "thriller"), (), 10.0, "", {"cmu_genres": ["Heist", "Crime Fiction"]}),
    Item("2", "Die Hard", 1988, ("action", "thriller"), (), 80.0, "", {"cmu_genres": ["Action"]}),
    Item("3", "Ocean's Eleven", 2001, ("crime", "comedy"), (), 30.0, "", {"keywords": ["casino", "heist"]}),
    Item("4", "Goodfellas", 1990, ("crime", "drama"), (), 60.0, "", {"cmu_genres": ["Gangster Film"]}),
    Item("5", "Se7en", 1995, ("crime", "thriller"), (), 50.0, "", {"wiki_genres": ["psychological thriller"]}),
    Item("6", "John Wick", 2014, ("action", "thriller", "crime"), (), 90.0, "", {}),
)
CAT = Catalog(items=ITEMS, interactions=(), name="kinds-world")
SPACE = ItemSpace.from_catalog(CAT, ([i.item_id for i in ITEMS], np.eye(6, 2, dtype=np.float32) + 0.1))


def test_a_film_is_of_a_kind_by_its_labels_or_its_plot_keywords():
    assert kinds_of(ITEMS[0]) == {"heist"} and kinds_of(ITEMS[2]) == {"heist"}
    assert kinds_of(ITEMS[3]) == {"gangster"} and kinds_of(ITEMS[4]) == {"psychological thriller"}
    assert kinds_of(ITEMS[1]) == frozenset()
    with pytest.raises(ValueError, match="unknown film kind"):
        known_kinds(["heist", "telenovela noir"])


def test_every_kind_word_names_a_kind_and_kind_phrases_are_never_titles():
    assert set(KIND_WORDS.values()) <= set(KINDS)
    assert "heist movie" not in RESERVED and "psychological thriller" in RESERVED
    assert "monster" not in RESERVED  # "I loved Monster" is a film


def test_a_kind_is_a_hard_wish_that_relaxes_after_the_people():
    ok = allowed_mask(RecRequest(kinds=("heist",)), SPACE)
    assert [SPACE.ids[i] for i in np.flatnonzero(ok)] == ["1", "3"]
    assert allowed_mask(RecRequest(kinds=("heist", "gangster")), SPACE).sum() == 3  # any of them
    req = RecRequest(kinds=("heist",), people_include=("al pacino",), year_min=1990)
    steps = relaxations(req)
    assert steps[0].kinds == ("heist",) and steps[0].people_include == ()
    assert steps[1].kinds == () and steps[1].year_min == 1990
    assert steps[-1].kinds == () and steps[-1].year_min is None


def test_where_a_film_is_from_combines_with_what_it_is():
    """"a foreign film, maybe Korean" was "my catalog doesn't record a film's country or language"; CMU
    records both. An origin and a kind combine with "and", origins among themselves with "or"."""
    def film(i, title, langs, countries, **attrs):
        return Item(i, title, 2005, ("crime",), (), 1.0, "", {"languages": langs, "countries": countries, **attrs})

    films = (film("oldboy", "Oldboy", ["Korean"], ["South Korea"]),
             film("host", "The Host", ["Korean", "English"], ["South Korea"]),
             film("love", "Love Actually", ["French", "Portuguese", "English"], ["United States of America", "France"]),
             film("amelie", "Amélie", ["French", "Russian"], ["France", "Germany"]),
             film("snatch", "Snatch", ["English"], ["United States of America", "United Kingdom"],
                  cmu_genres=["Gangster Film"]),
             film("goodfellas", "Goodfellas", ["English", "Italian"], ["United States of America"],
                  cmu_genres=["Gangster Film"]),
             Item("unknown", "Unknown", 2005, ("crime",)))
    assert kinds_of(films[0]) == {"Korean", "foreign-language"}
    assert kinds_of(films[1]) == {"Korean", "English-language"}  # Korean and English, made in South Korea
    assert kinds_of(films[2]) == {"English-language"}  # an American film with French spoken in it
    assert kinds_of(films[3]) == {"French", "Russian", "foreign-language"}
    assert kinds_of(films[4]) == {"British", "English-language", "gangster"}
    assert kinds_of(films[6]) == frozenset()  # nothing known: of no origin, not even "foreign"
    space = ItemSpace.from_catalog(Catalog(items=films, interactions=(), name="origins"),
                                   ([f.item_id for f in films], np.eye(7, 2, dtype=np.float32) + 0.1))

    def allowed(**kw):
        return [space.ids[i] for i in np.flatnonzero(allowed_mask(RecRequest(**kw), space))]

    assert allowed(kinds=("British", "gangster")) == ["snatch"]
    assert allowed(kinds=("foreign-language", "Korean")) == ["oldboy", "host", "amelie"]
    assert allowed(kinds_exclude=("foreign-language", "British")) == ["host", "love", "goodfellas", "unknown"]


@pytest.mark.parametrize(("text", "kinds", "genre"), [
    ("I want a slow-burn psychological thriller", ("psychological thriller",), "thriller"),
    ("a mob movie from the 90s", ("gangster",), "crime"),
    ("any good heist movies?", ("heist",), "crime"),
    ("a coming-of-age movie", ("coming-of-age",), None),
    ("I love pirate movies", ("swashbuckler",), "adventure"),
    ("classic black and white movies", ("black-and-white",), None),
    ("a b&w comedy", ("black-and-white",), "comedy"),
    # "I hate Star Wars movies. Something with space?" listed Black Panther, Jumanji, It, Get Out and Coco
    ("I hate Star Wars movies. Something with space?", ("space",), "science fiction"),
    ("a movie with astronauts", ("space",), "science fiction"),
    ("something in outer space", ("space",), "science fiction"),
])
def test_the_parser_reads_the_kind_and_its_genre(text, kinds, genre):
    u = parse(text, TitleResolver(load_catalog().items))
    assert u.kinds == kinds and u.act == "recommend"
    assert (genre in u.genres_liked) if genre else not u.genres_liked


def test_a_kind_turned_down_asks_for_nothing():
    u = parse("no slashers please", TitleResolver(load_catalog().items))
    assert u.kinds == () and u.genres_disliked == ("horror",)


def test_kinds_reach_the_request_and_give_way_to_a_new_wish():
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", kinds=("heist",), genres_liked=("crime",)))
    assert request_for(state, ["a heist movie"]).kinds == ("heist",)
    assert state.constraints.describe() == "heist"  # the kind says more than its genre
    apply_update(state, StateUpdate(act="refine", year_min=1990, year_max=1999))
    assert request_for(state, ["from the 90s"]).kinds == ("heist",)
    apply_update(state, StateUpdate(act="refine", kinds=("gangster",), genres_liked=("crime",)))
    assert state.constraints.kinds == ["gangster"]
    apply_update(state, StateUpdate(act="refine", kinds=("heist",), additive=True))
    assert state.constraints.kinds == ["gangster", "heist"]
    apply_update(state, StateUpdate(act="refine", genres_liked=("comedy",)))  # another genre: a new wish
    assert state.constraints.kinds == []
    state.constraints.kinds.append("noir")
    apply_update(state, StateUpdate(act="replace", genres_liked=("horror",)))
    assert state.constraints.kinds == []
    assert DialogueState.from_dict({"constraints": {"kinds": ["heist"]}}).constraints == Constraints(kinds=["heist"])


@pytest.fixture
def agent(tmp_path):
    from agent.store.db import Store

    stats = CoSuggestionStats.fit([Episode(f"d{n}", ("2",), ("6",)) for n in range(3)], SPACE)
    x, y, g = _training_rows(0)
    ranker = LearnedRanker.fit((x, y, g), None, RankerConfig(n_estimators=40, min_child_samples=5))
    rec = Recommender(SPACE, stats, [CoSuggestionSource(stats), QuerySource(SPACE, lambda t: np.ones(2, np.float32)),
                                     PopularitySource(stats.suggested)], ranker, depth=10)
    services = ToolServices(CAT, TitleResolver(CAT.items), None, recommender=rec, people=PeopleIndex(CAT.items))
    return WhyRecAgent(chat_model=None, services=services, store=Store(f"sqlite:///{tmp_path / 'k.db'}"),
                       settings=Settings(recs_per_turn=2, turn_budget_s=None), explainer=CheckedExplainer(None, CAT),
                       versions={"catalog": CAT.version})


def test_a_heist_wish_shows_heists_and_says_when_too_few_films_are_of_the_kind(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "a heist movie please")
    assert {c.title for c in r.recommendations} == {"Heat", "Ocean's Eleven"} and "(heist)" in r.reply
    r = agent.turn(sid, "a gangster one instead")
    assert [c.title for c in r.recommendations][0] == "Goodfellas"
    assert "the other one leaves out “gangster”" in r.reply


@pytest.mark.parametrize(("text", "liked", "disliked"), [
    ("a psychological thriller, nothing with gore", ("psychological thriller",), ("slasher",)),
    ("a horror movie, not too gory", (), ("slasher",)),
    ("something gory please", ("slasher",), ()),
    ("a violent action movie", (), ()),  # violence wished is no slasher wish
])
def test_gore_is_read_as_its_nearest_fact(text, liked, disliked):
    u = parse(text, TitleResolver(load_catalog().items))
    assert (u.kinds, u.kinds_disliked) == (liked, disliked)
    assert "level of gore or violence" in u.unsupported


def test_a_gore_aversion_alone_is_no_wish_and_a_ruled_out_kind_survives_instead():
    u = parse("something that isn't too bloody", TitleResolver(load_catalog().items))
    assert u.kinds_disliked == ("slasher",) and not u.has_preferences
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("horror",), kinds_disliked=("slasher",)))
    apply_update(state, StateUpdate(act="replace", genres_liked=("thriller",)))
    req = request_for(state, ["a thriller instead"])
    assert req.kinds_exclude == ("slasher",) and state.constraints.describe() == "thriller; not slasher"
    assert not allowed_mask(RecRequest(kinds_exclude=("heist",)), SPACE)[[SPACE.index["1"], SPACE.index["3"]]].any()


def test_gore_wishes_say_how_they_were_read(agent):
    r = agent.turn(agent.new_session(), "a crime movie, nothing too gory")
    assert "left out its slasher and splatter films" in r.reply and "aren't chosen by that" not in r.reply
    r = agent.turn(agent.new_session(), "a violent crime movie")
    assert "level of gore or violence, so these aren't chosen by that" in r.reply


def test_black_and_white_is_the_cmu_label_and_black_comedy_stays_its_own_kind():
    """"classic black and white movies" listed Die Hard and Reservoir Dogs: CMU labels 179 films
    black-and-white; "a black comedy" must not become one."""
    bw = Item("c", "Casablanca", 1942, attributes={"cmu_genres": ["Black-and-white", "Romance Film"]})
    assert "black-and-white" in kinds_of(bw) and "black-and-white" not in kinds_of(Item("d", "Die Hard", 1988))
    u = parse("a black comedy", TitleResolver(load_catalog().items))
    assert u.kinds == ("black comedy",)


def test_a_film_for_adults_is_no_family_film():
    """"an animated movie for adults" listed Coco, Moana and Toy Story."""
    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", genres_liked=("animation",), audience="adults"))
    req = request_for(state, ["an animated movie for adults"])
    assert "family" in req.genres_exclude and req.genres_include == ("animation",)


def test_a_film_the_catalog_cannot_place_is_asked_about_before_what_it_cannot_filter(agent):
    """"I liked Heat but not too violent" (two films called Heat) got only "my catalog doesn't record
    a film's level of gore": the film was dropped in silence."""
    r = agent.turn(agent.new_session(), "I liked Zorbulax Returns but nothing too violent")
    assert "Zorbulax Returns" in r.reply and "doesn't record" not in r.reply and not r.recommendations
