"""A tiny OpenAI-compatible HTTP server on loopback, for unit tests of the LLM client.

It speaks the wire format vLLM speaks (``/health``, ``/v1/models``,
``/v1/chat/completions`` with streaming, tool calls and ``response_format``, and vLLM's
Prometheus ``/metrics`` with ``vllm:request_success_total``), answers deterministically, and
records every request, so tests exercise the real openai SDK, LangChain and httpx stack
without a model. Two faults for tests of the "did the model contribute?" checks
(evals/llm_metrics.py): ``count_requests=False`` leaves the success counter where it is, and
``fail_tool_calls=True`` answers every request that offers tools with HTTP 400 (as vLLM does
for a tool grammar it cannot compile), so planning raises while other calls succeed. Run it as a process for lifecycle tests:
``python -m tests.fake_openai --port 8123 --model fake-model``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def sample_for_schema(schema: dict) -> Any:
    """A minimal value satisfying a (simple) JSON schema: required props filled by type."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "anyOf" in schema:
        return sample_for_schema(schema["anyOf"][0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: sample_for_schema(props[k]) for k in schema.get("required", list(props))}
    return {"string": "fake", "integer": 1, "number": 1.5, "boolean": True, "array": [], "null": None}[kind]


class FakeOpenAIServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0, *, model: str = "fake-model", tag: str = "fake", count_requests: bool = True,
                 fail_tool_calls: bool = False) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.model = model
        self.tag = tag
        self.requests: list[dict] = []
        self.count_requests = count_requests
        self.fail_tool_calls = fail_tool_calls
        #: completions answered, by finish reason (what ``/metrics`` reports)
        self.successes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def count(self, finish_reason: str) -> None:
        if self.count_requests:
            with self._lock:
                self.successes[finish_reason] = self.successes.get(finish_reason, 0) + 1

    def metrics(self) -> str:
        """vLLM's exposition of its success counter (one series per finish reason, as vLLM 0.32)."""
        lines = ["# HELP vllm:request_success_total Count of successfully processed requests.",
                 "# TYPE vllm:request_success_total counter"]
        with self._lock:
            counts = {r: self.successes.get(r, 0) for r in ("stop", "length", "abort")}
        lines += [f'vllm:request_success_total{{engine="0",finished_reason="{r}",model_name="{self.model}"}} {n:.1f}'
                  for r, n in counts.items()]
        return "\n".join(lines) + "\n"

    def reply(self, body: dict) -> dict:
        """The assistant message for a chat-completions request body."""
        tools = body.get("tools") or []
        if tools and body.get("tool_choice", "auto") != "none":
            fn = tools[0]["function"]
            forced = body.get("tool_choice")
            if isinstance(forced, dict):
                fn = next(t["function"] for t in tools if t["function"]["name"] == forced["function"]["name"])
            args = sample_for_schema(fn.get("parameters", {"type": "object"}))
            return {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{len(self.requests)}", "type": "function",
                "function": {"name": fn["name"], "arguments": json.dumps(args)}}]}
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return {"role": "assistant", "content": json.dumps(sample_for_schema(fmt["json_schema"]["schema"]))}
        last = body["messages"][-1]["content"]
        return {"role": "assistant", "content": f"[{self.tag}] echo: {last}"}


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _json(self, code: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._json(200, {})
        elif self.path == "/metrics":
            data = self.server.metrics().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [
                {"id": self.server.model, "object": "model", "root": self.server.model, "max_model_len": 4096}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append({"path": self.path, "body": body, "host": self.headers.get("Host")})
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        if body.get("model") != self.server.model:
            self._json(404, {"error": {"message": f"model {body.get('model')} does not exist", "code": 404}})
            return
        if self.server.fail_tool_calls and body.get("tools"):
            self._json(400, {"error": {"message": "the tool grammar could not be compiled", "code": 400}})
            return
        message = self.server.reply(body)
        created = int(time.time())
        self.server.count("stop")  # vLLM's finish reason for a tool call is "stop" too
        if not body.get("stream"):
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            self._json(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": created,
                             "model": self.server.model,
                             "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                             "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = (message.get("content") or "").split(" ")
        for i, piece in enumerate(pieces):
            delta = {"content": piece if i == 0 else " " + piece}
            if i == 0:
                delta["role"] = "assistant"
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                     "model": self.server.model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        end = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
               "model": self.server.model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server for tests")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default="fake-model")
    args = parser.parse_args()
    FakeOpenAIServer(args.port, model=args.model).serve_forever()


if __name__ == "__main__":
    main()
