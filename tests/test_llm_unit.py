"""Unit tests of the LLM client, failover, tool helpers, template and server manager.

They run against a fake OpenAI-compatible HTTP server on loopback (tests/fake_openai.py),
so the real openai SDK / LangChain / httpx stack is exercised without a model.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from agent.llm.client import build_chat_model, check_llm
from agent.llm.failover import UrlRotation
from agent.llm.server import LLMServer, process_matches, server_handle
from agent.llm.spec import TEMPLATE_PATH, ServerSpec, cpu_spec, gpu_spec, omp_cores, replica_cores
from agent.llm.structured import (
    RESPOND_TOOL_NAME,
    LLMOutputError,
    bind_agent_tools,
    params_billions,
    resolve_tool_mode,
    structured_call,
    validate_json,
    validate_tool_call,
)
from agent.settings import Settings
from tests.fake_openai import FakeOpenAIServer
from tools.errors import InputError, LLMUnavailableError, ModelNotReadyError, is_llm_unavailable

MODEL = "fake-model"
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_movies",
        "description": "Search the catalog",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "k": {"type": "integer"}},
                       "required": ["query", "k"], "additionalProperties": False},
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake():
    server = FakeOpenAIServer(model=MODEL, tag="A").start()
    yield server
    server.stop()


@pytest.fixture
def fake_b():
    server = FakeOpenAIServer(model=MODEL, tag="B").start()
    yield server
    server.stop()


def settings_for(*urls: str, **kw) -> Settings:
    return Settings(llm_base_urls=list(urls), llm_model=MODEL, llm_connect_timeout_s=1.0, llm_timeout_s=5.0, **kw)


# -- build_chat_model -------------------------------------------------------------------
def test_invoke_sends_model_temperature_and_max_tokens(fake):
    chat = build_chat_model(settings_for(fake.base_url), temperature=0.0, max_tokens=17)
    reply = chat.invoke("hello there")
    assert reply.content == "[A] echo: hello there"
    body = fake.requests[-1]["body"]
    assert body["model"] == MODEL and body["temperature"] == 0.0
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 17


def test_stream_yields_pieces_in_order(fake):
    chat = build_chat_model(settings_for(fake.base_url))
    chunks = [c.content for c in chat.stream("one two three")]
    assert len(chunks) >= 4
    assert "".join(chunks) == "[A] echo: one two three"


def test_required_tools_binding_is_strict_and_offers_respond(fake):
    chat = build_chat_model(settings_for(fake.base_url))
    reply = bind_agent_tools(chat, [SEARCH_TOOL], mode="required").invoke("find space movies")
    body = fake.requests[-1]["body"]
    assert body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["search_movies", RESPOND_TOOL_NAME]
    assert all(t["function"].get("strict") is True for t in body["tools"])
    assert reply.tool_calls[0]["name"] == "search_movies"
    assert reply.tool_calls[0]["args"] == {"query": "fake", "k": 1}
    by_name = {"search_movies": SEARCH_TOOL["function"]["parameters"]}
    assert validate_tool_call(reply.tool_calls[0], by_name) is None
    assert "unknown tool" in validate_tool_call({"name": "nope", "args": {}}, by_name)
    assert "does not match" in validate_tool_call({"name": "search_movies", "args": {"query": 3}}, by_name)


def test_single_call_binding_asks_the_server_for_at_most_one_call(fake):
    chat = build_chat_model(settings_for(fake.base_url))
    bind_agent_tools(chat, [SEARCH_TOOL], mode="required").invoke("find space movies")  # forced: one call
    body = fake.requests[-1]["body"]
    assert body["parallel_tool_calls"] is False
    assert body["chat_template_kwargs"] == {"tool_call_format": "json_array"}
    bind_agent_tools(chat, [SEARCH_TOOL], mode="auto").invoke("find space movies")
    assert "parallel_tool_calls" not in fake.requests[-1]["body"]
    bind_agent_tools(chat, [SEARCH_TOOL], mode="auto", single_call=True).invoke("find space movies")
    assert fake.requests[-1]["body"]["parallel_tool_calls"] is False


def test_bind_agent_tools_rejects_unknown_mode(fake):
    chat = build_chat_model(settings_for(fake.base_url))
    with pytest.raises(ValueError, match="tool mode"):
        bind_agent_tools(chat, [SEARCH_TOOL], mode="sometimes")  # type: ignore[arg-type]


class Pick(BaseModel):
    title: str
    year: int


def test_structured_call_dict_and_pydantic_schema(fake):
    chat = build_chat_model(settings_for(fake.base_url))
    schema = {"type": "object", "properties": {"message": {"type": "string"},
                                               "genre": {"type": "string", "enum": ["scifi", "drama"]}},
              "required": ["message", "genre"], "additionalProperties": False}
    assert structured_call(chat, [("user", "pick")], schema) == {"message": "fake", "genre": "scifi"}
    fmt = fake.requests[-1]["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == schema
    assert structured_call(chat, [("user", "pick")], Pick) == {"title": "fake", "year": 1}


def test_validate_json():
    with pytest.raises(LLMOutputError):
        validate_json({"title": 3}, Pick)
    with pytest.raises(LLMOutputError):
        validate_json({"genre": "x"}, {"type": "object", "required": ["message"]})
    params = SEARCH_TOOL["function"]["parameters"]
    assert validate_json({"query": "q", "k": 2}, params) == {"query": "q", "k": 2}
    with pytest.raises(LLMOutputError):
        validate_json({"query": "q"}, params)


# -- failover and fast failure ------------------------------------------------------------
def test_failover_skips_dead_url(fake):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    chat = build_chat_model(settings_for(dead, fake.base_url))
    started = time.perf_counter()
    replies = [chat.invoke(f"q{i}").content for i in range(4)]
    assert replies == [f"[A] echo: q{i}" for i in range(4)]
    assert len(fake.requests) == 4
    assert time.perf_counter() - started < 5


def test_round_robin_spreads_over_live_urls(fake, fake_b):
    chat = build_chat_model(settings_for(fake.base_url, fake_b.base_url))
    tags = [chat.invoke("x").content.split("]")[0] for _ in range(4)]
    assert tags == ["[A", "[B", "[A", "[B"]
    assert fake_b.requests[0]["host"] == fake_b.base_url.split("/")[2]


def test_async_and_streaming_fail_over(fake):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    chat = build_chat_model(settings_for(dead, fake.base_url))
    reply = asyncio.run(chat.ainvoke("async hi"))
    assert reply.content == "[A] echo: async hi"
    assert "".join(c.content for c in chat.stream("s t")) == "[A] echo: s t"


def test_dead_port_raises_llm_unavailable_fast():
    dead = f"http://127.0.0.1:{free_port()}/v1"
    chat = build_chat_model(settings_for(dead))
    for call in (lambda: chat.invoke("hi"), lambda: list(chat.stream("hi"))):
        started = time.perf_counter()
        with pytest.raises(LLMUnavailableError, match="whyrec llm serve"):
            call()
        # connection refused is immediate; the margin is for a loaded CI machine
        assert time.perf_counter() - started < 4.0
    started = time.perf_counter()
    with pytest.raises(LLMUnavailableError, match="no LLM server answers"):
        check_llm(settings_for(dead))
    assert time.perf_counter() - started < 4.0


@pytest.fixture
def blackhole_port():
    """A port whose accept queue is full: connects hang (like a dead host) until the timeout."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    fillers = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.1)
    yield port
    for c in fillers:
        c.close()
    srv.close()


def test_hanging_connect_times_out_within_connect_timeout(blackhole_port, fake):
    hanging = f"http://127.0.0.1:{blackhole_port}/v1"
    chat = build_chat_model(Settings(llm_base_urls=[hanging], llm_model=MODEL, llm_connect_timeout_s=0.5))
    started = time.perf_counter()
    with pytest.raises(LLMUnavailableError):
        chat.invoke("hi")
    assert time.perf_counter() - started < 2.0
    # with a live replica behind it, the hanging one costs one connect timeout, then is skipped
    both = build_chat_model(Settings(llm_base_urls=[hanging, fake.base_url], llm_model=MODEL,
                                     llm_connect_timeout_s=0.5))
    assert [both.invoke("q").content for _ in range(3)] == ["[A] echo: q"] * 3


def test_is_unavailable_classifies():
    import httpx
    import openai

    req = httpx.Request("POST", "http://x/v1/chat/completions")
    assert is_llm_unavailable(openai.APIConnectionError(request=req))
    assert is_llm_unavailable(openai.APITimeoutError(request=req))
    assert is_llm_unavailable(httpx.ConnectError("refused"))
    assert not is_llm_unavailable(ValueError("bad"))
    # a gateway or overloaded server is down too (the failover's retryable statuses)
    for status in (502, 503, 504):
        assert is_llm_unavailable(openai.APIStatusError("down", response=httpx.Response(status, request=req), body=None))
    assert not is_llm_unavailable(openai.APIStatusError("bad", response=httpx.Response(400, request=req), body=None))


def test_url_rotation_penalises_failed_url():
    now = [0.0]
    rot = UrlRotation(["http://a/v1", "http://b/v1"], cooldown_s=5, clock=lambda: now[0])
    rot.mark_failed("http://a/v1")
    assert rot.order() == ["http://b/v1", "http://a/v1"]
    assert rot.order() == ["http://b/v1", "http://a/v1"]
    now[0] = 6.0
    assert sorted(rot.order()) == ["http://a/v1", "http://b/v1"]
    with pytest.raises(ValueError):
        UrlRotation([])


def test_check_llm_reports_model_and_rejects_wrong_model(fake):
    info = check_llm(settings_for(fake.base_url))
    assert info["healthy"] and info["healthy_urls"] == [fake.base_url]
    assert info["model_info"]["max_model_len"] == 4096
    with pytest.raises(LLMUnavailableError, match="not 'other'"):
        check_llm(Settings(llm_base_urls=[fake.base_url], llm_model="other"))


# -- tool mode ----------------------------------------------------------------------------
def test_resolve_tool_mode(tmp_path):
    s = Settings(llm_model="smollm2-135m-instruct")
    assert resolve_tool_mode(s) == "required"
    assert resolve_tool_mode(s, {"id": "qwen", "root": "Qwen/Qwen2.5-7B-Instruct"}) == "auto"
    assert resolve_tool_mode(s, {"id": "llama-3.2-1b"}) == "required"
    assert resolve_tool_mode(s, {"id": "mystery"}) == "required"
    assert resolve_tool_mode(Settings(llm_tool_mode="auto")) == "auto"
    (tmp_path / "whyrec_model_prep.json").write_text(json.dumps({"n_params": 134_515_008}))
    assert params_billions({"id": "x", "root": str(tmp_path)}) == pytest.approx(0.1345, abs=1e-3)
    assert params_billions({"id": "Mixtral-8x7B"}) == 7.0
    assert params_billions(None) is None


# -- chat template ------------------------------------------------------------------------
def test_tool_chat_template_renders_tools_calls_and_results():
    import jinja2

    env = jinja2.Environment()
    env.filters["tojson"] = lambda v: json.dumps(v)
    template = env.from_string(TEMPLATE_PATH.read_text())
    messages = [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": "space movies"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"type": "function", "function": {"name": "search_movies", "arguments": {"query": "space"}}}]},
        {"role": "tool", "content": "[1, 2]"},
    ]
    text = template.render(messages=messages, tools=[SEARCH_TOOL], add_generation_prompt=True)
    assert text.startswith("<|im_start|>system\nSYS\n\n# Tools")
    assert "<tools>\n" + json.dumps(SEARCH_TOOL["function"]) + "\n</tools>" in text
    assert ("<|im_start|>assistant\n<tool_call>\n{\"name\": \"search_movies\", \"arguments\": "
            "{\"query\": \"space\"}}\n</tool_call><|im_end|>\n") in text
    assert "<|im_start|>tool\n<tool_response>\n[1, 2]\n</tool_response><|im_end|>\n" in text
    assert text.endswith("<|im_start|>assistant\n")
    plain = template.render(messages=[{"role": "user", "content": "hi"}], add_generation_prompt=False)
    assert plain.endswith("<|im_start|>user\nhi<|im_end|>\n") and "<tools>" not in plain


# -- server manager -----------------------------------------------------------------------
def test_specs_build_expected_commands(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    spec = cpu_spec(python=Path("py"), model_path=tmp_path, served_model_name="m", port=8123)
    assert spec.argv[:3] == ["py", "-m", "vllm.entrypoints.openai.api_server"]
    for flag in ("--enforce-eager", "--enable-auto-tool-choice", "--chat-template"):
        assert flag in spec.argv
    assert spec.env["VLLM_CPU_KVCACHE_SPACE"] == "1" and spec.base_url == "http://127.0.0.1:8123/v1"
    assert [omp_cores(n) for n in (1, 2, 4, 16)] == ["0", "0", "0-2", "0-14"]
    with pytest.raises(ModelNotReadyError, match="setup_llm.sh"):
        cpu_spec(python=Path("py"), model_path=tmp_path / "missing", served_model_name="m", port=1)
    pinned = cpu_spec(python=Path("py"), model_path=tmp_path, served_model_name="m", port=1, cpu_cores="1")
    assert pinned.env["VLLM_CPU_OMP_THREADS_BIND"] == "1"
    with pytest.raises(InputError, match="e.g. 0, 1-3"):
        cpu_spec(python=Path("py"), model_path=tmp_path, served_model_name="m", port=1, cpu_cores="core 1")
    gspec = gpu_spec(model="Qwen/Qwen2.5-7B-Instruct", served_model_name="q", port=9000, tensor_parallel_size=2)
    assert gspec.argv[:3] == ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct"]
    assert gspec.argv[gspec.argv.index("--tensor-parallel-size") + 1] == "2"


def test_replicas_on_one_machine_get_cores_of_their_own():
    # two servers on 2 cores: one core each (both on core 0 their threads took turns: 4 prompt tokens/s)
    assert [replica_cores(i, 2, 2) for i in range(2)] == ["0", "1"]
    # one server is what omp_cores gives it; more cores are split in blocks, one core left to the front ends
    assert [replica_cores(0, 1, n) for n in (1, 2, 8)] == [omp_cores(n) for n in (1, 2, 8)]
    assert [replica_cores(i, 3, 8) for i in range(3)] == ["0-2", "3-4", "5-6"]
    assert [replica_cores(i, 4, 3) for i in range(4)] == ["0", "1", "2", "0"]
    with pytest.raises(ValueError, match="0 <= replica < replicas"):
        replica_cores(2, 2, 8)


def fake_spec(port: int) -> ServerSpec:
    argv = [sys.executable, "-m", "tests.fake_openai", "--port", str(port), "--model", MODEL]
    return ServerSpec(argv=argv, host="127.0.0.1", port=port, served_model_name=MODEL, model=MODEL)


def test_stale_and_garbage_pid_files_are_cleaned(tmp_path):
    server = LLMServer(fake_spec(free_port()), tmp_path)
    tmp_path.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that no longer runs our command
    server.pid_file.write_text(json.dumps({"pid": proc.pid, "argv": server.spec.argv, "started_at": 0}))
    assert server.read_record() is None and not server.pid_file.exists()
    server.pid_file.write_text("not json")
    assert server.read_record() is None and not server.pid_file.exists()
    # a live process running something else (pid reuse) is not ours either
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not process_matches(other.pid, server.spec.argv)
        server.pid_file.write_text(json.dumps({"pid": other.pid, "argv": server.spec.argv, "started_at": 0}))
        assert server.read_record() is None
    finally:
        other.kill()
        other.wait()


def test_server_lifecycle_refuses_second_start_and_stops(tmp_path):
    port = free_port()
    server = LLMServer(fake_spec(port), tmp_path / "llm", start_timeout_s=20)
    status = server.start(wait=True)
    try:
        assert status["healthy"] and status["managed"] and status["pid"] == server.proc.pid
        assert status["model"] == MODEL and status["uptime_s"] >= 0
        again = LLMServer(fake_spec(port), tmp_path / "llm")
        with pytest.raises(InputError, match="already running"):
            again.start()
        handle = server_handle(Settings(data_dir=tmp_path, llm_model=MODEL), port=port)
        assert handle.status()["pid"] == server.proc.pid
    finally:
        result = server.stop(timeout_s=10)
    assert result["stopped"] and not result["forced"]
    assert server.proc.poll() is not None and not server.pid_file.exists()
    assert server.status()["healthy"] is False
    assert server.stop()["reason"] == "no server running"


def test_start_refuses_port_taken_by_unmanaged_program(tmp_path, fake):
    port = int(fake.base_url.split(":")[2].split("/")[0])
    with pytest.raises(InputError, match="already in use"):
        LLMServer(fake_spec(port), tmp_path).start()
    assert "not started by" in LLMServer(fake_spec(port), tmp_path).stop()["reason"]


def test_start_failure_points_to_log(tmp_path):
    argv = [sys.executable, "-c", "import sys; print('boom: no model'); sys.exit(3)"]
    spec = ServerSpec(argv=argv, host="127.0.0.1", port=free_port(), served_model_name=MODEL, model=MODEL)
    server = LLMServer(spec, tmp_path, start_timeout_s=10)
    with pytest.raises(LLMUnavailableError, match="exited with code 3") as info:
        server.start()
    assert "boom: no model" in str(info.value) and str(server.log_file) in str(info.value)
    assert not server.pid_file.exists()


def test_cli_status_json(tmp_path, fake):
    from typer.testing import CliRunner

    from ui.cli_llm import llm_app

    port = fake.base_url.split(":")[2].split("/")[0]
    env = {"WHYREC_DATA_DIR": str(tmp_path), "WHYREC_LLM_MODEL": MODEL}
    result = CliRunner().invoke(llm_app, ["status", "--port", port, "--json"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["healthy"] and doc["model"] == MODEL and doc["pid"] is None
    down = CliRunner().invoke(llm_app, ["status", "--port", str(free_port()), "--json"], env=env)
    assert down.exit_code == 1 and json.loads(down.stdout)["healthy"] is False


def test_free_text_tool_arguments_get_a_bounded_single_line_pattern():
    from agent.llm.structured import MAX_STRING_CHARS, bound_free_strings

    schema = {"type": "object", "properties": {
        "query": {"type": "string", "minLength": 1, "maxLength": 500},
        "title": {"type": "string", "maxLength": 40},
        "genre": {"type": "string", "enum": ["drama", "comedy"]},
        "tags": {"type": "array", "items": {"type": "string"}}}}
    bound_free_strings(schema)
    props = schema["properties"]
    assert props["query"]["pattern"] == f"^[^\\n\\r]{{1,{MAX_STRING_CHARS}}}$"  # capped for xgrammar
    assert props["title"]["pattern"] == "^[^\\n\\r]{0,40}$"
    assert "pattern" not in props["genre"]
    assert "maxLength" not in props["query"] and "minLength" not in props["query"]  # xgrammar: not with pattern
    assert props["tags"]["items"]["pattern"] == f"^[^\\n\\r]{{0,{MAX_STRING_CHARS}}}$"
