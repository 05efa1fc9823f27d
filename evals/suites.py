"""Entry-level runs (settings in, report out) shared by ``whyrec eval`` and the UI's Evaluation tab.

Why here and not in the CLI: the command line and the Gradio tab run exactly the same
suites with the same configuration block, so their numbers are comparable. Everything
heavy (the runtime: catalog, index, scorers, LLM client) is built inside these functions.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.report import config_block, new_run_dir, write_report

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
DIALOGUES_DIR = Path(__file__).resolve().parent / "dialogues"


def _eval_agent(rt: Any, llm_on: bool, degrade_cooldown_s: float | None = None) -> Any:
    """A private agent with the runtime's wiring, for one evaluation run.

    Never the app's own agent object: (1) no online learner, so scripted like/dislike feedback
    does not train the served RL policy (runs would otherwise change the model they measure);
    (2) its own degrade cool-down, so one slow LLM reply does not put every script that starts
    in the next seconds into limited mode. ``llm_on=False`` is the deterministic path.
    """
    from agent.explaining import CheckedExplainer
    from agent.loop import WhyRecAgent

    a = rt.agent
    model = a.chat_model if llm_on else None
    return WhyRecAgent(chat_model=model, services=rt.services, store=rt.store, settings=rt.settings,
                       explainer=a.explainer if llm_on else CheckedExplainer(None, rt.catalog),
                       versions={**a.versions, **({} if llm_on else {"llm": "none"})}, tool_mode=a.tool_mode,
                       online_learner=None, plan_timeout_s=getattr(a, "plan_timeout_s", 6.0),
                       degrade_cooldown_s=(getattr(a, "degrade_cooldown_s", 10.0) if degrade_cooldown_s is None
                                           else degrade_cooldown_s))


def _runtime_config(rt: Any, settings: Any, llm_on: bool, **extra: Any) -> dict[str, Any]:
    v = rt.agent.versions
    return config_block(settings, llm=(settings.llm_model if llm_on and rt.chat_model is not None else "off"),
                        catalog_version=rt.catalog.version, catalog_items=len(rt.catalog.items),
                        default_scorer=v.get("default_scorer"), scorers=v.get("scorers"), prompt=v.get("prompt"),
                        strategy=v.get("strategy"), runtime_notes=list(rt.notes), **extra)


def run_dialogue_suite(settings: Any, paths: list[str | Path], *, use_llm: bool = True, workers: int = 2,
                       out: Path | None = None, name: str = "dialogues", progress: bool = True,
                       progress_cb: Progress | None = None, runtime: Any | None = None,
                       retry_llm_each_turn: bool = True) -> tuple[dict, dict]:
    """(report, written) for the scripts under ``paths`` against the configured runtime.

    ``retry_llm_each_turn``: the run's agent tries the LLM on every turn (degrade cool-down 0);
    otherwise the "LLM on" numbers would partly measure the cool-down instead of the model.
    Online learning is always off during a run (see ``_eval_agent``).
    """
    from agent.runtime import build_runtime
    from evals.dialogue_runner import run_scripts, summarise
    from evals.dialogue_schema import load_scripts
    from evals.metrics import fairness_diversity

    scripts, load_errors = load_scripts([Path(p) for p in paths])
    rt = runtime or build_runtime(settings, use_llm=use_llm)
    llm_agent = (_eval_agent(rt, True, 0.0 if retry_llm_each_turn else None)
                 if (use_llm and rt.chat_model is not None) else None)
    plain = _eval_agent(rt, False)
    if use_llm and llm_agent is None:
        log.warning("no chat model: every script runs with the LLM off")

    def agent_for(llm_on: bool) -> Any:
        return llm_agent if (llm_on and llm_agent is not None) else plain

    run_dir = new_run_dir(name, out)
    partial = run_dir / "scripts.partial.jsonl"
    lock = threading.Lock()

    def keep(o: Any) -> None:
        with lock, partial.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(o.to_dict(), default=str) + "\n")

    outcomes = run_scripts(scripts, agent_for, rt.catalog, workers=workers, progress=progress,
                           progress_cb=progress_cb, on_result=keep)
    summary = summarise(outcomes)
    pop = {it.item_id: float(it.popularity) for it in rt.catalog.items}
    report = {
        "kind": "dialogues", "name": name,
        "config": _runtime_config(rt, settings, llm_agent is not None, workers=workers,
                                  paths=[str(p) for p in paths], scripts=len(scripts),
                                  scripts_hash=_scripts_hash(scripts),
                                  degrade_cooldown_s=getattr(llm_agent, "degrade_cooldown_s", None), online_learning="off",
                                  plan_timeout_s=getattr(llm_agent, "plan_timeout_s", None)),
        "summary": summary,
        "fairness": fairness_diversity(summary["recommended_ids"], pop),
        "scripts": [o.to_dict() for o in outcomes],
        "load_errors": load_errors,
    }
    written = write_report(report, run_dir)
    partial.unlink(missing_ok=True)
    return report, written


def _scripts_hash(scripts: list[Any]) -> str:
    """Changes whenever any script's content changes, so compare can tell "same suite" apart."""
    import hashlib

    h = hashlib.sha256()
    for sc in sorted(scripts, key=lambda x: x.name):
        h.update(sc.model_dump_json(exclude={"source"}).encode())
    return h.hexdigest()[:16]


def run_redial(settings: Any, split: Path, *, pipelines: list[str], limit: int | None = None, filtered: bool = False,
               out: Path | None = None, train: Path | None = None, progress: bool = True,
               progress_cb: Progress | None = None) -> tuple[dict, dict]:
    """The ReDial benchmark: the agent's own turn pipeline (ranker trained on train_partial only; no LLM)."""
    from agent.explaining import CheckedExplainer
    from agent.llm.structured import resolve_tool_mode
    from agent.loop import WhyRecAgent
    from agent.runtime import load_active_catalog, load_recommender, open_retriever_from_settings, open_store
    from evals.redial_bench import BenchAssets, run_benchmark
    from tools.resolve.people import PeopleIndex
    from tools.resolve.titles import TitleResolver
    from tools.toolbox.agent_tools import ToolServices

    split = Path(split)
    if not split.is_file():
        raise FileNotFoundError(f"{split}: no such ReDial split; try ../shared/data/redial/valid_data.jsonl")
    if split.name == "train_partial.jsonl":
        raise ValueError("the ranker trains on train_partial.jsonl; evaluate on valid_data.jsonl (or a test file)")
    catalog = load_active_catalog(settings)
    retriever = open_retriever_from_settings(settings, catalog)
    notes: list[str] = []
    recommender = load_recommender(settings, catalog, retriever, notes)
    if recommender is None:
        raise FileNotFoundError("; ".join(notes))
    services = ToolServices(catalog=catalog, resolver=TitleResolver(catalog.items), retriever=retriever,
                            recommender=recommender, people=PeopleIndex(catalog.items))
    agent = WhyRecAgent(chat_model=None, services=services, store=open_store(settings), settings=settings,
                        explainer=CheckedExplainer(None, catalog),
                        versions={"catalog": catalog.version}, tool_mode=resolve_tool_mode(settings))
    meta_path = settings.models_dir / "ranker-redial" / "training.json"
    training = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    assets = BenchAssets(catalog, [i.item_id for i in catalog.items], recommender, agent.reader, agent, retriever,
                         training)
    report = run_benchmark(assets, split, pipelines=pipelines, limit=limit, filtered=filtered,
                           progress=progress, progress_cb=progress_cb)
    report["config"] = config_block(settings, llm="off",
                                    catalog_version=catalog.version, catalog_items=len(catalog.items),
                                    ranker=str(meta_path.parent), limit=limit, pipelines=pipelines,
                                    train_file=training.get("train_file", str(train)))
    written = write_report(report, new_run_dir(f"redial-{'filtered' if filtered else 'all'}", out))
    return report, written


def run_simulation(settings: Any, *, n: int = 20, max_turns: int = 5, split: Path | None = None,
                   simulator: str = "auto", out: Path | None = None, progress: bool = True,
                   progress_cb: Progress | None = None, runtime: Any | None = None) -> tuple[dict, dict]:
    """iEvaLM-style simulated seekers with hidden targets from the validation split."""
    from agent.runtime import build_runtime
    from evals.llm_simulator import pick_targets, run_episodes
    from evals.metrics import fairness_diversity
    from tools.datasets.redial import default_redial_dir

    rt = runtime or build_runtime(settings, use_llm=True)
    split = Path(split) if split else default_redial_dir() / "valid_data.jsonl"
    targets = pick_targets(split, rt.catalog, n, seed=settings.seed)
    import dataclasses

    # a private agent: no online learning, LLM tried on every turn (see _eval_agent)
    rt = dataclasses.replace(rt, agent=_eval_agent(rt, rt.chat_model is not None, 0.0))
    report = run_episodes(rt, targets, max_turns=max_turns, simulator=simulator, settings=settings,
                          progress=progress, progress_cb=progress_cb)
    pop = {it.item_id: float(it.popularity) for it in rt.catalog.items}
    report["fairness"] = fairness_diversity(report.pop("recommended_ids"), pop)
    report["config"] = _runtime_config(rt, settings, rt.chat_model is not None, simulator=report["simulator"],
                                       split=str(split), n=n, max_turns=max_turns,
                                       online_learning="off")
    written = write_report(report, new_run_dir(f"simulate-{report['simulator'].split()[0]}", out))
    return report, written
