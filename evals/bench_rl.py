"""Benchmark: the RL recommend-or-ask policy vs greedy baselines on the ReDial-grounded simulator.

    python -m evals.bench_rl [--seeds 3] [--episodes 300] [--eval-episodes 150]

For each seed: build the world (held-out seekers from ReDial ``valid_data.jsonl``; the
training seekers from ``train_partial.jsonl``), train the RL policy, and run every policy
on the same held-out seekers: popularity, LightGCN greedy, retrieval greedy (text
similarity of candidates to the conversation), random, RL, and RL without the ask
action. Reports success within the patience budget (5 turns), mean turns to success and
mean reward, as mean +/- 95% CI over seeds (t interval), and the ratio of RL's success
to the best greedy baseline measured in the same run (target >= 1.1). An off-policy
IPS/SNIPS estimate on the logged human suggestions of the validation dialogues is added.

No leakage into the baselines: popularity and LightGCN are fitted on the catalog's
interactions minus those from validation dialogues. Writes evals/results/rl.md (replaced:
one block, with the commit, command and machine; rendered by ``evals.rl_report``) and a learning-curve plot
evals/results/rl_learning_curve.png; ``--json`` prints the numbers instead of the Markdown.

The seekers' opening tags, hints and reactions (like/dislike by genre+tag Jaccard to the
targets) and the retrieval channel's text come from the catalog (``tools/data/demo``), so a
catalog change is a change of the task: it is one of the measured paths below.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.provenance import header, invocation
from evals.rl_report import as_json, plot, write_report

RESULTS = Path(__file__).resolve().parent / "results"
#: the code (and data) these numbers describe (tests/test_results_provenance.py checks they are not stale):
#: the policy and its environment, the simulated seekers and their catalog, the baselines' scorers, and the
#: segment effects of the causal ablation
MEASURES = ("tools/rl", "tools/scorers/rl_policy.py", "tools/scoring.py", "tools/scorers/popularity.py",
            "tools/scorers/lightgcn.py", "tools/scorers/lightgcn_train.py", "tools/scorers/lightgcn_propagation.py",
            "tools/scorers/graph.py",
            "tools/ranking_metrics.py", "tools/rl/simulator.py", "tools/datasets/redial.py", "tools/catalog/catalog.py", "tools/data/demo",
            "tools/studies/segment_effects.py", "tools/studies/causal_study.py", "tools/studies/redial_effect.py", "causal/segments.py",
            "causal/effects.py", "causal/bootstrap.py", "causal/adjustment.py", "causal/discovery.py", "evals/bench_rl.py",
            "evals/rl_report.py")


def fit_baseline_scorers(catalog: Any, valid_ids: set[str], seed: int, gcn_epochs: int) -> tuple[Any, Any, dict]:
    from tools.scorers.lightgcn import LightGCNScorer
    from tools.scorers.lightgcn_train import LightGCNConfig
    from tools.scorers.popularity import PopularityScorer

    train = [i for i in catalog.interactions
             if not (i.context.startswith("redial:") and i.context.split(":", 1)[1] in valid_ids)]
    ids = [it.item_id for it in catalog.items]
    t0 = time.perf_counter()
    pop = PopularityScorer().fit(train, ids)
    gcn = None
    if gcn_epochs > 0:
        cfg = LightGCNConfig(dim=32, epochs=gcn_epochs, batch_size=20_000, lr=0.02, seed=seed, time_budget_s=120)
        gcn = LightGCNScorer(cfg, validate=False).fit(train, ids)
    info = {"interactions": len(train), "dropped_valid": len(catalog.interactions) - len(train),
            "seconds": round(time.perf_counter() - t0, 1)}
    return pop, gcn, info


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from tools.catalog.catalog import load_catalog
    from tools.datasets.redial import default_redial_dir, load_dialogues
    from tools.rl.env import ChannelGreedyPolicy, RandomPolicy, evaluate
    from tools.rl.train import TrainConfig
    from tools.rl.world import build_world, has_redial
    from tools.scorers.rl_policy import RLPolicyConfig, RLPolicyScorer, ScorerPolicy

    torch.set_num_threads(args.threads)
    catalog = load_catalog(Path(args.catalog) if args.catalog else None)
    redial_dir = Path(args.redial_dir) if args.redial_dir else default_redial_dir()
    redial = has_redial(redial_dir)
    valid_dialogues = load_dialogues(redial_dir / "valid_data.jsonl") if redial else []
    valid_ids = {d.conversation_id for d in valid_dialogues}
    pop, gcn, fit_info = fit_baseline_scorers(catalog, valid_ids, 0, args.gcn_epochs)
    prior = causal_prior(catalog, args) if args.causal_ablation else None
    ablation: dict[str, Any] = {"per_seed": {}, "causal_weight": []}
    per_seed: dict[str, dict[str, list[float]]] = {}
    curves, timings, ope_rows = [], [], {}
    for s in range(args.seeds):
        seed = args.seed + s
        world = build_world(catalog, redial_dir=redial_dir if redial else None, gcn=gcn, popularity=pop, seed=seed,
                            n_eval=args.eval_episodes, per_channel=args.pool)
        cfg = RLPolicyConfig(k=args.k, pool_size=args.pool, seed=seed, train=TrainConfig(episodes=args.episodes, seed=seed))
        env = world.env(k=cfg.k, pool_size=cfg.pool_size, reward=cfg.reward)
        scorer = RLPolicyScorer(cfg, world.space)
        t0 = time.perf_counter()
        rep = scorer.fit_simulated(env, world.train_episodes, world.make_seeker, progress=True)
        timings.append(time.perf_counter() - t0)
        curves.append(rep.success_curve)
        policies: list[Any] = [ChannelGreedyPolicy("popularity"), ChannelGreedyPolicy("retrieval"), RandomPolicy(),
                               ScorerPolicy(scorer, "rl"), ScorerPolicy(scorer, "rl-no-ask", allow_ask=False)]
        if gcn is not None:
            policies.insert(1, ChannelGreedyPolicy("gcn"))
        for pol in policies:
            m = evaluate(env, pol, world.eval_episodes, world.make_seeker, seed)
            for key, val in m.items():
                per_seed.setdefault(pol.name, {}).setdefault(key, []).append(float(val))
            print(f"seed {seed} {pol.name:<18} success {m['success']:.3f} reward {m['reward']:.3f}", file=sys.stderr)
        if prior is not None:
            run_causal_ablation(world, cfg, prior, seed, (env, scorer), ablation)
        if s == 0 and redial and args.ope > 0:
            ope_rows = run_ope(scorer, world, valid_dialogues, redial_dir, pop, args)
    return {"per_seed": per_seed, "curves": curves, "train_seconds": timings, "fit_info": fit_info,
            "redial": redial, "ope": ope_rows, "ablation": ablation if prior is not None else None, "world": {"episodes_source": "redial" if redial else "interactions",
                                                      "channels": list(world.channels),
                                                      "n_eval": len(world.eval_episodes),
                                                      "n_train": len(world.train_episodes)}}


def causal_prior(catalog: Any, args: argparse.Namespace) -> dict[str, float]:
    """Per-item segment effect (suggested -> liked) from the *training* dialogues only, scaled to [-1, 1]."""
    from tools.studies.segment_effects import compute_segment_effects

    effects = compute_segment_effects(catalog=catalog, splits=("train",), n_boot=args.causal_boot, seed=args.seed,
                                      cache_dir=Path(args.data_dir) / "causal")
    print(f"causal prior: {len(effects.all())} segments from training dialogues, "
          f"{sum(e.excludes_zero for e in effects.all())} exclude zero", file=sys.stderr)
    return effects.item_priors(catalog)


class _WithPrior:
    """FeatureBuilder that appends one column: the item's segment-effect prior (the ablation's extra feature)."""

    def __init__(self, builder: Any, prior: dict[str, float]) -> None:
        self.builder, self.prior, self.space = builder, prior, builder.space

    def item_matrix(self, context: Any, ids: list[str]) -> np.ndarray:
        extra = np.asarray([[self.prior.get(i, 0.0)] for i in ids], dtype=np.float32).reshape(len(ids), 1)
        return np.hstack([self.builder.item_matrix(context, ids), extra])

    def dialogue_vector(self, context: Any, item_x: np.ndarray, **kw: Any) -> np.ndarray:
        return self.builder.dialogue_vector(context, item_x[:, :-1], **kw)


class _GreedyQ:
    """Greedy policy over the environment's own features (what ``ScorerPolicy`` does through the scorer):
    items already liked, disliked or shown are excluded, then ask-or-top-k on the Q values."""

    def __init__(self, net: Any, env: Any, name: str) -> None:
        self.net, self.env, self.name = net, env, name

    def act(self, obs: Any, k: int, rng: np.random.Generator) -> Any:
        import torch

        from tools.rl.qnet import decide
        from tools.rl.types import Action

        ctx = obs.context
        skip = set(ctx.liked_ids) | set(ctx.disliked_ids) | set(ctx.seen_ids)
        keep = [j for j, i in enumerate(obs.pool_ids) if i not in skip]
        x = obs.item_x[keep]
        d = self.env.builder.dialogue_vector(ctx, x, max_turns=self.env.max_turns, n_asks=obs.state.n_asks)
        with torch.no_grad():
            q = self.net.q_items(torch.from_numpy(x)).numpy().astype(np.float64) if keep else np.zeros(0)
            qa = float(self.net.q_ask(torch.from_numpy(d)))
        dec = decide(q, qa, k, 0.0, None)
        return Action.ask() if dec.kind == "ask" else Action.recommend([obs.pool_ids[keep[i]] for i in dec.indices])


def run_causal_ablation(world: Any, cfg: Any, prior: dict[str, float], seed: int, shipped: tuple[Any, Any],
                        out: dict[str, Any]) -> None:
    """Train the same policy (same seed, seekers, pool) with the segment effect appended as one more item
    feature; run it and the shipped policy on the same held-out seekers one by one (paired per seeker)."""
    import torch

    from tools.rl.env import ConversationEnv, run_episode
    from tools.rl.features import ITEM_FEATURES
    from tools.rl.qnet import QNet
    from tools.scorers.rl_policy import RLPolicyScorer

    env = ConversationEnv(_WithPrior(shipped[0].builder, prior), world.source, k=cfg.k,  # type: ignore[arg-type]
                          pool_size=cfg.pool_size, reward=cfg.reward, max_turns=world.sim.max_turns)
    torch.manual_seed(cfg.seed)
    scorer = RLPolicyScorer(cfg, world.space, QNet(hidden=cfg.train.hidden, n_item=len(ITEM_FEATURES) + 1))
    scorer.fit_simulated(env, world.train_episodes, world.make_seeker)
    runs = {"rl": (shipped[0], _GreedyQ(shipped[1].net, shipped[0], "rl")),
            "rl+segment-effect": (env, _GreedyQ(scorer.net, env, "rl+segment-effect"))}
    for name, (e, pol) in runs.items():
        rng = np.random.default_rng(seed)
        res = [run_episode(e, pol, world.make_seeker(ep), rng) for ep in world.eval_episodes]
        ok = [r for r in res if r.success]
        m = out["per_seed"].setdefault(name, {})
        m.setdefault("success", []).append(float(np.mean([r.success for r in res])))
        m.setdefault("reward", []).append(float(np.mean([r.reward for r in res])))
        m.setdefault("turns_to_success", []).append(float(np.mean([r.turns for r in ok])) if ok else float("nan"))
        out.setdefault("episodes", {}).setdefault(name, []).extend(float(r.success) for r in res)
    if scorer.net is not None and scorer.net.is_linear:
        out["causal_weight"].append(float(scorer.net.item_weights()[-1]))
    print(f"seed {seed} rl+segment-effect  success {out['per_seed']['rl+segment-effect']['success'][-1]:.3f} "
          f"(rl {out['per_seed']['rl']['success'][-1]:.3f})", file=sys.stderr)


def run_ope(scorer: Any, world: Any, valid_dialogues: list, redial_dir: Path, pop: Any,
            args: argparse.Namespace) -> dict[str, Any]:
    from tools.datasets.redial import load_dialogues
    from tools.rl.ope import ope_for_scorer, redial_logged_decisions, suggestion_propensities

    ids = [it.item_id for it in world.catalog.items]
    decisions = redial_logged_decisions(valid_dialogues, ids)
    rng = np.random.default_rng(args.seed)
    if len(decisions) > args.ope:
        decisions = [decisions[i] for i in sorted(rng.choice(len(decisions), args.ope, replace=False))]
    props = suggestion_propensities(load_dialogues(redial_dir / "train_partial.jsonl"), ids, alpha=1.0)

    def pool_fn(ctx: Any) -> dict:
        return world.source(ctx, args.pool)

    out = {}
    for name, fn in (("rl", scorer.score), ("popularity", pop.score)):
        r = ope_for_scorer(fn, decisions, pool_fn, props, temperature=0.1, clip=10.0, n_boot=300, seed=args.seed)
        out[name] = r
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--episodes", type=int, default=200, help="training episodes per seed")
    p.add_argument("--eval-episodes", type=int, default=100, help="held-out seekers per seed")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--pool", type=int, default=30, help="top-N per channel in the candidate pool")
    p.add_argument("--gcn-epochs", type=int, default=40, help="0 = no LightGCN baseline/channel")
    p.add_argument("--ope", type=int, default=300, help="logged decisions for the off-policy estimate (0 = skip)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--catalog", default=None)
    p.add_argument("--redial-dir", default=None)
    p.add_argument("--causal-ablation", action=argparse.BooleanOptionalAction, default=True,
                   help="also train the policy with the segment effect as one more feature and compare")
    p.add_argument("--causal-boot", type=int, default=200, help="bootstrap resamples for the ablation's segment effects")
    p.add_argument("--data-dir", default=os.environ.get("WHYREC_DATA_DIR", "var"),
                   help="where the learned causal graph is cached (<data-dir>/causal)")
    p.add_argument("--out", default=str(RESULTS / "rl.md"))
    p.add_argument("--no-write", action="store_true", help="print only; write neither the report nor the plot")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON instead of the Markdown")
    args = p.parse_args(argv)
    head = header("RL recommend-or-ask policy vs greedy baselines", invocation("evals.bench_rl", argv), ("torch",))
    t0 = time.perf_counter()
    res = run(args)
    text = write_report(res, args, time.perf_counter() - t0, head)
    if not args.no_write:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        plot(res["curves"], out.with_name("rl_learning_curve.png"))
        out.write_text(text, encoding="utf-8")
    print(json.dumps(as_json(res), indent=1, default=str) if args.json else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
