"""The explanation follow-up's time budget: late LLM explanations give way to checked templates."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.explaining import CheckedExplainer
from tests.recsys_world import world
from tools.explain.claims import ClaimContext, build_claims
from tools.explain.evidence import EvidenceBundle
from tools.explain.evidence_builder import build_evidence
from tools.explain.explainer import DEADLINE_ERROR, explain_item
from tools.recsys.request import RankedItem, RecRequest

#: a claim sentence that passes the check for the Aliens card below
GOOD = json.dumps({"sentences": [{"claim": "similar_to", "text": "Its story resembles Alien, which you loved."}]})


class SlowModel(BaseChatModel):
    """Answers with a passing claim sentence, but only after ``delay`` seconds (a loaded server)."""

    delay: float = 2.0

    @property
    def _llm_type(self) -> str:
        return "slow-fake"

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
        time.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(GOOD))])


@pytest.fixture(scope="module")
def cards():
    """Two cards read off the ranker (Aliens for an Alien fan): the claim-by-claim form ``follow_up`` uses."""
    cat, space, stats = world()
    ranked = RankedItem("2", 1.0, {"cosuggest": 0.8}, {"cosuggest": 0.8, "content": 0.95, "year_gap": 7.0},
                        {"cosuggest": 0.9, "content": 0.3})
    claims = build_claims(ranked, RecRequest(liked=("1",), genres_exclude=("musical",)), ClaimContext(space, stats, cat))
    it = cat.get("2")
    bundle = EvidenceBundle(it.item_id, it.title, it.year, tuple(it.genres), claims=tuple(claims))
    return cat, [bundle, bundle]


def _follow_up(explainer: CheckedExplainer, bundles: list[Any], deadline_s: float):
    passed: list[tuple[int, dict]] = []
    t0 = time.perf_counter()
    counts = explainer.follow_up(bundles, lambda i, e: passed.append((i, e)), deadline_s)
    return counts, passed, time.perf_counter() - t0


def test_templates_are_checked_and_need_no_model(cards):
    cat, bundles = cards
    model = TimeoutHonouringModel(delay=0.0, calls=[])
    out = CheckedExplainer(model, cat).templates(bundles)
    assert [o["path"] for o in out] == ["template", "template"] and all(o["check"]["passed"] for o in out)
    assert model.calls == []


def test_late_llm_explanations_keep_their_checked_templates(cards):
    cat, bundles = cards
    explainer = CheckedExplainer(SlowModel(delay=2.0), cat, max_concurrency=2)
    counts, passed, elapsed = _follow_up(explainer, bundles, 0.3)
    assert elapsed < 1.5
    assert passed == []  # nothing replaces a template after the deadline
    assert counts["late"] == 2 and counts["llm"] == 0
    assert explainer.can_follow_up  # the explainer is free for the next turn


def test_fast_llm_explanations_are_handed_on(cards):
    cat, bundles = cards
    explainer = CheckedExplainer(SlowModel(delay=0.0), cat, max_concurrency=2)
    counts, passed, _ = _follow_up(explainer, bundles, 5.0)
    assert counts["llm"] == 2 and counts["late"] == 0
    assert sorted(i for i, _ in passed) == [0, 1]
    for _, e in passed:
        assert e["path"] == "llm" and e["check"]["passed"] and "resembles Alien" in e["text"]
        assert "error" not in e["check"]


class TimeoutHonouringModel(BaseChatModel):
    """A loaded server behind an HTTP client: a call given ``timeout`` gives up after it (as httpx does)."""

    delay: float = 2.0
    calls: list = []

    @property
    def _llm_type(self) -> str:
        return "timeout-fake"

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
        timeout = kw.get("timeout")
        self.calls.append(timeout)
        if timeout is not None and timeout < self.delay:
            time.sleep(timeout)
            raise TimeoutError("Request timed out.")
        time.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(GOOD))])


def test_late_calls_stop_at_the_deadline_instead_of_running_on(cards):
    cat, bundles = cards
    model = TimeoutHonouringModel(delay=3.0, calls=[])
    explainer = CheckedExplainer(model, cat, max_concurrency=2)
    counts, passed, elapsed = _follow_up(explainer, bundles, 0.4)
    assert elapsed < 1.0
    # every call was sent with the time left as its HTTP timeout, and none was started after it
    assert len(model.calls) == 2 and all(0 < t <= 0.4 for t in model.calls)
    assert passed == [] and counts["late"] == 2 and counts["llm"] == 0
    time.sleep(0.3)
    assert len(model.calls) == 2  # no regeneration attempt kept the server busy after the deadline


def test_no_call_starts_when_the_deadline_is_spent(cards):
    cat, bundles = cards
    model = TimeoutHonouringModel(delay=0.0, calls=[])
    counts, passed, _ = _follow_up(CheckedExplainer(model, cat, max_concurrency=2), bundles, 0.0)
    assert model.calls == []
    assert passed == [] and counts["late"] == 2 and counts["llm"] == 0


def _bundles(agent_catalog, ids=("2", "3")):
    return [build_evidence(agent_catalog.get(i), query="pixar", versions={"catalog": "t"}, title_of=agent_catalog)
            for i in ids]


def test_a_deadline_is_not_an_outage(agent_catalog):
    model = TimeoutHonouringModel(delay=3.0, calls=[])
    exp = explain_item(_bundles(agent_catalog, ("2",))[0], model, agent_catalog, deadline=time.monotonic() + 0.2)
    assert exp.path == "template" and exp.check.passed
    assert exp.error == DEADLINE_ERROR and not exp.degraded


class SharedCoresModel(BaseChatModel):
    """A CPU-served model: calls in flight share its cores, so each progresses at 1/n of the speed
    (processor sharing); ``work`` seconds a call alone. Honours the HTTP ``timeout`` as a client does."""

    work: float = 0.15
    inflight: list = []

    @property
    def _llm_type(self) -> str:
        return "shared-cores-fake"

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
        timeout = kw.get("timeout")
        t0, left = time.monotonic(), self.work
        self.inflight.append(1)
        try:
            while left > 0:
                time.sleep(0.005)
                left -= 0.005 / max(1, len(self.inflight))
                if timeout is not None and time.monotonic() - t0 > timeout:
                    raise TimeoutError("Request timed out.")
        finally:
            self.inflight.pop()
        return ChatResult(generations=[ChatGeneration(message=AIMessage(GOOD))])


def test_a_follow_up_that_ended_late_asks_for_fewer_cards_next_time(cards):
    """Five cards on two shared cores all ended late (0 of 225 with model text on this machine);
    the next follow-up asks only for what fit, so the top card's text arrives, and grows back one
    card at a time while every card it tries finishes."""
    cat, two = cards
    bundles = [two[0]] * 5
    explainer = CheckedExplainer(SharedCoresModel(work=0.15, inflight=[]), cat, max_concurrency=5)
    counts, passed, _ = _follow_up(explainer, bundles, 0.5)  # five together: 0.75 s each
    assert counts["tried"] == 5 and counts["late"] == 5 and passed == [] and counts["fit_next"] == 1
    counts, passed, elapsed = _follow_up(explainer, bundles, 0.5)  # the top card alone: 0.15 s
    assert counts["tried"] == 1 and counts["not_tried"] == 4 and counts["llm"] == 1 and counts["late"] == 0
    assert [i for i, _ in passed] == [0] and elapsed < 0.45  # the stream is not held for the whole window
    assert counts["fit_next"] == 2
    counts, passed, _ = _follow_up(explainer, bundles, 0.5)  # two together: 0.3 s each
    assert counts["tried"] == 2 and counts["llm"] == 2 and sorted(i for i, _ in passed) == [0, 1]
    assert explainer.cards_that_fit == 3


def test_genres_the_audience_implied_are_not_claimed_as_asked_for():
    """"Something my grandma would enjoy": the card said "it is a drama, comedy and romance film, as you
    asked" -- the genres stood in for the audience; the user named none."""
    from tools.explain.claims import Relation

    cat, space, stats = world()
    ranked = RankedItem("2", 1.0, {"cosuggest": 0.8}, {"cosuggest": 0.8, "content": 0.95, "genre_request_match": 1.0},
                        {"cosuggest": 0.9, "genre_request_match": 0.6})
    genres = tuple(cat.get("2").genres)
    assert genres
    said = build_claims(ranked, RecRequest(liked=("1",), genres_include=genres), ClaimContext(space, stats, cat))
    implied = build_claims(ranked, RecRequest(liked=("1",), genres_include=genres, genres_implied_in=genres),
                           ClaimContext(space, stats, cat))
    assert any(c.relation == Relation.MATCHES_GENRE for c in said)
    assert not any(c.relation == Relation.MATCHES_GENRE for c in implied)
