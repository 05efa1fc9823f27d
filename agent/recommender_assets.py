"""Build, train and load the recommender that every turn and every benchmark uses.

Why in agent/: the ranker is trained on requests built from ReDial dialogue *text* by the
agent's own understanding (``agent.turn.understand.parse``) and state replay
(``agent.turn.dialogue``), so its training inputs look exactly like a live turn's. tools/
holds the model; this module wires it to the understanding, the catalog's content vectors
and the query embedder.

Leakage rule: the ranker and every statistic it serves are fitted on ``train_partial.jsonl``
only; ``valid_data.jsonl`` is never read here (the benchmark in evals/ reports on it).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.turn.dialogue import request_for
from agent.turn.replay import replay
from agent.turn.state_update import StateUpdate
from agent.turn.understand import parse
from agent.turn.years import slate_years
from tools.catalog.catalog import Catalog
from tools.datasets.redial import iter_dialogues
from tools.errors import DataError
from tools.recsys.blend import BLEND_FILE, DEBIASED_DIR, load_ranker
from tools.recsys.cooccurrence import CoSuggestionStats
from tools.recsys.item_space import ItemSpace
from tools.recsys.ranker import RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.redial_samples import RedialSample, episodes, extract_samples
from tools.recsys.request import RecRequest
from tools.recsys.sources import CandidateSource, standard_sources
from tools.resolve.people import PeopleIndex
from tools.resolve.titles import TitleResolver

log = logging.getLogger(__name__)
RANKER_DIRNAME = "ranker-redial"


@dataclass
class DialogueReader:
    """The agent's reading of dialogue text: understanding per user message, titles per reply."""

    resolver: TitleResolver
    people: PeopleIndex | None
    catalog: Catalog

    def __post_init__(self) -> None:
        self.understand: Callable[[str], StateUpdate] = functools.lru_cache(maxsize=100_000)(
            lambda text: parse(text, self.resolver, people=self.people))

        self._titles_in = functools.lru_cache(maxsize=100_000)(self._assistant_titles)

    def titles_in(self, text: str) -> tuple[str, ...]:
        """Films the assistant named: exact catalog titles, capitalised or followed by a year.

        Why not the user-text rules: the assistant writes catalog titles as the catalog spells
        them, so exact matching is enough, typo tolerance would only add false mentions, and it
        keeps replaying a long dialogue cheap.
        """
        return self._titles_in(text)

    def _assistant_titles(self, text: str) -> tuple[str, ...]:
        spans = self.resolver.scan(text, _assistant_accept)
        return tuple(dict.fromkeys(s.resolution.item.item_id for s in spans
                                   if s.resolution.status == "resolved" and s.resolution.item is not None))

    def shown_years(self, ids: Sequence[str]) -> list[int]:
        return slate_years(self.catalog, ids)

    def request(self, history: Sequence[tuple[str, str]], *, exclude_mentioned: bool = True) -> RecRequest:
        """The ranker's request after ``history`` [(role, text)], as a live session would build it."""
        state, user_text = replay(history, self.understand, self.titles_in, self.shown_years)
        return request_for(state, user_text, exclude_mentioned=exclude_mentioned)

    def sample_request(self, s: RedialSample, exclude_mentioned: bool = True) -> RecRequest:
        return self.request(s.history, exclude_mentioned=exclude_mentioned)


def _assistant_accept(text: str, start: int, end: int, key: str, fuzzy: bool) -> bool:
    if fuzzy:
        return False
    if re.match(r"\s*\(\d{4}\)", text[end:end + 8]):
        return True
    toks = text[start:end].split()
    return len(key) > 2 and toks[0][:1].isupper() and (toks[-1][:1].isupper() or toks[-1][:1].isdigit())


def make_query_embedder(embedder: Any) -> Callable[[str], np.ndarray]:
    """Memoised MiniLM query embedding (benchmarks replay the same user messages many times)."""
    return functools.lru_cache(maxsize=50_000)(lambda text: np.asarray(embedder.embed_one(text), dtype=np.float32))


def sources_factory(space: ItemSpace, embed: Callable[[str], np.ndarray] | None
                    ) -> Callable[[CoSuggestionStats], list[CandidateSource]]:
    """The served source list for each (out-of-fold or full) statistics table."""
    return lambda stats: standard_sources(space, stats, embed)


def train(catalog: Catalog, catalog_dir: Path | None, redial_dir: Path, out_dir: Path, *,
          embed: Callable[[str], np.ndarray] | None, config: RankerConfig | None = None,
          depth: int = 300, serve_depth: int = 200, progress: bool = True, weighting: str = "none",
          clip: float | None = None, power: float = 1.0, blend: float | None = None) -> dict[str, Any]:
    """Fit statistics and the ranker on ``train_partial.jsonl``; save under ``out_dir``; return the info.

    ``weighting`` "ipw"/"snips" weights training rows by inverse exposure propensity
    (``tools.recsys.debias``; measured by ``evals/bench_debias.py``), ``clip`` its propensity floor,
    ``power`` its tempering exponent, ``blend`` the weighted model's share when it is mixed with the
    unweighted one (``tools.recsys.blend``).
    ``serve_depth``: candidates per source in a served request (training pools use ``depth``); on ReDial
    validation 200 ranked as well as 300 (R@10/R@50 equal to 0.001) at about 1.6x the turns per second.
    """
    train_path = Path(redial_dir) / "train_partial.jsonl"
    if not train_path.is_file():
        raise DataError(f"{train_path} is missing; pass the ReDial folder (shared/data/redial)")
    t0 = time.perf_counter()
    space = ItemSpace.load(catalog, catalog_dir)
    reader = DialogueReader(TitleResolver(catalog.items), PeopleIndex(catalog.items), catalog)
    dialogues = list(iter_dialogues(train_path))
    titles = {it.item_id: it.display_title for it in catalog.items}
    samples, _ = extract_samples(dialogues, titles, set(space.ids), filtered=True)
    from tools.recsys.training import talk_memory, train_ranker

    talk = talk_memory(samples, reader.sample_request, space, embed, progress=progress) if embed else None
    ranker, stats, info = train_ranker(samples, episodes(dialogues), space, sources_factory(space, embed),
                                       reader.sample_request, depth=depth, config=config, progress=progress,
                                       weighting=weighting, clip=clip, power=power, dialogues=dialogues,
                                       graph={}, talk=talk, blend=blend)
    out_dir = Path(out_dir)
    for stale in (out_dir / BLEND_FILE, out_dir / DEBIASED_DIR):  # an earlier blend must not outlive this model
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
    ranker.save(out_dir)
    stats.save(out_dir / "stats")
    meta = {"catalog_version": catalog.version, "train_file": str(train_path), "train_dialogues": len(dialogues),
            "train_samples": len(samples), "depth": depth, "serve_depth": min(serve_depth, depth),
            "content_vectors": space.vectors is not None,
            "query_embedder": embed is not None, "talk_requests": len(talk) if talk else 0,
            "seconds": round(time.perf_counter() - t0, 1),
            "best_iteration": ranker.info["best_iteration"], **info}
    (out_dir / "training.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    return meta


def load(catalog: Catalog, catalog_dir: Path | None, model_dir: Path, *,
         embed: Callable[[str], np.ndarray] | None) -> Recommender:
    """The served recommender; a missing or stale model says how to train it."""
    model_dir = Path(model_dir)
    meta_path = model_dir / "training.json"
    if not meta_path.is_file():
        raise DataError(f"no trained ranker in {model_dir}; run `whyrec train ranker`")
    meta = json.loads(meta_path.read_text())
    if meta.get("catalog_version") != catalog.version:
        raise DataError(f"the ranker in {model_dir} was trained for catalog {meta.get('catalog_version')}, "
                        f"not {catalog.version}; run `whyrec train ranker --force`")
    space = ItemSpace.load(catalog, catalog_dir)
    stats = CoSuggestionStats.load(model_dir / "stats")
    return Recommender(space, stats, sources_factory(space, embed)(stats), load_ranker(model_dir),
                       depth=int(meta.get("serve_depth", meta.get("depth", 300))))
