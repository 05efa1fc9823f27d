"""Benchmark causal discovery against known truths: accuracy and runtime growth.

``python -m evals.bench_causal [--quick] [--seeds K] [--out evals/results/causal.md]``

For 10/20/50 variables (1.5 edges per variable) at n = 1k/10k/100k, seeded linear SCMs are
drawn; PC, GES and FCI run on Gaussian-noise data and are scored against the true CPDAG,
DirectLiNGAM runs on uniform-noise data (its identifiable setting) and is scored against the
true DAG. Reported: medians over seeds of skeleton F1, arrowhead precision/recall, SHD and
algorithm runtime (imports and data checks excluded), plus each runtime's ratio to the same
method's n=1k run in this run. Combinations that would take too long on two shared cores are
skipped with the reason printed. Target: PC, 20 variables, n=10k: skeleton F1 >= 0.9 in < 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from tqdm import tqdm

from evals.machine import machine as describe_machine

VARS = (10, 20, 50)
NS = (1_000, 10_000, 100_000)
METHODS = ("pc", "ges", "fci", "lingam")
EDGES_PER_VAR = 1.5
TARGET = {"method": "pc", "vars": 20, "n": 10_000, "f1": 0.9, "seconds": 10.0}


def skip_reason(method: str, p: int, n: int) -> str | None:
    """Why a combination is not run. Estimates are extrapolated from this benchmark's own
    smaller runs on the 2-core shared machine (see the table), not measured."""
    if method == "ges" and p >= 50:
        return ("estimated: causal-learn's GES is pure-Python greedy search; 20 vars took 2-8 s per run and cost "
                "grows ~p^3, so 50 vars is ~1-3 min per run x 3 seeds per n: over the 10-minute budget")
    if method == "fci" and p >= 50 and n >= 100_000:
        return ("estimated: FCI's possible-d-sep stage at 50 vars took 4-7 s at n=10k and grows with the number "
                "of adjacencies found at large n; with 3 seeds it would dominate the run")
    if method == "lingam" and p >= 50:
        return ("estimated: DirectLiNGAM is O(p^3 n) in Python; 20 vars x 10k took 16-20 s, so 50 vars is "
                "~15x that (minutes per run)")
    if method == "lingam" and n >= 100_000:
        return "estimated: DirectLiNGAM is linear in n; 10x the n=10k time is ~3 min per run at 20 vars"
    return None


def machine() -> str:
    return describe_machine(('causal-learn', 'numpy'))


def run(quick: bool, seeds: int) -> tuple[list[dict], list[str]]:
    from causal import discover
    from causal.metrics import compare
    from causal.synthetic import linear_scm

    vars_, ns = ((10, 20), (1_000, 10_000)) if quick else (VARS, NS)
    rows, skipped = [], []
    combos = [(m, p, n) for m in METHODS for p in vars_ for n in ns]
    # warm the imports once so the first timed run is not charged for them
    warm = linear_scm(5, 4, 200, seed=0)
    for m in METHODS:
        discover(warm.data, m, variables=list(warm.variables))
    for m, p, n in tqdm(combos, desc="bench_causal", file=sys.stderr):
        why = skip_reason(m, p, n)
        if why:
            skipped.append(f"{m} {p} vars n={n:,}: {why}")
            print(f"skip {m} {p} vars n={n}: {why}", file=sys.stderr)
            continue
        res = []
        for seed in range(seeds):
            noise = "uniform" if m == "lingam" else "gaussian"
            d = linear_scm(p, int(EDGES_PER_VAR * p), n, seed=seed, noise=noise)
            g = discover(d.data, m, variables=list(d.variables), alpha=0.01, seed=seed)
            sc = compare(g, d.graph, against="dag" if m == "lingam" else "cpdag")
            sc["runtime_s"] = g.runtime_s
            res.append(sc)
        row = {"method": m, "vars": p, "n": n, "seeds": seeds}
        for k in ("skeleton_f1", "arrowhead_precision", "arrowhead_recall", "shd", "runtime_s"):
            row[k] = statistics.median(r[k] for r in res)
        row["runtime_max_s"] = max(r["runtime_s"] for r in res)
        row["skeleton_f1_min"] = min(r["skeleton_f1"] for r in res)
        rows.append(row)
        print(f"{m:6s} p={p:3d} n={n:6d} F1={row['skeleton_f1']:.3f} SHD={row['shd']:.0f} "
              f"t={row['runtime_s']:.2f}s", file=sys.stderr)
    base = {(r["method"], r["vars"]): r["runtime_s"] for r in rows if r["n"] == min(ns)}
    for r in rows:
        b = base.get((r["method"], r["vars"]))
        r["ratio_vs_1k"] = r["runtime_s"] / b if b else float("nan")
    return rows, skipped


def markdown(rows: list[dict], skipped: list[str], machine_desc: str, elapsed: float, quick: bool) -> str:
    lines = [
        "# Causal discovery benchmark",
        "",
        f"Command: `python -m evals.bench_causal{' --quick' if quick else ''}`; total wall time {elapsed:.0f} s.",
        "",
        f"Machine: {machine_desc}; load average at end {os.getloadavg()[0]:.1f}.",
        "",
        f"Data: seeded random linear SCMs, {EDGES_PER_VAR} edges per variable, |weights| in [0.5, 1.5] with random "
        "signs; Gaussian noise for PC/GES/FCI (scored against the true CPDAG; FCI's PAG marks o-> count as "
        "differences in SHD), uniform noise for DirectLiNGAM (scored against the true DAG). alpha = 0.01, "
        "Fisher-z; GES with BIC. Figures are medians over seeds; runtime is the algorithm only.",
        "",
        "| method | vars | n | seeds | skeleton F1 | F1 min | arrowhead P | arrowhead R | SHD | runtime s (median) | max s | x vs n=1k |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['vars']} | {r['n']:,} | {r['seeds']} | {r['skeleton_f1']:.3f} | {r['skeleton_f1_min']:.3f} | "
            f"{r['arrowhead_precision']:.3f} | {r['arrowhead_recall']:.3f} | {r['shd']:.0f} | "
            f"{r['runtime_s']:.2f} | {r['runtime_max_s']:.2f} | {r['ratio_vs_1k']:.1f} |"
        )
    t = next((r for r in rows if (r["method"], r["vars"], r["n"]) == (TARGET["method"], TARGET["vars"], TARGET["n"])), None)
    lines.append("")
    if t:
        ok = t["skeleton_f1"] >= TARGET["f1"] and t["runtime_max_s"] < TARGET["seconds"]
        lines.append(
            f"**Target** (PC, 20 variables, n=10k: skeleton F1 >= 0.9 in < 10 s): median F1 {t['skeleton_f1']:.3f}, "
            f"slowest seed {t['runtime_max_s']:.2f} s -> **{'met' if ok else 'NOT met'}**."
        )
    if skipped:
        lines += ["", "Skipped:", ""] + [f"- {s}" for s in skipped]
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m in METHODS:
        for p in sorted({r["vars"] for r in rows}):
            pts = sorted((r["n"], r["runtime_s"]) for r in rows if r["method"] == m and r["vars"] == p)
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=f"{m} {p} vars")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows (n)")
    ax.set_ylabel("runtime (s, median)")
    ax.set_title("Causal discovery runtime growth")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10/20 variables, n=1k/10k, one seed")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per combination (default 3; quick 1)")
    ap.add_argument("--out", type=Path, default=Path("evals/results/causal.md"))
    args = ap.parse_args(argv)
    seeds = args.seeds or (1 if args.quick else 3)
    desc = machine()
    start = time.perf_counter()
    rows, skipped = run(args.quick, seeds)
    elapsed = time.perf_counter() - start
    text = markdown(rows, skipped, desc, elapsed, args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    plot(rows, args.out.with_name(args.out.stem + "_runtime.png"))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
