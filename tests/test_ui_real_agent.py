"""The Chat tab's handlers over the REAL ``WhyRecAgent`` (real tools, index, store; scripted fake LLM)."""

from __future__ import annotations

import pytest

from tests.fixtures_agent import tool_call
from tools.errors import LLMUnavailableError
from ui.app_chat import ChatHandlers

pytestmark = pytest.mark.slow


def test_real_agent_turn_renders_trace_cards_and_takes_feedback(make_agent, store):
    agent = make_agent([tool_call("search_items", query="scary horror movie")])
    handlers = ChatHandlers(agent, 4000)
    snaps = list(handlers.submit("I want something scary", [], [], None))
    history, cards, banner, _, sid = snaps[-1]
    titles = [m["metadata"]["title"] for m in history if "metadata" in m]
    assert titles[:2] == ["🔧 search_items", "🔧 recommend"]
    assert all(m["metadata"]["status"] == "done" for m in history if "metadata" in m)
    assert history[-1]["role"] == "assistant" and history[-1]["content"]
    assert len(cards) == 3 and banner == ""
    assert all(c["explanation"] and c["check_passed"] and c["evidence_lines"] for c in cards)
    assert handlers.feedback(sid, cards[0]["rec_id"], "like").startswith("👍")
    assert [(f["rec_id"], f["kind"]) for f in store.feedback(session_id=sid)] == [(cards[0]["rec_id"], "like")]


def test_real_agent_degraded_mode_shows_banner(make_agent):
    agent = make_agent([LLMUnavailableError("connection refused")])
    _, cards, banner, _, _ = list(ChatHandlers(agent, 4000).submit("something scary", [], [], None))[-1]
    assert 'class="wr-banner"' in banner and cards
