"""Benchmark the local LLM server: latency, throughput and tool-call validity.

Run: ``python -m evals.bench_llm [--json] [--no-write]`` (needs ``whyrec llm serve --background``).
Prints medians/p95 and appends a block to ``evals/results/llm.md`` (commit, command, machine).

- TTFT: streaming requests, time to the first content token.
- Single stream vs 8 concurrent: decode tokens/s with ``ignore_eos`` so every request
  makes exactly ``--gen-tokens`` tokens; the concurrent/single ratio is the batching gain.
- Tool-call validity over 50 movie-recommender prompts through the product path
  (``build_chat_model`` + ``bind_agent_tools``): ``tool_choice="required"`` (strict
  schemas, the small-model mode) side by side with ``"auto"`` as the baseline.
Targets on the 2-core dev box: TTFT p50 <= 150 ms, required-mode validity >= 95 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from agent.llm.client import build_chat_model, check_llm
from agent.llm.structured import RESPOND_TOOL, bind_agent_tools, tool_parameters, validate_tool_call
from agent.settings import apply_runtime_settings, load_settings
from evals.machine import load_average
from evals.machine import machine as describe_machine
from evals.metrics import percentile
from evals.provenance import header, invocation

#: the code these numbers describe (tests/test_results_provenance.py checks they are not stale): the server
#: launch (vLLM flags, chat template), the client, failover and tool binding/validation the product uses
MEASURES = ("agent/llm/server.py", "agent/llm/spec.py", "agent/llm/client.py", "agent/llm/failover.py", "agent/llm/structured.py", "evals/metrics.py",
            "evals/bench_llm.py")
PACKAGES = ("openai", "langchain-openai")


def _fn(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": required, "additionalProperties": False}}}


TOOLS = [
    _fn("search_movies", "Search the movie catalog by a free-text description (genre, mood, plot, actor).",
        {"query": {"type": "string", "maxLength": 80}, "k": {"type": "integer", "minimum": 1, "maximum": 10}}, ["query", "k"]),
    _fn("record_preference", "Remember that the user liked or disliked a specific movie they name.",
        {"title": {"type": "string", "maxLength": 80}, "sentiment": {"type": "string", "enum": ["like", "dislike"]}},
        ["title", "sentiment"]),
    _fn("recommend", "Recommend movies for this user from their recorded preferences.",
        {"k": {"type": "integer", "minimum": 1, "maximum": 10}}, ["k"]),
    _fn("explain", "Explain why a movie was recommended.", {"title": {"type": "string", "maxLength": 80}}, ["title"]),
]
SYSTEM = ("You are WhyRec, a movie recommender. Use search_movies to look things up, record_preference when "
          "the user says they like or dislike a movie, recommend for personal picks, explain for 'why' "
          "questions, and respond to reply to the user.")
# (prompt, expected tool) -- 50 varied user turns.
PROMPTS: list[tuple[str, str]] = [
    *[(p, "search_movies") for p in (
        "Find me some movies about space travel.", "Any good heist movies?", "Show me comedies from the 90s.",
        "I want a scary movie with a haunted house.", "Movies with Tom Hanks please.",
        "Search for animated films for kids.", "Look up movies about artificial intelligence.",
        "What are some films set in Paris?", "Find a romantic drama that will make me cry.",
        "Search for westerns.", "Movies about time travel?", "Find documentaries about nature.",
        "I need a courtroom drama.", "Search the catalog for zombie films.", "Look for musicals.")],
    *[(p, "record_preference") for p in (
        "I loved The Matrix.", "I really disliked Titanic.", "Inception is one of my favourites.",
        "I hated Cats, it was awful.", "Note that I like Toy Story.", "I did not enjoy The Room at all.",
        "Remember I love Alien.", "I liked Finding Nemo a lot.", "Jaws was great, I loved it.",
        "I can't stand Transformers.")],
    *[(p, "recommend") for p in (
        "What should I watch tonight?", "Recommend me five movies.", "Give me a personal recommendation.",
        "Based on what I like, what do you suggest?", "Pick three movies for me.",
        "Any recommendations for me?", "Suggest something I'd enjoy.", "What would you recommend for me now?",
        "Recommend two films I haven't seen.", "I need a movie suggestion.")],
    *[(p, "explain") for p in (
        "Why did you recommend Alien?", "Explain why you picked The Matrix.", "Why Toy Story?",
        "Why was Inception recommended to me?", "What is the reason you suggested Jaws?")],
    *[(p, "respond") for p in (
        "Hello!", "Thanks, that's all.", "Who are you?", "Good morning.", "Goodbye!", "How are you today?",
        "Can you tell me what you do?", "Thank you very much.", "Hi there, nice to meet you.", "Bye for now.")],
]




def _client(base_url: str, timeout: float):
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key="EMPTY", timeout=timeout, max_retries=0)


def measure_stream(client, model: str, prompt: str, max_tokens: int, ignore_eos: bool = False) -> dict:
    """One streaming request: time to first token, decode tokens/s, tokens."""
    started = time.perf_counter()
    first = None
    tokens = 0
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0.0,
        stream=True, stream_options={"include_usage": True},
        extra_body={"ignore_eos": True, "min_tokens": max_tokens} if ignore_eos else None)
    for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - started
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
    total = time.perf_counter() - started
    first = first if first is not None else total
    decode = tokens / (total - first) if tokens > 1 and total > first else float("nan")
    return {"ttft_s": first, "total_s": total, "tokens": tokens, "decode_tok_s": decode}


def bench_throughput(client, model: str, args) -> dict:
    ttft = [measure_stream(client, model, f"Name a good movie #{i}.", 8)["ttft_s"]
            for i in tqdm(range(args.n_ttft), desc="ttft", file=sys.stderr)]
    single = [measure_stream(client, model, "Describe the movie Alien.", args.gen_tokens, ignore_eos=True)
              for _ in tqdm(range(args.rounds), desc="single", file=sys.stderr)]
    concurrent_totals = []
    for _ in tqdm(range(args.rounds), desc=f"{args.concurrency}x", file=sys.stderr):
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda i: measure_stream(client, model, f"Describe movie number {i}.",
                                                             args.gen_tokens, ignore_eos=True),
                                    range(args.concurrency)))
        concurrent_totals.append(sum(r["tokens"] for r in results) / (time.perf_counter() - started))
    single_tok_s = [r["decode_tok_s"] for r in single]
    return {
        "ttft_ms_p50": 1000 * statistics.median(ttft), "ttft_ms_p95": 1000 * (percentile(ttft, 95) or float("nan")),
        "single_tok_s_p50": statistics.median(single_tok_s),
        "single_e2e_tok_s_p50": statistics.median(r["tokens"] / r["total_s"] for r in single),
        "concurrent_total_tok_s_p50": statistics.median(concurrent_totals),
        "concurrency": args.concurrency,
    }


def bench_tools(settings, mode: str, prompts: list[tuple[str, str]], args) -> dict:
    chat = build_chat_model(settings, temperature=0.2, max_tokens=args.tool_max_tokens)
    bound = bind_agent_tools(chat, TOOLS, mode=mode)
    schemas = {t["function"]["name"]: tool_parameters(t) for t in [*TOOLS, RESPOND_TOOL]}

    def one(item: tuple[str, str]) -> dict:
        prompt, expected = item
        started = time.perf_counter()
        try:
            reply = bound.invoke([("system", SYSTEM), ("user", prompt)])
        except Exception as exc:  # count as invalid, keep going
            return {"valid": False, "right": False, "latency_s": time.perf_counter() - started,
                    "why": f"{type(exc).__name__}: {exc}"[:200]}
        calls = reply.tool_calls
        problems = [validate_tool_call(c, schemas) for c in calls] if calls else ["no tool call"]
        problems += [f"invalid: {c.get('error')}" for c in getattr(reply, "invalid_tool_calls", [])]
        valid = bool(calls) and not any(problems)
        return {"valid": valid, "right": valid and calls[0]["name"] == expected,
                "latency_s": time.perf_counter() - started, "why": "; ".join(p for p in problems if p)}

    with ThreadPoolExecutor(args.tool_workers) as pool:
        results = list(tqdm(pool.map(one, prompts), total=len(prompts), desc=f"tools/{mode}", file=sys.stderr))
    lat = [r["latency_s"] for r in results]
    failures = [r["why"] for r in results if not r["valid"]][:3]
    return {"mode": mode, "n": len(results), "valid_rate": sum(r["valid"] for r in results) / len(results),
            "right_tool_rate": sum(r["right"] for r in results) / len(results),
            "latency_s_p50": statistics.median(lat), "latency_s_p95": percentile(lat, 95) or float("nan"), "example_failures": failures}


def machine() -> str:
    return describe_machine(PACKAGES)


def render(res: dict, info: dict, args, head: list[str]) -> str:
    """The result block; ``head``: ``provenance.header`` taken when the run started (its date and load)."""
    t, req, auto = res["throughput"], res["tools"]["required"], res["tools"]["auto"]
    lines = [
        *head[:-1],
        f"- 1-min load at the end: {res['load_at_end']:.1f}",
        f"- Server: {info['healthy_urls']} model `{info['model']}` "
        f"(max_model_len {info['model_info'].get('max_model_len')}, root {info['model_info'].get('root')})",
        f"- Settings: {args.n_ttft} TTFT probes, {args.rounds} rounds x {args.gen_tokens} tokens, "
        f"{len(PROMPTS[: args.n_prompts])} tool prompts, tool max_tokens {args.tool_max_tokens}, "
        f"{args.tool_workers} parallel", "",
        "| metric | value | target |", "|---|---|---|",
        f"| TTFT p50 / p95 | {t['ttft_ms_p50']:.0f} / {t['ttft_ms_p95']:.0f} ms | p50 <= 150 ms |",
        f"| single-stream decode (p50) | {t['single_tok_s_p50']:.1f} tok/s | |",
        f"| {t['concurrency']} concurrent, total (p50) | {t['concurrent_total_tok_s_p50']:.1f} tok/s "
        f"({t['concurrent_total_tok_s_p50'] / t['single_tok_s_p50']:.1f}x single) | |",
        "", "| tool_choice | valid | right tool | latency p50 / p95 |", "|---|---|---|---|",
    ]
    for r in (req, auto):
        lines.append(f"| {r['mode']} | {100 * r['valid_rate']:.0f}% ({r['n']}) | {100 * r['right_tool_rate']:.0f}% | "
                     f"{r['latency_s_p50']:.2f} / {r['latency_s_p95']:.2f} s |")
    lines += ["", f"required vs auto validity: {100 * req['valid_rate']:.0f}% vs {100 * auto['valid_rate']:.0f}%; "
              f"example auto failures: {auto['example_failures'][:2]}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the local vLLM server (python -m evals.bench_llm)")
    parser.add_argument("--n-ttft", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--n-prompts", type=int, default=50)
    parser.add_argument("--tool-max-tokens", type=int, default=256)
    parser.add_argument("--tool-workers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("evals/results/llm.md"))
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to the result file")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of the Markdown")
    args = parser.parse_args(argv)

    head = header("LLM benchmark", invocation("evals.bench_llm", argv), PACKAGES)
    settings = load_settings(llm_timeout_s=300.0)
    apply_runtime_settings(settings)
    info = check_llm(settings)
    client = _client(info["healthy_urls"][0], timeout=300.0)
    at_start = next(line.removeprefix("- Machine: ") for line in head if line.startswith("- Machine: "))
    res = {"machine": at_start, "throughput": bench_throughput(client, settings.llm_model, args), "tools": {}}
    prompts = PROMPTS[: args.n_prompts]
    for mode in ("required", "auto"):
        res["tools"][mode] = bench_tools(settings, mode, prompts, args)
    res["machine_after"] = machine()
    res["load_at_end"] = load_average()[0]
    text = render(res, info, args, head)
    if args.json:
        print(json.dumps({**res, "server": info}, indent=2, default=str))
    else:
        print(text)
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
