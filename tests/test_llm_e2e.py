"""End-to-end tests against the real local vLLM server (SmolLM2-135M on CPU).

Uses the session fixture ``llm_server`` (tests/fixtures_llm.py): reuses a running server
or starts one. Each test keeps ``max_tokens`` small so the file stays well under 3 minutes.

Every test that generates also asks the server itself (``served``: vLLM's
``vllm:request_success_total`` on ``/metrics``) whether it answered the completions the test
made: a client-side fallback or a reply that did not come from the model cannot pass.
"""

from __future__ import annotations

import json
import socket

import pytest

from agent.llm.client import build_chat_model, check_llm
from agent.llm.structured import (
    RESPOND_TOOL,
    RESPOND_TOOL_NAME,
    bind_agent_tools,
    resolve_tool_mode,
    structured_call,
    tool_parameters,
    validate_tool_call,
)
from evals.llm_metrics import RequestCounter

pytestmark = pytest.mark.llm

SEARCH = {"type": "function", "function": {
    "name": "search_movies", "description": "Search the movie catalog by a free-text query.",
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string", "description": "what to look for"},
        "k": {"type": "integer", "minimum": 1, "maximum": 10, "description": "how many results"}},
        "required": ["query", "k"], "additionalProperties": False}}}
RECORD = {"type": "function", "function": {
    "name": "record_preference", "description": "Remember that the user likes or dislikes a movie.",
    "parameters": {"type": "object", "properties": {
        "title": {"type": "string"}, "sentiment": {"type": "string", "enum": ["like", "dislike"]}},
        "required": ["title", "sentiment"], "additionalProperties": False}}}


@pytest.fixture()
def served(llm_server, llm_settings):
    """``served(n)`` fails unless the server answered at least ``n`` more requests since the test began.

    At least, not exactly: another client of the same server only adds to the count.
    """
    counter = RequestCounter(llm_server, model=llm_settings.llm_model)

    def require(n: int) -> None:
        got = counter.served(at_least=n)
        assert got >= n, (f"the server's vllm:request_success_total grew by {got:g}, not by the {n} "
                          "completion(s) this test made")

    return require


def test_chat_completion(llm_server, llm_settings, served):
    chat = build_chat_model(llm_settings, temperature=0.0, max_tokens=24)
    reply = chat.invoke([("system", "You are a movie expert."), ("user", "Name one famous science fiction movie.")])
    assert isinstance(reply.content, str) and len(reply.content.strip()) > 0
    assert reply.response_metadata.get("model_name") == "smollm2-135m-instruct"
    assert 0 < reply.usage_metadata["output_tokens"] <= 24
    served(1)


def test_streaming_yields_several_chunks(llm_server, llm_settings, served):
    chat = build_chat_model(llm_settings, temperature=0.0, max_tokens=16)
    chunks = [c.content for c in chat.stream("Say hello to a movie fan.")]
    assert sum(1 for c in chunks if c) >= 2
    served(1)


def test_required_tool_call_is_valid_against_schema(llm_server, llm_settings, served):
    # temperature 0: the same well-formed call every run (a 135M model offered a free-text `respond`
    # tool sometimes rambles past max_tokens, which is why the agent's plan-first mode does not offer it)
    chat = build_chat_model(llm_settings, temperature=0.0, max_tokens=200)
    bound = bind_agent_tools(chat, [SEARCH, RECORD], mode="required", include_respond=False)
    schemas = {t["function"]["name"]: tool_parameters(t) for t in (SEARCH, RECORD, RESPOND_TOOL)}
    reply = bound.invoke([("system", "You help people find movies. Always call a tool."),
                          ("user", "Find me three movies about space travel.")])
    assert reply.tool_calls, f"no tool call: {reply.content!r}"
    call = reply.tool_calls[0]
    assert call["name"] in {"search_movies", "record_preference", RESPOND_TOOL_NAME}
    assert validate_tool_call(call, schemas) is None, call
    served(1)


def test_single_call_reply_holds_exactly_one_valid_call(llm_server, llm_settings, served):
    # parallel_tool_calls=false: vLLM's "required" grammar allows one call, so decoding stops after it
    chat = build_chat_model(llm_settings, temperature=0.0, max_tokens=96)
    bound = bind_agent_tools(chat, [SEARCH, RECORD], mode="required", include_respond=False, single_call=True)
    reply = bound.invoke([("system", "You help people find movies. Always call a tool."),
                          ("user", "I loved Alien. Find me three movies about space travel.")])
    assert len(reply.tool_calls) == 1, reply.tool_calls
    schemas = {t["function"]["name"]: tool_parameters(t) for t in (SEARCH, RECORD)}
    assert validate_tool_call(reply.tool_calls[0], schemas) is None, reply.tool_calls[0]
    served(1)


def test_structured_output_matches_schema(llm_server, llm_settings, served):
    # enum + bounded integer: the grammar fixes the shape; a free-text field's maxLength is not enforced
    # by this vLLM build's xgrammar backend, so a 135M model can ramble past any token budget there
    schema = {"type": "object", "properties": {
        "genre": {"type": "string", "enum": ["science fiction", "drama", "comedy", "horror"]},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5}},
        "required": ["genre", "rating"], "additionalProperties": False}
    chat = build_chat_model(llm_settings, temperature=0.0, max_tokens=64)
    value = structured_call(chat, [("user", "I loved Alien. Which genre should I watch tonight, and how much "
                                            "would I like it from 1 to 5? Answer in JSON.")], schema)
    assert value["genre"] in schema["properties"]["genre"]["enum"]
    assert 1 <= value["rating"] <= 5
    served(1)  # at least: an invalid first reply is retried


def test_failover_from_dead_url_to_real_server(llm_server, llm_settings, served):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    settings = llm_settings.model_copy(update={"llm_base_urls": [dead, llm_server]})
    chat = build_chat_model(settings, temperature=0.0, max_tokens=8)
    assert all(chat.invoke("Hi").content is not None for _ in range(2))
    served(2)  # both answers came from the live server, whichever URL the rotation tried first


def test_check_llm_and_tool_mode_for_served_model(llm_server, llm_settings):
    info = check_llm(llm_settings)
    assert info["healthy"] and info["model_info"]["max_model_len"] == 4096
    assert resolve_tool_mode(llm_settings, info["model_info"]) == "required"


def test_cli_status_json_reports_healthy_model(llm_server, llm_settings):
    from typer.testing import CliRunner

    from ui.cli_llm import llm_app

    env = {"WHYREC_DATA_DIR": str(llm_settings.data_dir), "WHYREC_LLM_PORT": str(llm_settings.llm_port)}
    result = CliRunner().invoke(llm_app, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["healthy"] is True and doc["model"] == "smollm2-135m-instruct"
    assert doc["url"] == llm_server
