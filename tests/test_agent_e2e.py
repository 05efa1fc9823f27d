"""End-to-end: the agent driving the REAL local vLLM server (SmolLM2-135M) over HTTP.

A two-turn dialogue: "I loved Toy Story" -> recommendations exclude Toy Story, are catalog
items, and carry checked explanations; "something scarier" -> the constraints gain horror.

Why the witness (evals/llm_metrics.py): every part of this dialogue has a deterministic fallback
-- a planning exception leaves the recommender to rank on its own sources, the parser reads
"scarier" as horror, explanations fall back to templates -- so the user-visible asserts pass with
every LLM call failing. The test therefore also requires, per turn, that the MODEL made an ok
retrieval call (the first ``stage_ms["model_tool_calls"]`` entries of the trace), that planning did
not fail, that every card's explanation was asked of the model and answered, and that the server's
own ``vllm:request_success_total`` grew by at least the requests those records claim.
"""

from __future__ import annotations

import pytest

from agent.settings import Settings
from agent.state import DialogueState
from evals.llm_metrics import RequestCounter, complete_turn, contribution_problems, turn_llm_use

pytestmark = pytest.mark.llm


@pytest.fixture()
def real_agent(make_agent, llm_server):
    from agent.llm.client import build_chat_model

    # temperature 0: the same plan every run, so a pass or a failure is the code's, not the sampler's
    settings = Settings(llm_base_urls=[llm_server], llm_temperature=0.0, llm_max_tokens=96)
    model = build_chat_model(settings)
    # no turn budget: every card's explanation is asked of the model (on a busy CPU a 1.4 s budget leaves no
    # time for any, and the templates would answer -- which is the fallback this test must tell apart)
    # the follow-up gets a minute: every card's claims are asked of the model and the replies checked
    agent = make_agent(chat_model=model, explain_model=build_chat_model(settings, max_tokens=160),
                       turn_budget_s=None, explain_follow_up_s=60.0)
    agent.plan_timeout_s = 120.0  # functionality, not latency (bench_agent measures latency on a quiet machine)
    return agent


def test_two_turn_dialogue_with_real_llm(real_agent, agent_catalog, store, llm_server, llm_settings):
    agent = real_agent
    counter = RequestCounter(llm_server, model=llm_settings.llm_model)
    sid = agent.new_session()
    r1 = complete_turn(agent, sid, "I loved Toy Story, what should I watch next?")
    assert not r1.degraded, "the real server should be reachable"
    assert [t.tool for t in r1.tool_trace][-1] == "recommend"
    assert len(r1.recommendations) >= 3
    for c in r1.recommendations:
        assert c.item_id in agent_catalog and c.item_id != "1"
        assert c.check_passed and c.explanation
        assert c.explanation_path in ("llm", "llm_regenerated", "template")
    r2 = complete_turn(agent, sid, "something scarier")
    state = DialogueState.from_dict(store.load_state(sid))
    assert "horror" in state.constraints.tags_include
    assert "1" in state.liked
    assert r2.recommendations and all(c.check_passed for c in r2.recommendations)
    # audit rows exist for every card
    for c in (*r1.recommendations, *r2.recommendations):
        assert store.recommendation(c.rec_id)["explanation"]["check"]["passed"] is True
    # the model, not the fallbacks, did the work -- by the turns' records and by the server's own count
    uses = [turn_llm_use(r, store) for r in (r1, r2)]
    served = counter.served(at_least=sum(u.llm_requests for u in uses))
    problems = contribution_problems(uses, served)
    assert problems == [], "\n".join(problems)
