"""Train the ranker on ReDial training turns, with out-of-fold collaborative statistics.

Why out-of-fold: the co-suggestion counts of a dialogue contain its own answer (the film
the recommender suggested next). Features for a training request are therefore computed
from counts over the *other* folds' dialogues, exactly as a validation or live request
sees counts that never included its own conversation. The model is then fitted once on
all folds' rows; the served statistics use every training dialogue.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tools.recsys.cooccurrence import CoSuggestionStats, Episode
from tools.recsys.features import build_features
from tools.recsys.item_space import ItemSpace
from tools.recsys.ranker import LearnedRanker, RankerConfig
from tools.recsys.recommender import Recommender
from tools.recsys.redial_samples import RedialSample
from tools.recsys.request import RecRequest
from tools.recsys.sources import CandidateSource

#: sources_for(stats) -> the candidate sources built on those statistics
SourcesFactory = Callable[[CoSuggestionStats], Sequence[CandidateSource]]
#: build_request(sample) -> the request a live turn would build from the same dialogue text
RequestBuilder = Callable[[RedialSample], RecRequest]


@dataclass
class RankTable:
    x: np.ndarray
    y: np.ndarray
    groups: list[int]
    dialogue_ids: list[str]
    #: (requests with ≥1 target in the pool, all requests with targets) — the pool's recall
    covered: int = 0
    total: int = 0


def fold_of(dialogue_id: str, folds: int, seed: int) -> int:
    return random.Random(f"{seed}:{dialogue_id}").randrange(folds)


def rank_table(samples: Sequence[RedialSample], build_request: RequestBuilder, recommender: Recommender,
               *, progress: str = "") -> RankTable:
    """Features and 0/1 labels of every pool member, one group per sample (groups without a target dropped)."""
    from tqdm import tqdm

    xs, ys, groups, dids = [], [], [], []
    covered = total = 0
    for s in tqdm(samples, desc=progress or "features", unit="req", file=sys.stderr, disable=not progress):
        req = build_request(s)
        pool = recommender.pool(req)
        targets = {recommender.space.index[t] for t in s.targets if t in recommender.space.index}
        if not targets:
            continue
        total += 1
        label = np.isin(pool.rows, list(targets)).astype(np.int32)
        if not label.any():
            continue
        covered += 1
        xs.append(build_features(req, pool.request_rows, pool.rows, recommender.space, recommender.stats,
                                 pool.source_scores))
        ys.append(label)
        groups.append(len(label))
        dids.append(s.conversation_id)
    if not xs:
        return RankTable(np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int32), [], [], covered, total)
    return RankTable(np.vstack(xs), np.concatenate(ys), groups, dids, covered, total)


def train_ranker(samples: Sequence[RedialSample], episodes: Sequence[Episode], space: ItemSpace,
                 sources_for: SourcesFactory, build_request: RequestBuilder, *, folds: int = 5,
                 holdout: float = 0.15, depth: int = 200, seed: int = 7, config: RankerConfig | None = None,
                 progress: bool = True) -> tuple[LearnedRanker, CoSuggestionStats, dict[str, float]]:
    """(ranker, statistics over all episodes, info). ``holdout`` of the dialogues stops the boosting early."""
    if folds < 2:
        raise ValueError("folds must be at least 2 (out-of-fold statistics)")
    tables: list[RankTable] = []
    for f in range(folds):
        stats = CoSuggestionStats.fit([e for e in episodes if fold_of(e.dialogue_id, folds, seed) != f], space)
        rec = Recommender(space, stats, sources_for(stats), None, depth=depth)
        part = [s for s in samples if fold_of(s.conversation_id, folds, seed) == f]
        tables.append(rank_table(part, build_request, rec, progress=f"fold {f + 1}/{folds}" if progress else ""))
    x = np.vstack([t.x for t in tables if len(t.groups)])
    y = np.concatenate([t.y for t in tables if len(t.groups)])
    groups = [g for t in tables for g in t.groups]
    dids = [d for t in tables for d in t.dialogue_ids]
    is_valid = np.array([random.Random(f"holdout:{seed}:{d}").random() < holdout for d in dids])
    row_valid = np.repeat(is_valid, groups)
    g = np.array(groups)
    ranker = LearnedRanker.fit((x[~row_valid], y[~row_valid], g[~is_valid].tolist()),
                               (x[row_valid], y[row_valid], g[is_valid].tolist()), config or RankerConfig())
    covered = sum(t.covered for t in tables)
    total = sum(t.total for t in tables)
    info = {"pool_recall_train": covered / max(1, total), "train_requests": float(len(groups)),
            "folds": float(folds), "depth": float(depth)}
    ranker.info.update(info)
    return ranker, CoSuggestionStats.fit(episodes, space), info
