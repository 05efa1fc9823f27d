"""Recommendation-effect evaluation per segment: does being suggested make a seeker like a film?

    python -m evals.bench_effects [--boot 500] [--seed 42] [--level 0.95] [--json] [--no-write]

Why: the explanation cards may carry a causal claim only for a segment (a genre, a popularity
bucket) whose own interval excludes zero, so the per-segment table is a result that must be
reproducible and dated like any other. Reported: every segment's adjusted effect (risk
difference, regression adjustment with the adjustment set read off the learned graph), its
cluster-bootstrap interval (whole ReDial dialogues resampled), n, and whether it excludes
zero; the population effect for comparison; how many segments would exclude zero by chance
alone at that level; and which of them survive a Bonferroni (family-wise) level, recomputed
from the same resampling scheme, so a reader can judge the claims the cards make.

Writes evals/results/effects.md (``--no-write``: print only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from evals.provenance import ROOT, header

#: the code this benchmark's numbers describe (tests/test_results_provenance.py checks they are not stale)
MEASURES = ("causal/segments.py", "causal/effects.py", "causal/bootstrap.py", "causal/adjustment.py", "causal/discovery.py",
            "tools/studies/segment_effects.py", "tools/studies/causal_study.py", "tools/studies/redial_effect.py",
            "tools/data/demo/mentions.csv.gz", "tools/data/demo/items.jsonl.gz", "evals/bench_effects.py")
RESULTS = ROOT / "evals" / "results" / "effects.md"


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tools.studies.segment_effects import compute_segment_effects

    cache_dir = Path(args.data_dir) / "causal"
    common = {"cache_dir": cache_dir, "n_boot": args.boot, "seed": args.seed, "min_rows": args.min_rows}
    t0 = time.perf_counter()
    main = compute_segment_effects(level=args.level, **common)
    k = len(main.all())
    fw_level = 1.0 - (1.0 - args.level) / max(k, 1)
    family = compute_segment_effects(level=fw_level, **common)
    fw = {e.segment: e for e in family.all()}
    rows = []
    for e in sorted(main.all(), key=lambda e: e.segment):
        f = fw[e.segment]
        rows.append({**e.to_dict(), "fw_low": f.low, "fw_high": f.high, "fw_excludes_zero": f.excludes_zero})
    return {
        "meta": main.meta, "overall": main.overall.to_dict() if main.overall else None, "segments": rows,
        "skipped": main.skipped, "n_segments": k, "n_excluding_zero": sum(r["excludes_zero"] for r in rows),
        "expected_by_chance": k * (1.0 - args.level), "family_level": fw_level,
        "n_excluding_zero_family": sum(r["fw_excludes_zero"] for r in rows),
        "buckets": {"head_min_mentions": main.buckets.head_min, "torso_min_mentions": main.buckets.torso_min},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _f(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:+.4f}"


def report(res: dict[str, Any], args: argparse.Namespace) -> str:
    m = res["meta"]
    o = res["overall"]
    lines = ["# Recommendation effect per segment (ReDial)", "",
             *header("Effect of being suggested on being liked, per genre and popularity bucket",
                     packages=("numpy", "pandas", "causal-learn")),
             f"- Data: {Path(m['table']).name}, {m['rows_used']} answered mentions of {m['rows_total']} "
             f"(ReDial train + valid, CC BY 4.0); genres from the demo catalog ({m['catalog']}); popularity buckets "
             f"from training mention counts (head: >= {res['buckets']['head_min_mentions']} training dialogues, "
             f"torso: >= {res['buckets']['torso_min_mentions']}, tail: fewer).",
             f"- Estimator: regression adjustment (logistic g-computation, risk difference) with adjustment set "
             f"{{{', '.join(m['adjustment'])}}} read off the {m.get('graph_method', '')} graph "
             f"(alpha {m.get('graph_alpha')}, {m.get('identification')}); {args.level:.0%} percentile intervals "
             f"from {args.boot} cluster-bootstrap resamples (whole dialogues), seed {args.seed}; segments need "
             f">= {args.min_rows} rows and >= 30 suggested and 30 not-suggested mentions.",
             f"- Time: {res['seconds']:.0f} s for both levels.", ""]
    if o:
        lines += [f"Population effect (all films): {_f(o['estimate'])} [{_f(o['low'])}, {_f(o['high'])}], n={o['n']}.",
                  ""]
    lines += [f"**{res['n_excluding_zero']} of {res['n_segments']} segments have a {args.level:.0%} interval that "
              f"excludes zero** (about {res['expected_by_chance']:.1f} would by chance alone if every true effect "
              f"were zero); at the Bonferroni family-wise level {res['family_level']:.4f}, "
              f"{res['n_excluding_zero_family']} of {res['n_segments']} do. Cards may name only the segments marked "
              "*yes*.", "",
              f"| segment | films | n | estimate | {args.level:.0%} interval | excludes 0 (card claim) | "
              "Bonferroni interval |", "|---|---|---|---|---|---|---|"]
    for r in res["segments"]:
        lines.append(f"| {r['segment']} | {r['label']} | {r['n']} | {_f(r['estimate'])} | [{_f(r['low'])}, "
                     f"{_f(r['high'])}] | {'yes' if r['excludes_zero'] else 'no'} | [{_f(r['fw_low'])}, "
                     f"{_f(r['fw_high'])}]{' (excludes 0)' if r['fw_excludes_zero'] else ''} |")
    if res["skipped"]:
        lines += ["", "Skipped (too few rows or no variation): " + ", ".join(
            f"{s['segment']} ({s['n']} rows, {s['reason']})" for s in res["skipped"]) + "."]
    lines += ["", "How to read it: the estimate is how much more likely a seeker is to like a film when the "
              "recommender suggested it than when it came up without being suggested, after adjusting for who "
              f"named it first and when. {m['outcome_mean']:.1%} of answered mentions are liked, so effects are "
              "small; positive "
              "means being suggested went with more liking in that segment, negative with less. An interval "
              "that covers zero means the data cannot tell, and the card says nothing causal. The Bonferroni column "
              "guards against the many segments tested at once; with a few hundred resamples its bounds sit near "
              "the extremes of the resamples, so read it as rough.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--boot", type=int, default=500, help="cluster-bootstrap resamples per segment")
    p.add_argument("--seed", type=int, default=42, help="bootstrap seed (42 = the settings default)")
    p.add_argument("--level", type=float, default=0.95)
    p.add_argument("--min-rows", type=int, default=100)
    p.add_argument("--data-dir", default=os.environ.get("WHYREC_DATA_DIR", "var"),
                   help="where the learned graph is cached (<data-dir>/causal)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON document")
    p.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.relative_to(ROOT)}")
    p.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)
    res = run(args)
    text = report(res, args)
    if not args.no_write:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    if args.json:
        sys.stdout.write(json.dumps(res, indent=2, default=str) + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
