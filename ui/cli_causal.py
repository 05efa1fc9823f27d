"""``whyrec causal``: discover a causal graph and estimate effects on the ReDial study table.

Why a CLI: the same study the agent's ``causal_graph``/``causal_effect`` tools and the UI's
Causal tab use, runnable and inspectable from a shell; results are cached as graph JSON under
``<data_dir>/causal/`` so the UI and the agent reuse them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

causal_app = typer.Typer(
    name="causal",
    help=(
        "Causal discovery (PC/FCI/GES/DirectLiNGAM via causal-learn) and effect estimation on the shipped "
        "ReDial recommendation-effect table (or your CSV).\n\n"
        "Examples:\n\n"
        "  whyrec causal discover --png var/causal.png\n\n"
        "  whyrec causal discover --bootstrap 20 --png var/causal.png --json\n\n"
        "  whyrec causal discover --dataset my.csv --transform rank --test fisherz\n\n"
        "  whyrec causal discover --method fci --alpha 0.05 --mermaid\n\n"
        "  whyrec causal effect --treatment suggested --outcome liked --json"
    ),
    no_args_is_help=True,
)

DATASET_OPTION = typer.Option("demo", "--dataset", help="'demo' (shipped ReDial mentions table) or a CSV path.")
METHOD_OPTION = typer.Option("pc", "--method", help="pc | fci | ges | lingam")
ALPHA_OPTION = typer.Option(0.01, "--alpha", help="CI-test significance level (PC/FCI).")
TRANSFORM_OPTION = typer.Option(None, "--transform", help="rank (normal scores: for skewed/heavy-tailed columns) | "
                                "none. Default: rank, except none for lingam and discrete tests.")
TEST_OPTION = typer.Option(None, "--test", help="CI test for pc/fci: fisherz | gsq | chisq (categorical) | kci "
                           "(nonparametric, <= 2,000 rows, slow). Default: fisherz, gsq when every column is discrete.")


def _study(ctx: typer.Context, dataset: str, method: str, alpha: float, n_boot: int = 200, seed: int | None = None,
           no_cache: bool = False, transform: str | None = None, indep_test: str | None = None, bootstrap: int = 0):
    from tools.studies.causal_study import CausalStudy

    settings = get_settings(ctx)
    cache = None if no_cache else Path(settings.data_dir) / "causal"
    return CausalStudy(dataset, cache, method=method, alpha=alpha, n_boot=n_boot,
                       seed=settings.seed if seed is None else seed, transform=transform, indep_test=indep_test,
                       bootstrap=bootstrap)


@causal_app.command("discover")
@friendly_errors
def discover_cmd(
    ctx: typer.Context,
    dataset: str = DATASET_OPTION,
    method: str = METHOD_OPTION,
    alpha: float = ALPHA_OPTION,
    png: Path = typer.Option(None, "--png", help="Also draw the graph to this PNG file."),
    mermaid: bool = typer.Option(False, "--mermaid", help="Print Mermaid text (graph LR) instead of edge lines."),
    llm_priors: bool = typer.Option(False, "--llm-priors", help="Ask the served LLM for forbidden/required edges "
                                    "and show them (needs `whyrec llm serve`)."),
    apply_priors: bool = typer.Option(False, "--apply-priors", help="With --llm-priors: apply suggestions at or "
                                      "above --min-confidence and report what changed."),
    min_confidence: float = typer.Option(0.7, "--min-confidence", help="Threshold for --apply-priors."),
    transform: str = TRANSFORM_OPTION,
    test: str = TEST_OPTION,
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Rerun on N row resamples (e.g. 20) and report "
                                  "each edge's frequency; drawn as edge width in --png."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute instead of reusing <data_dir>/causal/."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Learn a causal graph. Example: `whyrec causal discover --method pc --bootstrap 20 --png var/causal.png`.

    Edges print as `A --> B` (A causes B), `A --- B` (unoriented), `A <-> B` (latent confounder),
    `A o-> B` / `A o-o B` (partially oriented, FCI). With --bootstrap N each edge also shows the
    share of resamples that found it (and with the same direction); --json lists them under
    `edges`. The demo table is tiered: movie attributes -> dialogue context -> suggested -> seen -> liked.
    """
    from causal.render import render_png, to_mermaid

    study = _study(ctx, dataset, method, alpha, no_cache=no_cache, transform=transform, indep_test=test,
                   bootstrap=bootstrap)
    graph = study.graph(method, alpha)
    out: dict[str, Any] = {"graph": graph.to_dict(), "data": study.table()[1]}
    if llm_priors:
        out["priors"] = _priors(ctx, study, method, alpha, apply_priors, min_confidence)
        if apply_priors and out["priors"]["applied"]:
            from causal import CausalGraph

            graph = CausalGraph.from_dict(out["priors"]["graph"])
            out["graph"] = graph.to_dict()
    out["edges"] = [{**e.to_dict(), "text": str(e)} for e in graph.edges]
    if "bootstrap" in graph.params:
        out["bootstrap"] = graph.params["bootstrap"]
    if png is not None:
        out["png"] = str(render_png(graph, png, layers=study.layers(graph)))
    text = to_mermaid(graph)
    out["mermaid"] = text

    def human(d: dict) -> str:
        body = text if mermaid else graph.describe()
        extra = [f"rows used: {d['data']['rows_used']} of {d['data']['rows_total']}"]
        if d["data"].get("skipped_text_columns"):
            extra.append(f"text columns skipped: {', '.join(d['data']['skipped_text_columns'])}")
        if "bootstrap" in d:
            b = d["bootstrap"]
            extra.append(f"bootstrap: {b['used']} of {b['n_boot']} resamples in {b['seconds']:.1f} s")
            extra += [f"not in the graph but in {o['frequency']:.2f} of resamples: {' - '.join(o['pair'])}"
                      for o in b.get("other_pairs", [])]
        if "png" in d:
            extra.append(f"picture: {d['png']}")
        for s in d.get("priors", {}).get("suggestions", []):
            extra.append(f"LLM suggests {s['relation']} {s['src']} -> {s['dst']} ({s['confidence']:.2f}): {s['reason']}")
        for k in ("added", "removed", "changed"):
            for e in d.get("priors", {}).get(k, []):
                extra.append(f"priors {k}: {e}")
        return body + "\n" + "\n".join(extra)

    emit(out, as_json, human)


def _priors(ctx, study, method, alpha, apply: bool, min_confidence: float) -> dict[str, Any]:
    from agent.llm.client import build_chat_model
    from agent.llm.priors import make_llm_proposer
    from causal.priors import discover_with_priors
    from tools.studies.redial_effect import DESCRIPTIONS

    settings = get_settings(ctx)
    propose = make_llm_proposer(build_chat_model(settings, temperature=0.0))
    df = study.table()[0]
    res = discover_with_priors(df, propose, descriptions=DESCRIPTIONS, apply=apply, min_confidence=min_confidence,
                               background=study.background, method=method, alpha=alpha, seed=study.seed)
    return res.to_dict()


@causal_app.command("effect")
@friendly_errors
def effect_cmd(
    ctx: typer.Context,
    treatment: str = typer.Option("suggested", "--treatment", help="Binary 0/1 column (the cause)."),
    outcome: str = typer.Option("liked", "--outcome", help="Outcome column."),
    dataset: str = DATASET_OPTION,
    method: str = METHOD_OPTION,
    alpha: float = ALPHA_OPTION,
    n_boot: int = typer.Option(200, "--n-boot", help="Bootstrap resamples for the 95% intervals."),
    seed: int = typer.Option(None, "--seed", help="Bootstrap seed (default: settings.seed)."),
    transform: str = TRANSFORM_OPTION,
    test: str = TEST_OPTION,
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute the graph instead of reusing the cache."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Estimate the average effect of TREATMENT on OUTCOME, adjusting as the learned graph says.

    Example: `whyrec causal effect --treatment suggested --outcome liked --json`. Prints the
    regression-adjusted and inverse-propensity-weighted estimates with bootstrap 95% intervals,
    the adjustment set read off the graph, and the unadjusted difference for comparison.
    """
    study = _study(ctx, dataset, method, alpha, n_boot=n_boot, seed=seed, no_cache=no_cache, transform=transform,
                   indep_test=test)
    est = study.estimate(treatment, outcome, method)
    data = est.to_dict()
    data["data"] = study.table()[1]
    emit(data, as_json, lambda d: est.describe() + f"\nrows used: {d['data']['rows_used']} of {d['data']['rows_total']}")
