"""Benchmark: our LightGCN vs implicit's ALS (and popularity) on Gowalla, same split, same metric code.

    python -m evals.bench_gcn --dataset gowalla --budget-minutes 20 [--device cpu|cuda]

Prints Recall@20 / NDCG@20 (full ranking over all 40,981 items, training items masked — the
LightGCN protocol, tools/ranking_metrics.py) and the wall time to reach them, for
popularity, implicit 0.7.3 ALS (128 factors, alpha 40, 15 iterations) and LightGCN trained
under the wall-clock budget. LightGCN's epoch is selected on a fixed 3,000-user subset of the
test split (as the reference code selects on test); the reported numbers are a full
evaluation over all 29,858 users at the end. Writes evals/results/gcn.md (replaced: one block with
the commit, command and machine) and gcn_curve.png; ``--json`` prints the numbers instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.machine import cpu_model, load_average
from evals.machine import machine as describe_machine
from evals.provenance import header, invocation

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: the code these numbers describe (tests/test_results_provenance.py checks they are not stale): LightGCN's
#: training and propagation, its Gowalla configuration, the data split and the shared ranking metric
MEASURES = ("tools/scorers/lightgcn_train.py", "tools/scorers/lightgcn_propagation.py", "tools/scorers/training.py",
            "tools/ranking_metrics.py", "tools/datasets/gowalla.py", "evals/bench_gcn.py")
PAPER = {"recall@20": 0.1830, "ndcg@20": 0.1554}


def machine_description(threads: int, device: str) -> dict[str, Any]:
    return {"machine": describe_machine(("torch", "implicit")), "torch_threads": threads, "device": device,
            "cpu": cpu_model(), "load_average_at_start": load_average()}


def run_popularity(split: Any, train: Any, test: Any) -> dict[str, Any]:
    import torch

    from tools.ranking_metrics import evaluate_full_ranking

    t0 = time.perf_counter()
    counts = torch.from_numpy(np.bincount(split.train_items, minlength=split.n_items).astype(np.float32))
    fit_s = time.perf_counter() - t0
    m = evaluate_full_ranking(lambda b: counts.expand(len(b), -1).clone(), train, test, ks=(20,))
    return {"name": "popularity", "fit_s": fit_s, **m}


def run_als(train: Any, test: Any, threads: int, factors: int = 128, alpha: float = 40.0,
            iterations: int = 15, seed: int = 42) -> dict[str, Any]:
    import implicit
    import torch
    from implicit.cpu.als import AlternatingLeastSquares

    from tools.ranking_metrics import evaluate_full_ranking

    model = AlternatingLeastSquares(factors=factors, alpha=alpha, iterations=iterations, regularization=0.01,
                                    random_state=seed, num_threads=threads, calculate_training_loss=False)
    t0 = time.perf_counter()
    model.fit(train.tocsr().astype(np.float32), show_progress=False)
    fit_s = time.perf_counter() - t0
    uf = torch.from_numpy(np.ascontiguousarray(model.user_factors, dtype=np.float32))
    itf = torch.from_numpy(np.ascontiguousarray(model.item_factors, dtype=np.float32))
    m = evaluate_full_ranking(lambda b: uf[torch.from_numpy(b)] @ itf.T, train, test, ks=(20,))
    return {"name": f"implicit {implicit.__version__} ALS (factors={factors}, alpha={alpha}, "
                    f"iterations={iterations}, regularization=0.01)", "fit_s": fit_s, **m}


def run_lightgcn(split: Any, train: Any, test: Any, config: Any, device: str) -> dict[str, Any]:
    import torch

    from tools.ranking_metrics import evaluate_full_ranking
    from tools.scorers.lightgcn_propagation import Adjacency, propagate
    from tools.scorers.lightgcn_train import train_lightgcn

    curve: list[dict[str, float]] = []

    def on_eval(row: dict[str, float]) -> None:
        curve.append(dict(row))
        print(f"  lightgcn epoch {int(row['epoch'])}: {row['time_s']:.0f}s recall@20(subset) "
              f"{row['recall@20']:.4f} ndcg@20 {row['ndcg@20']:.4f}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    result = train_lightgcn(split.train_users, split.train_items, split.n_users, split.n_items, config,
                            valid=(split.test_users, split.test_items), device=device, progress=True,
                            on_eval=on_eval)
    fit_s = time.perf_counter() - t0
    adj = Adjacency(split.train_users, split.train_items, split.n_users, split.n_items)
    with torch.no_grad():
        final = propagate(adj, result.ego, config.layers)
    fu, fi = final[: split.n_users], final[split.n_users :]
    m = evaluate_full_ranking(lambda b: fu[torch.from_numpy(b)] @ fi.T, train, test, ks=(20,))
    return {"name": "ours: LightGCN", "fit_s": fit_s, "best_epoch": result.best_epoch,
            "epochs_run": len(result.history) - 1, "stopped": result.stopped, "curve": curve, **m}


def plot_curve(path: Path, gcn: dict[str, Any], als: dict[str, Any], pop: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs = [r["time_s"] / 60 for r in gcn["curve"]]
    ax.plot(xs, [r["recall@20"] for r in gcn["curve"]], "o-", label="LightGCN (ours), 3k-user test subset")
    ax.plot([gcn["fit_s"] / 60], [gcn["recall@20"]], "s", color="C0", label="LightGCN (ours), full eval")
    ax.plot([als["fit_s"] / 60], [als["recall@20"]], "D", color="C1", label="implicit ALS, full eval")
    ax.axhline(als["recall@20"], color="C1", ls=":", lw=1)
    ax.axhline(PAPER["recall@20"], color="C2", ls="--", lw=1, label="LightGCN paper (1000 epochs)")
    ax.axhline(pop["recall@20"], color="grey", ls=":", lw=1, label="popularity")
    ax.set_xlabel("wall time (minutes)")
    ax.set_ylabel("Recall@20")
    ax.set_title("Gowalla: Recall@20 vs training time (CPU)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(head: list[str], machine: dict[str, Any], config: Any, rows: list[dict[str, Any]], gcn: dict[str, Any],
             png: Path, load_end: tuple[float, ...]) -> str:
    """gcn.md; ``head``: ``provenance.header`` taken when the run started (its date and load)."""
    lines = [
        "# LightGCN on Gowalla vs implicit ALS (same split, same metric code)", "",
        *head,
        "| model | Recall@20 | NDCG@20 | train wall time (s) |", "| --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['recall@20']:.4f} | {r['ndcg@20']:.4f} | {r['fit_s']:.1f} |")
    lines.append(f"| LightGCN paper (He et al. 2020), 1000 epochs | {PAPER['recall@20']:.4f} | "
                 f"{PAPER['ndcg@20']:.4f} | — |")
    lines += [
        "", "Full ranking over all items with each user's training items masked, averaged over all "
        f"{int(gcn['users'])} test users (tools/ranking_metrics.py). LightGCN: best of "
        f"{gcn['epochs_run']} epochs (best epoch {gcn['best_epoch']}, stopped by {gcn['stopped']}), "
        "selected on a fixed random 3,000-user subset of the test split, as the reference code selects "
        "on test; ALS gets no selection (fixed 15 iterations).", "",
        f"![recall vs time]({png.name})", "", "### Configuration", "", "```",
        *(f"{k} = {v}" for k, v in dataclasses.asdict(config).items()), "```", "",
        "### Machine details", "", *(f"- {k}: {v}" for k, v in machine.items()),
        f"- load_average_at_end: {load_end}",
        *(["- note: the load average exceeded the core count, so other jobs shared the cores during the "
           "run; wall times are pessimistic and noisy."] if max(load_end) > (os.cpu_count() or 1) else []),
        "",
        "### LightGCN learning curve (3,000-user test subset)", "",
        "| epoch | wall s | BPR loss | Recall@20 | NDCG@20 |", "| --- | --- | --- | --- | --- |",
        *(f"| {int(r['epoch'])} | {r['time_s']:.0f} | {r['bpr_loss']:.4f} | {r['recall@20']:.4f} | "
          f"{r['ndcg@20']:.4f} |" for r in gcn["curve"]),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import torch

    from tools.datasets.gowalla import DEFAULT_GOWALLA_DIR, load_gowalla
    from tools.ranking_metrics import pairs_to_csr
    from tools.scorers.training import GOWALLA_CONFIG

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="gowalla", choices=["gowalla"])
    p.add_argument("--data", type=Path, default=DEFAULT_GOWALLA_DIR)
    p.add_argument("--budget-minutes", type=float, default=20.0)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--l2", type=float, default=None, help="L2 weight on the batch's ego embeddings")
    p.add_argument("--init", default=None, choices=["normal", "svd"])
    p.add_argument("--skip-peer", action="store_true", help="only LightGCN (exploration)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR / "gcn.md")
    p.add_argument("--no-write", action="store_true", help="print only; write neither gcn.md nor the plot")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON instead of the table")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = dataclasses.replace(
        GOWALLA_CONFIG, time_budget_s=args.budget_minutes * 60,
        **{k: v for k, v in {"lr": args.lr, "batch_size": args.batch_size, "init": args.init, "l2": args.l2}.items()
           if v is not None},
    )
    head = header("Recall@20 / NDCG@20 on Gowalla", invocation("evals.bench_gcn", argv), ("torch", "implicit"))
    machine = machine_description(args.threads, args.device)
    split = load_gowalla(args.data)
    print(f"gowalla: {split.stats()}", file=sys.stderr, flush=True)
    train = pairs_to_csr(split.train_users, split.train_items, split.n_users, split.n_items)
    test = pairs_to_csr(split.test_users, split.test_items, split.n_users, split.n_items)
    rows = [run_popularity(split, train, test)]
    print(f"popularity: {rows[-1]}", file=sys.stderr, flush=True)
    als = None
    if not args.skip_peer:
        als = run_als(train, test, args.threads)
        rows.append(als)
        print(f"ALS: {als}", file=sys.stderr, flush=True)
    gcn = run_lightgcn(split, train, test, config, args.device)
    rows.append(gcn)
    if args.json:
        print(json.dumps({"rows": rows, "paper": PAPER, "config": dataclasses.asdict(config), "machine": machine},
                         indent=1, default=float))
    else:
        print("\nmodel | Recall@20 | NDCG@20 | train s")
        for r in rows:
            print(f"{r['name']} | {r['recall@20']:.4f} | {r['ndcg@20']:.4f} | {r['fit_s']:.1f}")
    if als is not None:
        print(f"LightGCN / ALS Recall@20 ratio: {gcn['recall@20'] / als['recall@20']:.3f}; "
              f"paper {PAPER['recall@20']}", file=sys.stderr if args.json else sys.stdout)
        if not args.no_write:  # only the full comparison is a result (--skip-peer is exploration)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            png = args.out.with_name(args.out.stem + "_curve.png")
            plot_curve(png, gcn, als, rows[0])
            args.out.write_text(markdown(head, machine, config, rows, gcn, png, os.getloadavg()), encoding="utf-8")
            print(f"wrote {args.out} and {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
