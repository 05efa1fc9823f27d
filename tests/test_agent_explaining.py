"""The explanation step's time budget: late LLM explanations give way to checked templates."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.explaining import CheckedExplainer
from tools.explain.evidence_builder import build_evidence
from tools.explain.explainer import DEADLINE_ERROR, explain_item


class SlowModel(BaseChatModel):
    """Answers correctly, but only after ``delay`` seconds (a loaded server)."""

    delay: float = 2.0

    @property
    def _llm_type(self) -> str:
        return "slow-fake"

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
        time.sleep(self.delay)
        text = '{"sentences": [{"text": "Toy Story 2 was released in 1999.", "evidence_keys": ["item.title", "item.year"]}]}'
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def _bundles(agent_catalog, ids=("2", "3")):
    return [build_evidence(agent_catalog.get(i), query="pixar", versions={"catalog": "t"}, title_of=agent_catalog)
            for i in ids]


def test_late_llm_explanations_become_checked_templates(agent_catalog):
    explainer = CheckedExplainer(SlowModel(delay=2.0), agent_catalog, max_concurrency=2, deadline_s=0.3)
    t0 = time.perf_counter()
    out = explainer(_bundles(agent_catalog), degraded=False)
    assert time.perf_counter() - t0 < 1.5
    assert all(o["path"] == "template" and o["check"]["passed"] for o in out)
    assert all(o["check"]["deadline_exceeded"] == 0.3 for o in out)


def test_fast_llm_explanations_are_used(agent_catalog):
    explainer = CheckedExplainer(SlowModel(delay=0.0), agent_catalog, max_concurrency=2, deadline_s=5.0)
    out = explainer(_bundles(agent_catalog, ("2",)), degraded=False)
    assert out[0]["path"] == "llm" and out[0]["check"]["passed"] and "deadline_exceeded" not in out[0]["check"]


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
        text = '{"sentences": [{"text": "Toy Story 2 was released in 1999.", "evidence_keys": ["item.title", "item.year"]}]}'
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def test_late_calls_stop_at_the_deadline_instead_of_running_on(agent_catalog):
    model = TimeoutHonouringModel(delay=3.0, calls=[])
    explainer = CheckedExplainer(model, agent_catalog, max_concurrency=2, deadline_s=5.0)
    t0 = time.perf_counter()
    out = explainer(_bundles(agent_catalog), degraded=False, deadline_s=0.4)  # the turn has 0.4 s left
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0
    # every call was sent with the time left as its HTTP timeout, and none was started after it
    assert len(model.calls) == 2 and all(0 < t <= 0.4 for t in model.calls)
    assert all(o["path"] == "template" and o["check"]["passed"] for o in out)
    assert all(o["check"]["deadline_exceeded"] == 0.4 for o in out)
    time.sleep(0.3)
    assert len(model.calls) == 2  # no regeneration attempt kept the server busy after the turn


def test_no_call_starts_when_the_turn_budget_is_spent(agent_catalog):
    model = TimeoutHonouringModel(delay=0.0, calls=[])
    explainer = CheckedExplainer(model, agent_catalog, max_concurrency=2, deadline_s=5.0)
    out = explainer(_bundles(agent_catalog), degraded=False, deadline_s=0.0)
    assert model.calls == []
    assert all(o["path"] == "template" and o["check"]["passed"] for o in out)


def test_a_deadline_is_not_an_outage(agent_catalog):
    model = TimeoutHonouringModel(delay=3.0, calls=[])
    exp = explain_item(_bundles(agent_catalog, ("2",))[0], model, agent_catalog, deadline=time.monotonic() + 0.2)
    assert exp.path == "template" and exp.check.passed
    assert exp.error == DEADLINE_ERROR and not exp.degraded
