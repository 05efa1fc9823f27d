"""``whyrec eval dialogues|redial|simulate|compare|load``: evaluation runs and their reports.

Heavy imports happen inside the commands (``whyrec --help`` stays fast). Every run writes
report.md, report.json and PNG plots into ``--out`` (default evals/runs/<timestamp>-<name>/);
``--json`` prints one JSON document on stdout, progress bars go to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, fail, friendly_errors, get_settings

eval_app = typer.Typer(
    help=(
        "Evaluate WhyRec: scripted dialogues, the ReDial benchmark, a simulated user, run comparison.\n\n"
        "Examples:\n\n"
        "  whyrec eval dialogues evals/dialogues --no-llm\n\n"
        "  whyrec eval redial --split ../shared/data/redial/valid_data.jsonl --pipeline all --limit 300\n\n"
        "  whyrec eval simulate --n 20 --max-turns 5\n\n"
        "  whyrec eval compare evals/runs/A evals/runs/B\n\n"
        "  whyrec eval load --sessions 20 --turns 5"
    ),
    no_args_is_help=True,
)


def _written_line(written: dict[str, Any]) -> str:
    return f"\nreport: {written['md_path']}\njson:   {written['json_path']}\nplots:  {', '.join(written['plots'])}"


@eval_app.command("dialogues")
@friendly_errors
def dialogues_command(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, help="YAML scripts or folders (default: evals/dialogues)."),
    model: str = typer.Option(None, "--model", help="LLM base URL to evaluate, e.g. http://127.0.0.1:8000/v1."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Run every script with the LLM off (limited mode)."),
    out: Path = typer.Option(None, "--out", help="Report folder (default evals/runs/<timestamp>-dialogues)."),
    workers: int = typer.Option(2, "--workers", min=1, max=16, help="Scripts run concurrently."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run scripted dialogues and check every turn's expectations; report pass rates per category.

    Examples:

      whyrec eval dialogues                                # all of evals/dialogues, live LLM

      whyrec eval dialogues evals/dialogues/refine_older.yaml --no-llm

      whyrec eval dialogues --model http://10.0.0.5:8000/v1 --out /tmp/run-b --json

    Scripts marked `llm: off` always run without the LLM. Schema: evals/dialogues/README.md.
    Exits 1 when a script fails or does not load (bad YAML, an unknown field), 0 when every one passes.
    """
    from evals.dialogue_schema import load_scripts
    from evals.suites import DIALOGUES_DIR, run_dialogue_suite

    wanted = [Path(p) for p in paths] if paths else [DIALOGUES_DIR]
    scripts, load_errors = load_scripts(wanted)
    if not scripts:  # nothing to run: say why before building the whole runtime
        for e in load_errors:
            typer.echo(f"load error: {e}")
        fail("no dialogue script loaded; fix the errors above (schema: evals/dialogues/README.md)", code=1)
    settings = get_settings(ctx, llm_base_urls=[model] if model else None)
    report, written = run_dialogue_suite(settings, [str(p) for p in wanted],
                                         use_llm=not no_llm, workers=workers, out=out, progress=True)
    data = {"summary": {k: v for k, v in report["summary"].items() if k not in ("latencies_ms", "recommended_ids")},
            "fairness": report["fairness"], "config": report["config"], "load_errors": report["load_errors"],
            "failed_scripts": [s["name"] for s in report["scripts"] if not s["passed"]], **written}
    data.pop("markdown", None)

    def human(_: Any) -> str:
        s = report["summary"]
        lines = [f"{s['scripts_passed']}/{s['scripts']} scripts passed ({(s['pass_rate'] or 0):.1%}); "
                 f"LLM: {report['config'].get('llm')}"]
        lines += [f"  {c:<18} {v['passed']}/{v['scripts']}  {(v['pass_rate'] or 0):.0%}" for c, v in s["per_category"].items()]
        lines += [f"load error: {e}" for e in report["load_errors"]]
        return "\n".join(lines) + _written_line(written)

    emit(data, as_json, human)
    # a script that did not load is a check that did not run: never a pass (exit 1, as for a failed script)
    if report["load_errors"] or data["failed_scripts"]:
        raise typer.Exit(1)


@eval_app.command("redial")
@friendly_errors
def redial_command(
    ctx: typer.Context,
    split: Path = typer.Option(..., "--split", help="ReDial dialogue file, e.g. ../shared/data/redial/valid_data.jsonl."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N dialogues."),
    pipeline: str = typer.Option("all", "--pipeline", help="agent|cosuggest|comention|content|query|attributes|popularity|retrieval|all (comma list ok)."),
    filtered: bool = typer.Option(False, "--filtered", help="Drop targets mentioned earlier (He et al. 2023)."),
    train: Path = typer.Option(None, "--train", help="Training dialogues (default ../shared/data/redial/train_partial.jsonl)."),
    out: Path = typer.Option(None, "--out", help="Report folder (default evals/runs/<timestamp>-redial-...)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """ReDial Recall@1/10/50, MRR, NDCG@10/50 over all catalog movies, next to published anchors.

    Examples:

      whyrec eval redial --split ../shared/data/redial/valid_data.jsonl --limit 300

      whyrec eval redial --split ../shared/data/redial/valid_data.jsonl --pipeline agent,cosuggest --filtered

    The agent pipeline is the live turn's own (understanding, sources, constraints, the ranker
    from `whyrec train ranker`, trained on train_partial.jsonl only); every report says so. It
    calls no LLM: the planner's nominations are not part of this ranking.
    """
    from evals.redial_bench import PIPELINES, comparison_table
    from evals.suites import run_redial

    names = list(PIPELINES) if pipeline.strip() == "all" else [p.strip() for p in pipeline.split(",") if p.strip()]
    settings = get_settings(ctx)
    report, written = run_redial(settings, split, pipelines=names, limit=limit, filtered=filtered,
                                 out=out, train=train)
    data = {"split": report["split"], "dialogues": report["dialogues"], "samples": report["samples"],
            "targets": report["targets"], "filtered": report["filtered"], "training": report["training"],
            "candidate_recall@200": report["candidate_recall@200"], "anchors": report["anchors"],
            "pipelines": {n: {"metrics": r["metrics"], "latency_ms": r["latency_ms"], "errors": r["errors"],
                              "first_error": r["first_error"], "fairness_top10": r["fairness_top10"]}
                          for n, r in report["pipelines"].items()},
            **{k: v for k, v in written.items() if k != "markdown"}}

    def human(_: Any) -> str:
        return (f"{report['dialogues']} dialogues, {report['samples']} turns, {report['targets']} targets "
                f"({'filtered' if filtered else 'unfiltered'})\n{report['training']['note']}\n\n"
                f"{comparison_table(report)}{_written_line(written)}")

    emit(data, as_json, human)


@eval_app.command("simulate")
@friendly_errors
def simulate_command(
    ctx: typer.Context,
    n: int = typer.Option(20, "--n", min=1, max=500, help="Episodes (one hidden target each)."),
    max_turns: int = typer.Option(5, "--max-turns", min=1, max=20, help="Turns per episode."),
    simulator: str = typer.Option("auto", "--simulator", help="auto (LLM if up, else rule) | llm | rule."),
    split: Path = typer.Option(None, "--split", help="Where targets come from (default valid_data.jsonl)."),
    out: Path = typer.Option(None, "--out", help="Report folder (default evals/runs/<timestamp>-simulate-...)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """A simulated seeker with a hidden target talks to the agent; success = target recommended.

    Examples:

      whyrec eval simulate --n 20 --max-turns 5

      whyrec eval simulate --simulator rule --json      # no LLM needed; labelled rule-based

    The seeker never names its target: leaking utterances are regenerated or redacted and counted.
    """
    from evals.suites import run_simulation

    settings = get_settings(ctx)
    report, written = run_simulation(settings, n=n, max_turns=max_turns, split=split, simulator=simulator, out=out)
    data = {"simulator": report["simulator"], "note": report["note"], "summary": report["summary"],
            "fairness": report["fairness"], **{k: v for k, v in written.items() if k != "markdown"}}

    def human(_: Any) -> str:
        s = report["summary"]
        rate = s["success_rate"] or 0
        turns = s["mean_turns_to_success"]
        return (f"simulator: {report['simulator']}{(' — ' + report['note']) if report['note'] else ''}\n"
                f"success {rate:.1%} over {s['episodes']} episodes; mean turns to success "
                f"{'—' if turns is None else f'{turns:.2f}'}; leak fraction {s['leak_fraction']:.1%} "
                f"({s['leaks']} caught, {s['leaked_sent']} sent){_written_line(written)}")

    emit(data, as_json, human)


@eval_app.command("compare")
@friendly_errors
def compare_command(
    run_a: Path = typer.Argument(..., help="Run folder (or report.json) A."),
    run_b: Path = typer.Argument(..., help="Run folder (or report.json) B."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print every headline metric of two runs and the delta B - A, plus configuration differences.

    Example:

      whyrec eval compare evals/runs/20261122T060000-dialogues evals/runs/20261122T070000-dialogues
    """
    from evals.report import compare_runs, load_run, render_compare

    c = compare_runs(load_run(run_a), load_run(run_b))
    emit(c, as_json, render_compare)


@eval_app.command("load", add_help_option=False,
                  context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def load_command(ctx: typer.Context) -> None:
    """Concurrent sessions through the JSON API, audited against the store (`whyrec eval load --help`).

    Examples:

      whyrec eval load --sessions 100 --turns 10 --fast --min-turns-per-s 20

      whyrec eval load --sessions 20 --turns 5            # LLM on: admission control, p95 <= 5 s

    Why here: the harness (evals/load.py) sits below the UI layer, so the app it serves is handed
    in from this command (ui.api.build_api). Options are evals/load.py's; results go to
    evals/results/load.md, each block with its commit, command and machine.
    """
    from evals.load import main
    from ui.api import build_api

    prog = "python -m ui.cli_eval load" if __name__ == "__main__" else "whyrec eval load"
    raise typer.Exit(main(list(ctx.args), app_factory=build_api, app_import="ui.api:app_from_env", prog=prog))


if __name__ == "__main__":  # `python -m ui.cli_eval load ...`: the same command, named by module for provenance
    eval_app()
