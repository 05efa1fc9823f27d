"""Lower-case titles and typos through a live turn (real store and ranker on the known world; no LLM).

Why at the turn level too: the parser's ``UnresolvedTitle(reason="typo")`` is only useful if the
reply asks "did you mean ...?" instead of recommending as if nothing had been said, and a
lower-case title must keep the film itself off the slate like a capitalised one does.
"""

from __future__ import annotations

import pytest

from agent.explaining import CheckedExplainer, EvidenceAssembler
from agent.loop import WhyRecAgent
from agent.settings import Settings
from tests.recsys_world import query_embedder, world
from tests.test_recsys import _training_rows
from tools.agent_tools import ToolServices
from tools.people_index import PeopleIndex
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.sources import ContentSource, CoSuggestionSource, PopularitySource, QuerySource
from tools.title_resolver import TitleResolver

CAT, SPACE, STATS = world()


@pytest.fixture
def agent(tmp_path):
    from agent.store import Store

    x, y, g = _training_rows(0)
    ranker = LearnedRanker.fit((x, y, g), None, RankerConfig(n_estimators=40, min_child_samples=5))
    rec = Recommender(SPACE, STATS, [CoSuggestionSource(STATS), ContentSource(SPACE), QuerySource(SPACE, query_embedder),
                                     PopularitySource(STATS.suggested)], ranker, depth=10)
    services = ToolServices(CAT, TitleResolver(CAT.items), None, recommender=rec, people=PeopleIndex(CAT.items))
    return WhyRecAgent(chat_model=None, services=services, store=Store(f"sqlite:///{tmp_path / 'w.db'}"),
                       settings=Settings(recs_per_turn=2, turn_budget_s=None), explainer=CheckedExplainer(None, CAT),
                       evidence_builder=EvidenceAssembler(CAT, {}), versions={"catalog": CAT.version})


def test_lowercase_liked_title_is_understood_and_not_recommended(agent):
    sid = agent.new_session()
    r = agent.turn(sid, "loved alien, what next?")
    titles = [c.title for c in r.recommendations]
    assert titles and "Alien" not in titles and titles[0] == "Aliens"


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
