"""The composition root: settings -> catalog, store, retriever, scorers, LLM, agent.

It lives in agent/ (not ui/) so that evals/ and ui/ can both build the same runtime
without an upward import.

Why one place: every entry point (``whyrec ui``, ``whyrec chat``, evals, load tests)
builds the same object graph from one frozen ``Settings``; nothing below this file
constructs its own dependencies. Missing optional assets degrade with a logged reason
(no LightGCN checkpoint -> popularity; no causal table -> no causal evidence); a
missing vector index is an error that names the command to build it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.explaining import CheckedExplainer
from agent.llm.client import build_chat_model
from agent.llm.structured import resolve_tool_mode
from agent.loop import WhyRecAgent
from agent.settings import Settings
from agent.store.db import Store
from tools.catalog.active import resolve_catalog_dir
from tools.catalog.catalog import Catalog, load_catalog
from tools.resolve.titles import TitleResolver
from tools.scoring import Scorer
from tools.toolbox.agent_tools import ToolServices

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    catalog: Catalog
    store: Store
    agent: WhyRecAgent
    services: ToolServices
    chat_model: Any | None
    causal: Any | None = None
    notes: list[str] = field(default_factory=list)


def load_active_catalog(settings: Settings) -> Catalog:
    return load_catalog(resolve_catalog_dir(settings.data_dir, settings.catalog_path))


def load_recommender(settings: Settings, catalog: Catalog, retriever: Any | None, notes: list[str]) -> Any | None:
    """The learned-ranker recommender (``whyrec train ranker``); None, with a note, when it is not trained."""
    from agent import recommender_assets

    embed = getattr(retriever, "embed_query", None)
    try:
        return recommender_assets.load(catalog, resolve_catalog_dir(settings.data_dir, settings.catalog_path),
                                       settings.models_dir / recommender_assets.RANKER_DIRNAME, embed=embed)
    except Exception as exc:  # noqa: BLE001 - without a trained ranker the starter serves, with a note
        notes.append(f"recommender not loaded ({exc}); run `whyrec train ranker`")
        return None


def _starter(catalog: Catalog, retriever: Any | None, notes: list[str]) -> Any:
    """The same pipeline on the untrained prior ranker (tools/recsys/starter.py), with a note."""
    from tools.recsys.starter import starter_recommender

    notes.append("serving the untrained starter ranker (fixed weights); `whyrec train ranker` trains the real one")
    return starter_recommender(catalog, retriever=retriever)


def load_scorers(settings: Settings, catalog: Catalog, notes: list[str]) -> dict[str, Scorer]:
    """Every scorer whose trained files exist; popularity is always available."""
    from tools.scorers.registry import LOADERS, load_scorer

    scorers: dict[str, Scorer] = {}
    for kind in LOADERS:
        try:
            scorers[kind] = load_scorer(kind, settings.models_dir, catalog)
        except Exception as exc:  # noqa: BLE001 - a missing model degrades to the others, with a note
            notes.append(f"scorer {kind!r} not loaded: {exc}")
    if "popularity" not in scorers:
        from tools.scorers.popularity import PopularityScorer

        scorers["popularity"] = PopularityScorer().fit(catalog.interactions, [i.item_id for i in catalog.items])
    return scorers


def open_store(settings: Settings) -> Store:
    return Store(settings.resolved_store_url)


def chroma_client(settings: Settings) -> Any:
    from tools.retrieval.vector_index import open_chroma_client

    return open_chroma_client(settings.chroma_mode, settings.chroma_path, settings.chroma_host, settings.chroma_port)


def make_embedder(settings: Settings) -> Any:
    from tools.retrieval.embeddings import MiniLMEmbedder

    return MiniLMEmbedder(threads=settings.torch_threads, batch_size=settings.embed_batch_size, device=settings.device)


def open_retriever_from_settings(settings: Settings, catalog: Catalog) -> Any:
    """The one place a retriever is built from settings (CLI, agent, evals)."""
    from tools.retrieval.retriever import open_retriever

    return open_retriever(catalog, client=chroma_client(settings), collection_name=settings.chroma_collection,
                          embedder=make_embedder(settings))


def _causal(settings: Settings, notes: list[str]) -> Any | None:
    """The causal study behind the Causal tab and the planner's causal tool (None, with a note, when
    discovery has not run). Cards take their causal claims from the per-segment effects instead."""
    try:
        from tools.studies.causal_study import CausalStudy

        return CausalStudy("demo", settings.data_dir / "causal", seed=settings.seed)
    except Exception as exc:  # noqa: BLE001
        notes.append(f"causal study unavailable ({exc}); run `whyrec causal discover`")
        return None


def load_segment_effect(settings: Settings, notes: list[str]) -> Any | None:
    """``(item) -> SegmentEffect | None`` from ``whyrec causal segments``' output, or None (noted) without it."""
    from tools.studies.segment_effects import SegmentEffects, default_path

    path = default_path(settings.data_dir)
    if not path.is_file():
        notes.append(f"no per-segment effects at {path}; cards carry no causal claim until "
                     "`whyrec causal segments` has run")
        return None
    try:
        effects = SegmentEffects.load(path)
    except Exception as exc:  # noqa: BLE001 - a bad file costs the causal claims, not the service
        notes.append(f"per-segment effects unreadable ({exc}); rerun `whyrec causal segments`")
        return None
    return lambda item: effects.for_item(item.genres, effects.bucket_of(item.item_id))


def build_runtime(settings: Settings, *, use_llm: bool = True, chat_model: Any | None = None,
                  warm: bool = True) -> Runtime:
    notes: list[str] = []
    catalog = load_active_catalog(settings)
    store = open_store(settings)
    retriever = open_retriever_from_settings(settings, catalog)
    scorers = load_scorers(settings, catalog, notes)
    if warm:
        # load the embedding model and the in-memory vectors now, not on the first user's first message
        retriever.search("warm up", k=1)
        if hasattr(retriever, "load_vectors"):
            retriever.load_vectors()
        # every turn reads the catalog's plot-keyword vocabulary (agent/turn/topic.py): built here, not in a
        # fresh process's first turn (~0.5 s there: that turn was the no-LLM p95 in evals/results/agent.md)
        from agent.turn.topic import keyword_vocabulary

        keyword_vocabulary(catalog)
        _ = catalog.genre_shares  # read by the slate's tones of a liked film (~20 ms, once per catalog)
    default_scorer = settings.scorer if settings.scorer in scorers else (
        "lightgcn" if "lightgcn" in scorers else "popularity")
    study = _causal(settings, notes)
    from tools.resolve.people import PeopleIndex
    from tools.resolve.series import SeriesIndex

    services = ToolServices(catalog=catalog, resolver=TitleResolver(catalog.items), retriever=retriever,
                            scorers=scorers, default_scorer=default_scorer, causal=study,
                            recommender=load_recommender(settings, catalog, retriever, notes)
                            or _starter(catalog, retriever, notes),
                            people=PeopleIndex(catalog.items), series=SeriesIndex(catalog.items),
                            segment_effect=load_segment_effect(settings, notes))
    if warm and (space := getattr(services.recommender, "space", None)) is not None:
        # the plot-similarity threshold every evidence claim compares with, a percentile over random pairs of
        # films (~130 ms): a fresh process's first "more like X" turn paid it (bench_agent's no-LLM p95)
        _ = space.close_story
    if chat_model is None and use_llm:
        chat_model = build_chat_model(settings)
    mode = resolve_tool_mode(settings)
    versions = {
        "catalog": catalog.version,
        "index": f"{settings.chroma_collection}@{catalog.version}",
        "scorers": ",".join(f"{k}:{getattr(v, 'version', k)}" for k, v in sorted(scorers.items())),
        "default_scorer": default_scorer,
        "llm": settings.llm_model if chat_model is not None else "none",
    }
    rl = scorers.get("rl")
    learner = None
    if rl is not None and settings.rl_online_updates and hasattr(rl, "update_from_feedback"):
        learner = _online_learner(rl, settings)
    agent = WhyRecAgent(
        chat_model=chat_model, services=services, store=store, settings=settings,
        explainer=CheckedExplainer(chat_model, catalog, max_concurrency=settings.explain_concurrency),
        versions=versions, tool_mode=mode, online_learner=learner, plan_timeout_s=settings.llm_plan_timeout_s,
    )
    for n in notes:
        log.warning(n)
    return Runtime(settings, catalog, store, agent, services, chat_model, study, notes)


def _online_learner(rl: Any, settings: Settings):
    """Feedback dicts from the agent -> the RL scorer's bounded online update, saved after each.

    Serialised by a lock: feedback from many sessions arrives on many threads.
    """
    import threading

    from tools.rl.types import FeedbackEvent

    path = Path(settings.models_dir) / "rl-demo"
    lock = threading.Lock()

    def learn(events: list[dict[str, Any]]) -> Any:
        evs = [FeedbackEvent(item_id=e["item_id"], kind=e["kind"], features=e.get("features") or {}) for e in events]
        with lock:
            report = rl.update_from_feedback(evs)
            try:
                rl.save(path)
            except Exception:  # noqa: BLE001
                log.exception("could not save the RL policy after an online update")
        return report

    return learn


def build_agent(settings: Settings) -> tuple[WhyRecAgent, Store]:
    """For ``whyrec ui`` (ui/cli_ui.py) and other long-running entry points: the planner is warmed up."""
    rt = build_runtime(settings)
    rt.agent.warm_up()
    return rt.agent, rt.store
