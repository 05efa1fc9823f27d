"""``whyrec train rl``: train the recommend-or-ask policy against the simulated seeker.

Cached: the policy is written to ``<data_dir>/models/rl-demo/`` with a ``meta.json``
(read by the scorer registry too) holding a key made of the training config, the seed, the catalog version and the
versions of the channels used; a re-run with the same key returns at once (``--force``
retrains). Heavy imports happen inside the command so `whyrec --help` stays fast.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

log = logging.getLogger("whyrec.train.rl")

RL_DIR_NAME = "rl-demo"
GCN_DIR_NAME = "lightgcn-demo"


def _load_gcn(models_dir: Path, catalog: Any) -> Any:
    path = models_dir / GCN_DIR_NAME
    if not path.exists():
        return None
    try:
        from tools.scorers.registry import load_scorer

        return load_scorer("lightgcn", models_dir, catalog)
    except Exception as exc:  # a stale/corrupt checkpoint must not block RL training  # noqa: BLE001
        log.warning("ignoring LightGCN checkpoint at %s (%s); training without the gcn channel", path, exc)
        return None


def _summary_text(d: dict[str, Any]) -> str:
    ev = d.get("eval") or {}
    lines = [f"RL policy {'(cached) ' if d['cached'] else ''}at {d['path']} version {d['version']}",
             f"episodes from {d['episode_source']}; channels {', '.join(d['channels'])}"]
    for name, m in ev.items():
        lines.append(f"  {name:<20} success@{d['max_turns']} {m['success']:.3f}  reward {m['reward']:.3f}")
    return "\n".join(lines)


@friendly_errors
def train_rl(
    ctx: typer.Context,
    episodes: int = typer.Option(300, min=10, max=20000, help="Simulated conversations to train on."),
    seed: int = typer.Option(None, help="Random seed (default: the `seed` setting)."),
    eval_episodes: int = typer.Option(100, min=0, max=2000, help="Held-out simulated conversations to report on."),
    redial_dir: Path = typer.Option(None, help="ReDial folder (default ../shared/data/redial); one without "
                                    "train_partial.jsonl/valid_data.jsonl means: simulate from catalog interactions."),
    force: bool = typer.Option(False, "--force", help="Retrain even if a policy with the same config exists."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Train the RL re-ranking policy (Q-learning, softmax exploration) on simulated seekers.

    Seekers come from ReDial dialogues when ../shared/data/redial is present, otherwise
    from the catalog's own interactions. Uses the popularity scorer, the LightGCN
    checkpoint in <data_dir>/models/lightgcn-demo if one exists, and in-memory text
    similarity as the retrieval channel.

    Examples:

      whyrec train rl                       # ~1-2 minutes on 2 CPU cores, then cached

      whyrec train rl --episodes 600 --force --json
    """
    settings = get_settings(ctx)
    import torch

    from agent.runtime import load_active_catalog
    from tools.datasets.redial import default_redial_dir
    from tools.rl.env import ChannelGreedyPolicy, evaluate
    from tools.rl.train import TrainConfig
    from tools.rl.world import build_world, has_redial
    from tools.scorers.popularity import PopularityScorer
    from tools.scorers.rl_policy import RLPolicyConfig, RLPolicyScorer, ScorerPolicy

    seed = settings.seed if seed is None else seed
    torch.set_num_threads(settings.torch_threads)
    catalog = load_active_catalog(settings)
    models_dir = settings.models_dir
    out = models_dir / RL_DIR_NAME
    gcn = _load_gcn(models_dir, catalog)
    redial_dir = redial_dir if redial_dir is not None else default_redial_dir()
    cfg = RLPolicyConfig(k=settings.recs_per_turn, seed=seed, train=TrainConfig(episodes=episodes, seed=seed))
    key_src = {"config": cfg.to_dict(), "catalog": catalog.version, "gcn": gcn.version if gcn else None,
               "redial": has_redial(redial_dir), "eval_episodes": eval_episodes}
    key = hashlib.sha1(json.dumps(key_src, sort_keys=True, default=str).encode()).hexdigest()[:16]
    meta_path = out / "meta.json"  # also read by tools.scorers.registry (catalog_version)
    if not force and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("cache_key") == key:
            emit({**meta, "cached": True}, json_out, _summary_text)
            return

    t0 = time.perf_counter()
    popularity = PopularityScorer().fit(catalog.interactions, [it.item_id for it in catalog.items]) \
        if catalog.interactions else None
    world = build_world(catalog, redial_dir=redial_dir, gcn=gcn, popularity=popularity, seed=seed,
                        n_eval=eval_episodes or None, per_channel=cfg.pool_size)
    env = world.env(k=cfg.k, pool_size=cfg.pool_size, reward=cfg.reward)
    scorer = RLPolicyScorer(cfg, world.space)
    log.info("training on %d %s episodes (channels: %s)", len(world.train_episodes), world.episode_source,
             ", ".join(world.channels))
    report = scorer.fit_simulated(env, world.train_episodes, world.make_seeker, progress=not json_out)
    evals: dict[str, Any] = {}
    if eval_episodes and world.eval_episodes:
        held = world.eval_episodes[:eval_episodes]
        evals["rl"] = evaluate(env, ScorerPolicy(scorer), held, world.make_seeker, seed)
        evals["popularity-greedy"] = evaluate(env, ChannelGreedyPolicy("popularity"), held, world.make_seeker, seed)
    scorer.save(out)
    meta = {
        "cache_key": key, "path": str(out), "version": scorer.version, "catalog_version": catalog.version,
        "episode_source": world.episode_source, "channels": list(world.channels), "episodes": episodes,
        "seed": seed, "train_seconds": round(report.seconds, 2), "total_seconds": round(time.perf_counter() - t0, 2),
        "train_success_last_100": sum(report.success_curve[-100:]) / max(1, len(report.success_curve[-100:])),
        "max_turns": cfg.sim.max_turns, "eval": evals, "gcn_version": gcn.version if gcn else None,
        "retrieval_channel": "in-memory TF-IDF text similarity (stand-in for Chroma during training)",
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    emit({**meta, "cached": False}, json_out, _summary_text)
