"""ReDial benchmark of the agent's ranking, next to its own single sources and published systems.

Run: ``python -m evals.bench_redial [--limit N] [--protocols filtered,unfiltered] [--json]``.
Needs what ``make demo`` prepares (the demo catalog, index and ``whyrec train ranker``). Ranks
all 6,924 catalog movies for every recommender turn of ``valid_data.jsonl`` through
``WhyRecAgent.rank_candidates`` (the live turn's understanding, sources, constraints and
ranker), fed only the dialogue text so far. Prints R@1/10/50 of the agent and of every
single-source pipeline measured in the same run, candidate recall@200 of each source and
of their union, the seed metrics (precision/F1/MAP/NDCG/MRR by ranx, AUC), samples per
second, and appends the block to ``evals/results/redial.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from evals.provenance import header
from evals.redial_bench import PIPELINES, comparison_table

RESULTS = Path(__file__).resolve().parent / "results" / "redial.md"
#: the code this benchmark's numbers describe (a result older than their last change is stale)
#: (the ranking path only: the slate, acts, evidence and runner of a live turn do not change these numbers)
MEASURES = ("tools/recsys", "tools/catalog/movie_kinds.py", "agent/turn/lexicon.py", "agent/turn/understand.py", "agent/turn/title_context.py", "agent/turn/dialogue.py", "agent/turn/replay.py", "agent/turn/wish_genres.py", "agent/turn/state_update.py",
            "agent/recommender_assets.py", "tools/resolve/titles.py", "tools/resolve/short_names.py", "tools/resolve/title_resolution.py", "tools/resolve/people.py", "tools/catalog/catalog.py",
            "tools/data/demo", "evals/redial_bench.py", "evals/redial_protocol.py")


def block(report: dict[str, Any]) -> list[str]:
    name = "filtered (de-duplicated)" if report["filtered"] else "unfiltered"
    lines = [f"### {name}: {report['dialogues']} dialogues, {report['samples']} turns, {report['targets']} targets",
             "", comparison_table(report), "",
             "| pipeline | samples/s | latency p50 ms | p95 ms | errors |", "|---|---|---|---|---|"]
    for n, r in report["pipelines"].items():
        lat = r["latency_ms"]
        lines.append(f"| {n} | {r['samples_per_s']:.1f} | {lat['median']:.1f} | {lat['p95']:.1f} | {r['errors']} |")
    rec = report.get("candidate_recall@200") or {}
    if rec:
        lines += ["", "Candidate recall@200 (share of targets each source nominates, after the hard constraints):",
                  "", "| " + " | ".join(rec) + " |", "|" + "---|" * len(rec),
                  "| " + " | ".join(f"{v:.3f}" for v in rec.values()) + " |"]
    agent = report["pipelines"].get("agent")
    if agent and agent.get("seed_metrics"):
        sm = agent["seed_metrics"]
        lines += ["", "Agent seed metrics (ranx; AUC over the whole catalog): " +
                  ", ".join(f"{k} {v:.4f}" for k, v in sm.items())]
    if agent and agent.get("by_training_mentions"):
        lines += ["", "Agent recall by how many training dialogues mentioned the target (a film none mentioned has "
                  "no collaborative evidence):", "", "| mentioned in | targets | share | R@10 | R@50 |",
                  "|---|---|---|---|---|"]
        lines += [f"| {name} | {int(b['targets'])} | {b['share']:.3f} | {b['recall@10']:.3f} | {b['recall@50']:.3f} |"
                  for name, b in agent["by_training_mentions"].items()]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", type=Path, default=None, help="default ../shared/data/redial/valid_data.jsonl")
    ap.add_argument("--limit", type=int, default=None, help="only the first N dialogues")
    ap.add_argument("--protocols", default="filtered,unfiltered")
    ap.add_argument("--pipelines", default=",".join(PIPELINES))
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to evals/results/redial.md")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from agent.settings import Settings
    from evals.suites import run_redial
    from tools.datasets.redial import default_redial_dir

    settings = Settings()
    split = args.split or default_redial_dir() / "valid_data.jsonl"
    pipelines = [p for p in args.pipelines.split(",") if p]
    lines = header("ReDial validation", None, ("torch", "lightgbm", "ranx"))
    out: dict[str, Any] = {}
    for proto in args.protocols.split(","):
        report, _ = run_redial(settings, split, pipelines=pipelines, limit=args.limit,
                               filtered=proto == "filtered", progress=not args.json)
        out[proto] = {"metrics": {n: r["metrics"] for n, r in report["pipelines"].items()},
                      "candidate_recall@200": report["candidate_recall@200"],
                      "samples_per_s": {n: r["samples_per_s"] for n, r in report["pipelines"].items()},
                      "seed_metrics": report["pipelines"].get("agent", {}).get("seed_metrics")}
        lines += block(report)
    lines += [f"Training: {report['training'].get('note', '')}", ""]
    text = "\n".join(lines)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
