"""Agent benchmark: turn latency (total and per stage) and tool-choice accuracy on the default server.

Run: ``python -m evals.bench_agent [--turns 30] [--modes required,auto] [--base-url URL]``.
Needs what ``make demo`` prepares (demo index, scorers) and a running LLM server
(``whyrec llm serve --background``). Prints medians/p95 for: time to the first card,
whole turn with explanations, LLM planning, tools, explanation; and the rate at which the
model's first tool call matches the labelled intent, for each tool-calling strategy.
A deterministic (no-LLM) run is measured in the same process as the baseline.
Results are appended to ``evals/results/agent.md`` (a block with the commit, command and machine);
``--json`` prints the numbers instead of the table, ``--no-write`` appends nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from evals.metrics import percentile
from evals.provenance import header, invocation

#: the code these numbers describe (tests/test_results_provenance.py checks they are not stale): a whole
#: turn of the served agent (planning, tools, recommender, retrieval, explanations and their checks, store
#: writes) and the LLM server it plans with
MEASURES = ("agent", "tools/catalog/movie_kinds.py", "tools/toolbox", "tools/recsys", "tools/scorers", "tools/rl",
            "tools/retrieval/retriever.py", "tools/retrieval/filters.py", "tools/resolve/lexical.py", "tools/retrieval/vector_index.py",
            "tools/retrieval/vector_matrix.py", "tools/retrieval/item_vectors.py", "tools/retrieval/embeddings.py", "tools/resolve/titles.py", "tools/resolve/short_names.py", "tools/resolve/series.py", "tools/resolve/title_resolution.py",
            "tools/resolve/people.py", "tools/explain/evidence.py", "tools/explain/evidence_builder.py", "tools/explain/explainer.py", "tools/explain/templates.py",
            "tools/explain/claims.py", "tools/explain/claim_check.py", "tools/explain/claim_text.py", "tools/explain/claim_llm.py",
            "tools/explain/faithfulness.py", "tools/explain/faithfulness_titles.py", "tools/explain/faithfulness_lexicon.py",
            "tools/studies/segment_effects.py", "tools/studies/causal_study.py", "tools/catalog/catalog.py", "tools/data/demo",
            "evals/metrics.py", "evals/bench_agent.py")
PACKAGES = ("langchain-openai", "openai", "lightgbm")

#: (message, acceptable first tools) — labelled intents for tool-choice accuracy
LABELLED_TURNS: list[tuple[str, set[str]]] = [
    ("I want a scary movie", {"search_items"}),
    ("more like Inception please", {"similar_items"}),
    ("something funny for the whole family", {"search_items"}),
    ("I loved Toy Story and Up, what should I watch next?", {"record_preference", "search_items", "similar_items"}),
    ("movies similar to The Matrix", {"similar_items"}),
    ("a romantic comedy from the 90s", {"search_items"}),
    ("something like Jurassic Park", {"similar_items"}),
    ("I hated Titanic, suggest a war movie", {"record_preference", "search_items"}),
    ("animated movies for kids", {"search_items"}),
    ("a good thriller from after 2010", {"search_items"}),
    ("recommend a superhero movie", {"search_items"}),
    ("films like The Godfather", {"similar_items"}),
    ("I'm in the mood for a sad drama", {"search_items"}),
    ("I really liked Get Out", {"record_preference", "similar_items", "search_items"}),
    ("a classic western", {"search_items"}),
]




def run_mode(rt, turns: int, label: str) -> dict:
    stats: dict[str, list[float]] = {k: [] for k in ("total", "first_card", "llm", "tools", "explain")}
    correct = total_labelled = 0
    paths: dict[str, int] = {}
    degraded = 0
    for i in range(turns):
        msg, expected = LABELLED_TURNS[i % len(LABELLED_TURNS)]
        sid = rt.agent.new_session()
        t0 = time.perf_counter()
        first_card = None
        final = None
        for ev in rt.agent.stream_turn(sid, msg):
            if ev.kind == "recommendation" and first_card is None:
                first_card = (time.perf_counter() - t0) * 1000
            if ev.kind == "final":
                final = ev.data
        total = (time.perf_counter() - t0) * 1000
        stats["total"].append(total)
        if first_card is not None:
            stats["first_card"].append(first_card)
        st = final.get("stage_ms", {})
        stats["llm"].append(st.get("llm_plan_ms", 0.0))
        stats["tools"].append(st.get("tools_ms", 0.0))
        stats["explain"].append(st.get("explain_ms", 0.0))
        degraded += bool(final["degraded"])
        for c in final["recommendations"]:
            paths[c["explanation_path"]] = paths.get(c["explanation_path"], 0) + 1
        trace = final["tool_trace"]
        # only turns where the model itself made a call: after a failed planning request the fixed
        # plan's search_items would otherwise count as the model's (correct) choice
        planned = st.get("model_tool_calls", 0) > 0 and not final["degraded"]
        if label != "deterministic" and planned:
            total_labelled += 1
            # the first call the *model* made (the fixed plan runs after it)
            correct += bool(trace) and trace[0]["tool"] in expected
        print(f"  [{label}] {i + 1}/{turns} {total:7.0f} ms  first card {first_card or float('nan'):6.0f} ms  "
              f"tools {[t['tool'] for t in trace]}", file=sys.stderr)
    summary = {k: {"p50": round(statistics.median(v), 1) if v else None, "p95": round(percentile(v, 95), 1) if v else None}
               for k, v in stats.items()}
    summary["tool_choice_accuracy"] = round(correct / total_labelled, 3) if total_labelled else None
    summary["llm_planned_turns"] = total_labelled
    summary["explanation_paths"] = paths
    summary["degraded_turns"] = degraded
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--turns", type=int, default=30)
    ap.add_argument("--modes", default="required,auto", help="tool-calling strategies to measure")
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default="evals/results/agent.md")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to the result file")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON instead of the table")
    args = ap.parse_args(argv)
    if args.turns < 1:
        ap.error("--turns must be at least 1")
    head = header("Agent benchmark", invocation("evals.bench_agent", argv), PACKAGES)

    from agent.llm.client import check_llm
    from agent.runtime import build_runtime
    from agent.settings import apply_runtime_settings, load_settings

    overrides = {"data_dir": Path(args.data_dir) if args.data_dir else None,
                 "llm_base_urls": [args.base_url] if args.base_url else None, "rate_limit_per_minute": 100_000}
    settings = load_settings(**overrides)
    apply_runtime_settings(settings)
    try:
        info = check_llm(settings)
    except Exception as exc:  # noqa: BLE001
        print(f"LLM server not reachable ({exc}); start it with `whyrec llm serve --background`", file=sys.stderr)
        return 2
    results = {}
    base = build_runtime(settings, use_llm=False)
    results["deterministic"] = run_mode(base, args.turns, "deterministic")
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        rt = build_runtime(settings.model_copy(update={"llm_tool_mode": mode}))
        results[mode] = run_mode(rt, args.turns, mode)
    lines = ["", *head,
             f"Model: {info.get('model', settings.llm_model)} at {settings.llm_base_urls[0]}; "
             f"turns per mode: {args.turns}", "",
             "| mode | first card p50/p95 ms | turn p50/p95 ms | LLM plan p50 | tools p50 | explain p50 | tool-choice acc (LLM-planned turns) | degraded turns | paths |",
             "|---|---|---|---|---|---|---|---|---|"]
    for mode, r in results.items():
        lines.append(f"| {mode} | {r['first_card']['p50']}/{r['first_card']['p95']} | {r['total']['p50']}/{r['total']['p95']} "
                     f"| {r['llm']['p50']} | {r['tools']['p50']} | {r['explain']['p50']} | {r['tool_choice_accuracy']} "
                     f"({r['llm_planned_turns']}) | {r['degraded_turns']} | {json.dumps(r['explanation_paths'])} |")
    base_p50 = results["deterministic"]["total"]["p50"] or 1
    for mode in results:
        if mode != "deterministic":
            lines.append(f"- {mode}: turn p50 is {results[mode]['total']['p50'] / base_p50:.2f}x the deterministic baseline")
    text = "\n".join(lines) + "\n"
    print(json.dumps({"model": info.get("model", settings.llm_model), "turns": args.turns, "modes": results},
                     indent=1) if args.json else text)
    if not args.no_write:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
