"""End-to-end: the agent driving the REAL local vLLM server (SmolLM2-135M) over HTTP.

A two-turn dialogue: "I loved Toy Story" -> recommendations exclude Toy Story, are catalog
items, and carry checked explanations; "something scarier" -> the constraints gain horror.
"""

from __future__ import annotations

import pytest

from agent.settings import Settings
from agent.state import DialogueState

pytestmark = pytest.mark.llm


@pytest.fixture()
def real_agent(make_agent, llm_server):
    from agent.llm import build_chat_model

    settings = Settings(llm_base_urls=[llm_server], llm_temperature=0.2, llm_max_tokens=96)
    model = build_chat_model(settings)
    agent = make_agent(chat_model=model, explain_model=build_chat_model(settings, max_tokens=160))
    agent.plan_timeout_s = 120.0  # functionality, not latency (bench_agent measures latency on a quiet machine)
    return agent


def test_two_turn_dialogue_with_real_llm(real_agent, agent_catalog, store):
    agent = real_agent
    sid = agent.new_session()
    r1 = agent.turn(sid, "I loved Toy Story, what should I watch next?")
    assert not r1.degraded, "the real server should be reachable"
    assert r1.tool_trace and r1.tool_trace[0].tool in {"search_items", "similar_items", "record_preference", "respond"}
    assert any(t.tool in ("search_items", "similar_items") for t in r1.tool_trace)
    assert any(t.tool == "score_candidates" for t in r1.tool_trace)
    assert len(r1.recommendations) >= 3
    for c in r1.recommendations:
        assert c.item_id in agent_catalog and c.item_id != "1"
        assert c.check_passed and c.explanation
        assert c.explanation_path in ("llm", "llm_regenerated", "template")
    r2 = agent.turn(sid, "something scarier")
    state = DialogueState.from_dict(store.load_state(sid))
    assert "horror" in state.constraints.tags_include
    assert "1" in state.liked
    assert r2.recommendations and all(c.check_passed for c in r2.recommendations)
    # audit rows exist for every card
    for c in (*r1.recommendations, *r2.recommendations):
        assert store.recommendation(c.rec_id)["explanation"]["check"]["passed"] is True
