"""``whyrec train ranker``: the learned ranker over every candidate source (ReDial training turns)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tools.recsys.weighting import SERVED_WEIGHTING
from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

#: the mildest floor evals/results/debias.md measures, the one that kept overall R@50 closest to the
#: unweighted ranker (lower floors bought more long tail with more overall loss); with no floor ipw is snips
IPW_DEFAULT_CLIP = 0.003


def _human(r: dict[str, Any]) -> str:
    if r.get("cached"):
        return f"cached: {r['model_dir']} already holds a ranker for catalog {r['catalog_version']}; --force retrains"
    return (f"trained the ranker on {r['train_samples']} ReDial training turns ({r['train_dialogues']} dialogues) in "
            f"{r['seconds']} s: {r.get('best_iteration')} boosting rounds ({r.get('stopping', 'holdout')}), candidate-pool recall "
            f"{r['pool_recall_train']:.3f} at depth {r['depth']}; saved to {r['model_dir']}")


def chosen_weighting(weighting: str | None, clip: float | None, power: float | None, blend: float | None
                     ) -> tuple[str, float | None, float, float | None]:
    """(weighting, clip, power, blend) to train with: the served default (``SERVED_WEIGHTING``, which
    ``evals/bench_debias.py`` chose) for what was not given; an explicit ``--weighting`` starts from that
    weighting alone (ipw at ``IPW_DEFAULT_CLIP``, full power, no blend) so ``--weighting snips`` does not
    inherit the served ipw floor and blend.

    Why resolved here and not as option defaults: a default blend with ``--weighting none`` would be a
    contradiction the user never typed.
    """
    if weighting is None:
        weighting, served_clip, served_power, served_blend = SERVED_WEIGHTING
        clip = served_clip if clip is None else clip
        power = served_power if power is None else power
        blend = served_blend if blend is None else blend
    if blend is not None and weighting == "none":
        raise typer.BadParameter("--blend mixes the unweighted ranker with a weighted one: add --weighting ipw "
                                 "(or snips)", param_hint="--blend")
    if weighting == "ipw" and clip is None:
        clip = IPW_DEFAULT_CLIP
    return weighting, clip, 1.0 if power is None else power, blend


def saved_ranker_if_current(out: Path, catalog_version: str, weighting: str, clip: float | None,
                            power: float, blend: float | None = None) -> dict[str, Any] | None:
    """The saved training metadata when the ranker in ``out`` is what this command would train now:
    same catalog, weighting, features and LightGBM settings; None means train again (a changed
    default in RankerConfig must not leave a stale model behind the cache)."""
    import json

    from tools.recsys.features import FEATURES
    from tools.recsys.ranker import RankerConfig

    meta_path, ranker_path = out / "training.json", out / "ranker.json"
    if not (meta_path.is_file() and ranker_path.is_file()):
        return None
    meta, saved = json.loads(meta_path.read_text()), json.loads(ranker_path.read_text())
    config = RankerConfig()
    current = (meta.get("catalog_version") == catalog_version and meta.get("weighting", "none") == weighting
               and meta.get("weighting_clip") == clip and meta.get("weighting_power", 1.0) == power
               and meta.get("blend_share") == blend
               and meta.get("stopping", "holdout") == "cv"  # rounds chosen by cross-validation, as train_ranker does now
               and saved.get("features") == list(FEATURES)
               and saved.get("config") == config.__dict__ | {"drop": list(config.drop)})
    return meta if current else None


@friendly_errors
def train_ranker(
    ctx: typer.Context,
    redial: Path = typer.Option(None, "--redial", help="ReDial folder with train_partial.jsonl (default: ../shared/data/redial)."),
    depth: int = typer.Option(300, "--depth", min=10, help="Candidates each source nominates per request."),
    force: bool = typer.Option(False, "--force", help="Retrain even if a ranker for this catalog exists."),
    weighting: str = typer.Option(None, "--weighting", help="none | ipw (clipped inverse exposure propensity) | "
                                  "snips (self-normalised). Default: the served choice "
                                  f"{SERVED_WEIGHTING} (weighting, clip, power, blend), which "
                                  "evals/results/debias.md measured."),
    clip: float = typer.Option(None, "--clip", help="Propensity floor for --weighting (weights <= 1/clip); "
                               f"ipw defaults to {IPW_DEFAULT_CLIP}, snips to none."),
    power: float = typer.Option(None, "--power", min=0.01, max=1.0,
                                help="Temper the weights to (1/propensity)**power: 1 = the full correction, "
                                     "smaller = gentler (see evals/results/debias.md)."),
    blend: float = typer.Option(None, "--blend", min=0.01, max=0.99,
                                help="Serve the unweighted ranker mixed with the --weighting one, this being the "
                                     "weighted one's share of the score (see evals/results/debias.md)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Train the LightGBM LambdaRank ranker and the collaborative statistics it serves.

    Requests are built from ReDial *training* dialogue text by the agent's own understanding,
    exactly as a live turn builds them; the validation split is never read (the benchmark
    `whyrec eval redial` reports on it). Saved under <data_dir>/models/ranker-redial/.

    Examples:
      whyrec train ranker
      whyrec train ranker --force --json
      whyrec train ranker --force --weighting none      (the plain LambdaRank ranker)
      whyrec train ranker --force --weighting snips
      whyrec train ranker --force --weighting ipw --clip 0.0005 --power 1 --blend 0.7
    """
    from agent import recommender_assets as ra
    from agent.runtime import load_active_catalog, make_embedder
    from tools.catalog.active import resolve_catalog_dir
    from tools.datasets.redial import default_redial_dir

    weighting, clip, power, blend = chosen_weighting(weighting, clip, power, blend)
    settings = get_settings(ctx)
    catalog = load_active_catalog(settings)
    out = settings.models_dir / ra.RANKER_DIRNAME
    if not force:
        cached = saved_ranker_if_current(out, catalog.version, weighting, clip, power, blend)
        if cached is not None:
            emit({**cached, "cached": True, "model_dir": str(out)}, json_out, _human)
            return
    embed = ra.make_query_embedder(make_embedder(settings))
    meta = ra.train(catalog, resolve_catalog_dir(settings.data_dir, settings.catalog_path),
                    redial or default_redial_dir(), out, embed=embed, depth=depth, progress=not json_out,
                    weighting=weighting, clip=clip, power=power, blend=blend)
    emit({**meta, "model_dir": str(out)}, json_out, _human)
