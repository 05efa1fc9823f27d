"""De-biased ranker training, measured: unweighted vs inverse-propensity-weighted, on ReDial validation.

Run: ``python -m evals.bench_debias [--quick] [--json] [--no-write]``.
Needs what ``make demo`` prepares (the demo catalog and its content vectors). In one run:

1. the out-of-fold training table of ``whyrec train ranker`` is built once
   (``tools.recsys.training.out_of_fold_table``, train_partial.jsonl, depth 300);
2. the exposure model is built once (``tools.recsys.debias``): PC graphs with
   background knowledge on 30 samples of the table, the adjustment set of exposed ->
   liked read off each, the variables at least 70% of them hold kept, the logistic
   propensity on those;
3. one ranker per weighting is fitted on that same table by the same rule
   (``training.fit_ranker``: one fit, 15% of the dialogues hold out for early stopping);
4. each is scored by the ReDial protocol (``evals.redial_protocol.evaluate``, filtered,
   valid_data.jsonl) through the served recommender's own ``Recommender.recommend`` on
   the request the agent's reader builds, as ``bench_redial``'s agent pipeline does.

Reported per weighting: R@10/R@50 over all targets and over the long tail (targets outside
the 500 films mentioned in the most training dialogues), and the exposure Gini and
catalog coverage of the top-10 slates (``evals.metrics.fairness_diversity``). A weighting
"meets the target" when its long-tail R@50 is at least 20% above the unweighted one
with overall R@50 within 2% of it; the served default becomes the best such weighting,
and stays unweighted when none meets it. Relative changes carry paired 95% bootstrap
intervals over validation turns. Variants are chosen and reported on the same split
(the project tunes on valid_data.jsonl), so a small margin is optimistic.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from causal.bootstrap import bootstrap_values, resample_indices
from evals.metrics import fairness_diversity, ranking_summary
from evals.provenance import header
from evals.redial_protocol import evaluate, extract_samples

RESULTS = Path(__file__).resolve().parent / "results" / "debias.md"
#: the code this benchmark's numbers describe (a result older than their last change is stale)
MEASURES = ("tools/recsys", "tools/catalog/movie_kinds.py", "agent/turn/lexicon.py", "causal/propensity.py", "causal/discovery.py", "causal/adjustment.py",
            "causal/background.py", "causal/graph.py", "causal/table.py", "agent/recommender_assets.py",
            "agent/turn/understand.py", "agent/turn/title_context.py", "agent/turn/dialogue.py", "agent/turn/replay.py", "agent/turn/wish_genres.py", "agent/turn/state_update.py",
            "tools/resolve/titles.py", "tools/resolve/title_resolution.py", "tools/resolve/people.py", "tools/catalog/catalog.py", "tools/data/demo",
            "evals/bench_debias.py", "evals/redial_protocol.py")
HEAD_FILMS = 500
#: (name, weighting, propensity clip, power, blend share). The treated rows' propensities run from ~0.0003 (1st
#: percentile) to ~0.17 (99th), median ~0.0024: a floor of 0.002 caps the weights of roughly the
#: rarest 40% of suggestions, 0.001 the rarest 20%; a power below 1 tempers every weight
#: ((1/p) ** power), a smoother trade than a floor; snips is the unclipped, self-normalised estimator.
#: Earlier full runs (evals/results/debias.md) measured floors 0.003, 0.002 and 0.001 untempered too
#: (0.002: tail +16.7%, overall -5.2%); between the tempered 0.002 and 0.001 lies 0.0015, and the
#: tempered 0.002 gave tail +4.5% at -1.5% overall (7c0af47). A blend (``tools.recsys.blend``) mixes the
#: unweighted ranker with one weighted by a low floor (0.0005, untempered: alone about -9% overall R@50
#: in a pool-only check) at the stated share of the score.
VARIANTS = (("unweighted", "none", None, 1.0, None),
            ("ipw clip 0.0015 power 0.75", "ipw", 0.0015, 0.75, None), ("ipw clip 0.001 power 0.75", "ipw", 0.001, 0.75, None),
            ("snips", "snips", None, 1.0, None),
            ("ipw clip 0.0005, blended 0.6", "ipw", 0.0005, 1.0, 0.6), ("ipw clip 0.0005, blended 0.7", "ipw", 0.0005, 1.0, 0.7))
QUICK_VARIANTS = (VARIANTS[0], VARIANTS[2], VARIANTS[5])
TARGET_TAIL_GAIN, OVERALL_BAND = 0.20, 0.02


def _shared_pools(space: Any, stats: Any, sources: Any) -> Any:
    """A ``Recommender`` that remembers each request's pool and features across rankers.

    Why: the weightings change only the model; sources, statistics and features are the
    same for every variant, so each validation request's pool and feature matrix are
    built once (by the recommender's own ``pool``/``score``) and every ranker then
    orders the very same candidates through the unchanged ``Recommender.recommend``.
    """
    from tools.recsys.recommender import Pool, Recommender

    class SharedPools(Recommender):
        def __init__(self) -> None:
            super().__init__(space, stats, sources, None, depth=300)
            self._pools: dict[Any, Pool] = {}
            self._features: dict[int, np.ndarray] = {}

        def pool(self, req: Any, depth: int | None = None, extra: Any = (), *, least: int = 0,
                 only: Any = None) -> Pool:
            key = (req, depth, tuple(extra), least, None if only is None else frozenset(only))
            if key not in self._pools:
                self._pools[key] = super().pool(req, depth, extra, least=least, only=only)
            return self._pools[key]

        def score(self, req: Any, pool: Pool) -> tuple[np.ndarray, np.ndarray]:
            if id(pool) not in self._features:
                self._features[id(pool)] = super().score(req, pool)[0]
            x = self._features[id(pool)]
            return x, self.ranker.predict(x)

    return SharedPools()


def _assets(quick: bool) -> dict[str, Any]:
    from agent import recommender_assets as ra
    from agent.runtime import load_active_catalog, make_embedder
    from agent.settings import Settings
    from tools.catalog.active import resolve_catalog_dir
    from tools.datasets.redial import default_redial_dir, iter_dialogues, load_movies
    from tools.recsys.item_space import ItemSpace
    from tools.resolve.people import PeopleIndex
    from tools.resolve.titles import TitleResolver

    settings = Settings()
    catalog = load_active_catalog(settings)
    space = ItemSpace.load(catalog, resolve_catalog_dir(settings.data_dir, settings.catalog_path))
    train = list(iter_dialogues(default_redial_dir() / "train_partial.jsonl"))
    valid = list(iter_dialogues(default_redial_dir() / "valid_data.jsonl"))
    if quick:
        train, valid = train[:400], valid[:150]
    # titles exactly as evals.redial_bench.run_benchmark renders them
    titles = {it.item_id: it.display_title for it in catalog.items}
    for m in load_movies():
        titles.setdefault(m.movie_id, m.title)
    return {"catalog": catalog, "space": space, "train": train, "valid": valid, "titles": titles,
            "reader": ra.DialogueReader(TitleResolver(catalog.items), PeopleIndex(catalog.items), catalog),
            "embed": (embed := ra.make_query_embedder(make_embedder(settings))),
            "sources_for": ra.sources_factory(space, embed)}


def run(quick: bool = False, progress: bool = True) -> dict[str, Any]:
    from tools.recsys.cooccurrence import CoSuggestionStats
    from tools.recsys.debias import exposure_weights
    from tools.recsys.redial_samples import episodes
    from tools.recsys.training import fit_blend, fit_ranker, out_of_fold_table, talk_memory

    t0 = time.perf_counter()
    a = _assets(quick)
    space, reader = a["space"], a["reader"]
    train_samples, _ = extract_samples(a["train"], {it.item_id: it.display_title for it in a["catalog"].items},
                                       set(space.ids), filtered=True)  # as agent.recommender_assets.train does
    eps = episodes(a["train"])
    # the LightGCN embeddings and the talk memory too ({} = the defaults), exactly as `whyrec train ranker`
    # builds the served model
    talk = talk_memory(train_samples, reader.sample_request, space, a["embed"], progress=progress)
    table = out_of_fold_table(train_samples, eps, space, a["sources_for"], reader.sample_request, depth=300,
                              progress=progress, graph={}, talk=talk)
    stats = CoSuggestionStats.fit(eps, space, graph={})
    stats.talk = talk
    head = {space.ids[i] for i in np.argsort(-stats.mentioned, kind="stable")[:HEAD_FILMS]}
    samples, _ = extract_samples(a["valid"], a["titles"], set(space.ids), filtered=True)
    targets = [t for s in samples for t in s.targets]
    popularity = {it.item_id: float(it.popularity) for it in a["catalog"].items}
    build_s = time.perf_counter() - t0

    rec = _shared_pools(space, stats, a["sources_for"](stats))
    exposure = None
    rows: dict[str, dict[str, Any]] = {}
    hits: dict[str, np.ndarray] = {}  # variant -> per target: 1 if in the first 50
    plain = None
    for name, weighting, clip, power, blend in (QUICK_VARIANTS if quick else VARIANTS):
        t1 = time.perf_counter()
        weights, facts = None, {}
        if weighting != "none":
            exposure = exposure_weights(table, a["train"], space.ids, method=weighting, clip=clip, power=power,
                                        choice=exposure.choice if exposure else None,
                                        propensity=exposure.propensity if exposure else None)
            weights, facts = exposure.weights, exposure.info()
        if blend is None:
            rec.ranker = ranker = fit_ranker(table, sample_weight=weights)
        else:
            rec.ranker = ranker = fit_blend(table, plain, weights, blend)
        plain = plain or ranker  # the unweighted variant comes first
        rankings: dict[int, list[str]] = {}  # sample -> its ranking (a sample that raised has none: a miss)

        def rank(s: Any, k: int, exclude: bool, rankings: dict = rankings) -> list[str]:
            out = [r.item_id for r in rec.recommend(reader.sample_request(s, exclude_mentioned=exclude), k=k)]
            rankings[id(s)] = out
            return out

        res = evaluate(name, samples, rank, k=50, filtered=True, progress=progress)
        if res.errors == len(samples):  # every request raised: a broken harness, not a weighting's result
            raise RuntimeError(f"{name}: every validation request failed; first error: {res.first_error}")
        per_target = [rankings.get(id(s), []) for s in samples for _ in s.targets]
        hits[name] = np.array([t in r[:50] for r, t in zip(per_target, targets, strict=True)], dtype=float)
        tail = [(r, t) for r, t in zip(per_target, targets, strict=True) if t not in head]
        lt = ranking_summary([r for r, _ in tail], [t for _, t in tail])
        fair = fairness_diversity([i for top in res.top10 for i in top], popularity)
        rows[name] = {"weighting": weighting, "clip": clip, "power": power, "blend": blend, "recall@10": res.metrics["recall@10"],
                      "recall@50": res.metrics["recall@50"], "tail_recall@10": lt.get("recall@10", 0.0),
                      "tail_recall@50": lt.get("recall@50", 0.0), "exposure_gini": fair["exposure_gini"],
                      "catalog_coverage": fair["catalog_coverage"], "errors": res.errors,
                      "best_iteration": ranker.info["best_iteration"], "seconds": round(time.perf_counter() - t1),
                      **{k: v for k, v in facts.items() if k in ("weight_max", "ess_positive_share")}}
    base = rows["unweighted"]
    owner = np.repeat(np.arange(len(samples)), [len(s.targets) for s in samples])
    is_tail = np.array([t not in head for t in targets])
    for name, r in rows.items():
        r["tail_gain"] = r["tail_recall@50"] / max(1e-12, base["tail_recall@50"]) - 1
        r["overall_change"] = r["recall@50"] / max(1e-12, base["recall@50"]) - 1
        r["overall_change_ci"] = paired_ci(hits[name], hits["unweighted"], owner)
        r["tail_gain_ci"] = paired_ci(hits[name][is_tail], hits["unweighted"][is_tail], owner[is_tail])
        r["meets_target"] = r["tail_gain"] >= TARGET_TAIL_GAIN and r["overall_change"] >= -OVERALL_BAND
    in_band = [n for n, r in rows.items() if r["overall_change"] >= -OVERALL_BAND]
    best_in_band = max(in_band, key=lambda n: (rows[n]["tail_recall@50"], rows[n]["recall@50"]))
    meeting = [n for n, r in rows.items() if r["meets_target"]]
    # the served default changes only for a weighting that meets the target
    chosen = max(meeting, key=lambda n: rows[n]["tail_recall@50"]) if meeting else "unweighted"
    return {"quick": quick, "train_dialogues": len(a["train"]), "train_requests": len(table.groups),
            "train_rows": int(len(table.y)), "valid_dialogues": len(a["valid"]), "valid_samples": len(samples),
            "targets": len(targets), "tail_targets": sum(t not in head for t in targets),
            "exposure": exposure and {**exposure.propensity.summary(), "adjustment_set": list(exposure.adjustment),
                                      "identification": exposure.identification,
                                      "explanation": exposure.explanation,
                                      "graph": [str(e) for e in exposure.graph.edges],
                                      "graph_params": {k: exposure.graph.params.get(k)
                                                       for k in ("indep_test", "transform", "alpha", "n")},
                                      "graph_notes": list(exposure.graph.notes)},
            "variants": rows, "chosen": chosen, "best_in_band": best_in_band, "target_met": bool(meeting),
            "build_seconds": round(build_s), "seconds": round(time.perf_counter() - t0)}


def paired_ci(hits: np.ndarray, base: np.ndarray, owner: np.ndarray, n_boot: int = 2000,
              seed: int = 7) -> tuple[float, float]:
    """95% percentile interval of the relative change sum(hits)/sum(base) - 1, resampling turns.

    Why turns (``owner``: each target's turn) and paired: targets of one turn share a
    ranking, and both variants rank the same turns, so resampling whole turns for both
    at once gives the noise of the *difference*, which is what the target is about.
    """
    turns, idx = np.unique(owner, return_inverse=True)
    h = np.bincount(idx, weights=hits, minlength=len(turns))
    b = np.bincount(idx, weights=base, minlength=len(turns))
    ratio = bootstrap_values(lambda draw: h[draw].sum() / max(b[draw].sum(), 1e-12) - 1,
                             resample_indices(len(turns), n_boot, seed))
    # np.quantile at exactly 2.5/97.5 (percentile_interval's (1 - level) / 2 is 0.025000000000000022,
    # which moves the last digits of the published interval)
    lo, hi = np.quantile(ratio, [0.025, 0.975])
    return float(lo), float(hi)


def block(report: dict[str, Any]) -> list[str]:
    ex = report["exposure"] or {}
    lines = [f"Training: {report['train_dialogues']} train_partial dialogues, {report['train_requests']} requests, "
             f"{report['train_rows']:,} candidate rows (out-of-fold features, built once; {report['build_seconds']} s). "
             f"Validation (filtered): {report['valid_dialogues']} dialogues, {report['valid_samples']} turns, "
             f"{report['targets']} targets, {report['tail_targets']} in the long tail (outside the {HEAD_FILMS} "
             "films mentioned in the most training dialogues).", ""]
    if ex:
        coefs = ", ".join(f"{k} {v:+.3f}" for k, v in ex["coefficients"].items())
        gp = ex["graph_params"]
        lines += [f"Exposure graph (PC, {gp['indep_test']} test, {gp['transform']} transform, alpha {gp['alpha']}, "
                  f"tiers film -> dialogue -> exposed -> liked, one of the discovery samples of {gp['n']:,} rows, "
                  f"one whose adjustment set is the chosen one when any is): {'; '.join(ex['graph'])}.", "",
                  f"Adjustment set of exposed -> liked: {{{', '.join(ex['adjustment_set'])}}} ({ex['identification']}). "
                  f"{ex['explanation']} "
                  f"Propensity: logistic regression on every row, standardised coefficients {coefs}; "
                  f"AUC {ex['auc']:.3f}; treated propensity quantiles "
                  + ", ".join(f"q{float(q) * 100:g} {v:.4f}" for q, v in ex["treated_propensity_quantiles"].items())
                  + ".", ""]
    lines += ["| weighting | R@10 | R@50 | tail R@10 | tail R@50 | tail R@50 vs unweighted [95% CI] "
              "| R@50 vs unweighted [95% CI] | Gini@10 | coverage@10 | max weight | ESS (positives) | best iter |",
              "|---|" + "---|" * 11]

    def rel(v: float, ci: tuple[float, float]) -> str:
        return f"{v:+.1%} [{ci[0]:+.1%}, {ci[1]:+.1%}]"

    for name, r in report["variants"].items():
        ess = r.get("ess_positive_share")
        lines.append(f"| {name} | {r['recall@10']:.3f} | {r['recall@50']:.3f} | {r['tail_recall@10']:.3f} | "
                     f"{r['tail_recall@50']:.3f} | {rel(r['tail_gain'], r['tail_gain_ci'])} | "
                     f"{rel(r['overall_change'], r['overall_change_ci'])} | "
                     f"{r['exposure_gini']:.3f} | {r['catalog_coverage']:.3f} | {r.get('weight_max', 1.0):.1f} | "
                     f"{'—' if ess is None else f'{ess:.0%}'} | {r['best_iteration']} |")
    met = [n for n, r in report["variants"].items() if r["meets_target"]]
    lines += ["", f"Target (tail R@50 +{TARGET_TAIL_GAIN:.0%} with R@50 within {OVERALL_BAND:.0%}): "
              + (f"**met** by {', '.join(met)}." if met else "**not met** by any weighting.")
              + f" Best long-tail R@50 with R@50 within the band: {report['best_in_band']}. Default for "
              f"`whyrec train ranker` by this measurement: **{report['chosen']}** (a weighting becomes the default "
              f"only if it meets the target). {served_line(report)} Total {report['seconds']} s.", ""]
    return lines


def served_line(report: dict[str, Any]) -> str:
    """Whether the code's default (``tools.recsys.debias.SERVED_WEIGHTING``) is what this run chose."""
    from tools.recsys.weighting import SERVED_WEIGHTING

    if report.get("quick"):
        return "(A quick run does not decide the default.)"
    chosen = report["variants"][report["chosen"]]
    agrees = (chosen["weighting"], chosen["clip"], chosen["power"], chosen.get("blend")) == tuple(SERVED_WEIGHTING)
    return (f"The code's default (SERVED_WEIGHTING {SERVED_WEIGHTING}) "
            + ("agrees." if agrees else "**does not agree**: change it and retrain."))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="400 training / 150 validation dialogues, 3 weightings")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to evals/results/debias.md")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    report = run(quick=args.quick, progress=not args.json)
    title = "De-biased ranker training (ReDial validation, filtered)" + (" — quick" if args.quick else "")
    text = "\n".join(header(title, None, ("lightgbm", "causal-learn", "scikit-learn", "ranx")) + block(report))
    print(json.dumps(report, indent=2, default=str) if args.json else text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
