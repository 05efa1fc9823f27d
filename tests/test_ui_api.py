"""The launched app through its HTTP API (``gradio_client``), with a fake agent over the real store."""

from __future__ import annotations

import socket

import pytest

from tests.ui_fakes import FakeAgent, small_items

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def app_url(store, tmp_path):
    from agent.settings import Settings
    from ui.app import build_app, launch_app

    agent = FakeAgent(store, small_items())
    demo = build_app(agent, store, Settings(data_dir=tmp_path, max_message_chars=200, support_username=None,
                                                 support_password=None))
    port = _free_port()
    launch_app(demo, port=port, prevent_thread_lock=True)
    try:
        yield f"http://127.0.0.1:{port}/", agent
    finally:
        demo.close()


def _texts(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def test_chat_endpoint_streams_reply_trace_and_cards(app_url, store):
    from gradio_client import Client

    url, agent = app_url
    client = Client(url, verbose=False)
    api = client.view_api(return_format="dict", print_info=False)
    assert list(api["named_endpoints"]) == ["/chat"]  # feedback/support/causal handlers are not public API

    history, cards, banner, box = client.predict("I loved Toy Story and Up", api_name="/chat")
    assert _texts(history[0]) == "I loved Toy Story and Up" and history[0]["role"] == "user"
    trace = [m for m in history if m.get("metadata")]
    assert trace[0]["metadata"]["title"] == "🔧 search_items" and trace[0]["metadata"]["status"] == "done"
    assert _texts(history[-1]) == "Here are a few picks you might enjoy."
    assert [c["title"] for c in cards][:2] == ["Toy Story", "Up"]
    assert all(c["check_passed"] and c["explanation"] for c in cards)
    assert banner == "" and box == ""

    # the same client is the same browser session: the second turn continues the same store session
    history2, cards2, _, _ = client.predict("Something scary from the 80s", api_name="/chat")
    assert len(history2) > len(history)
    sessions = {r["session_id"] for r in store.list_recommendations(limit=50)}
    assert len(sessions) == 1 and store.counts()["sessions"] == 1
    assert store.session(sessions.pop())["session_id"] not in str(history2)  # the id never leaves the server

    # a different client is a different session
    Client(url, verbose=False).predict("Toy Story", api_name="/chat")
    assert store.counts()["sessions"] == 2


def test_chat_endpoint_refuses_long_message_politely(app_url, store):
    from gradio_client import Client

    url, _ = app_url
    history, cards, _, box = Client(url, verbose=False).predict("x" * 201, api_name="/chat")
    assert "limit is 200" in _texts(history[-1]) and cards == [] and box == "x" * 201
    assert store.counts()["sessions"] == 0
