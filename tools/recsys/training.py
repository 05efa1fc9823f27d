"""Train the ranker on ReDial training turns, with out-of-fold collaborative statistics.

Why out-of-fold: the co-suggestion counts of a dialogue contain its own answer (the film
the recommender suggested next). Features for a training request are therefore computed
from counts over the *other* folds' dialogues, exactly as a validation or live request
sees counts that never included its own conversation. The model is then fitted once on
all folds' rows; the served statistics use every training dialogue.

Why optional weights (``weighting``): what a ReDial recommender suggested depends on
popularity and on the dialogue, not only on what fits, so the 0/1 labels are
exposure-biased. ``tools.recsys.debias`` estimates each training row's exposure
propensity with ``causal/`` and turns it into inverse-propensity weights; the default
stays unweighted unless ``evals/bench_debias.py`` measures a weighted variant better.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tools.recsys.blend import BlendedRanker
from tools.recsys.cooccurrence import CoSuggestionStats, Episode
from tools.recsys.features import FEATURES, build_features
from tools.recsys.item_space import ItemSpace
from tools.recsys.ranker import LearnedRanker, RankerConfig, lgb_params
from tools.recsys.recommender import Recommender
from tools.recsys.redial_samples import RedialSample
from tools.recsys.request import RecRequest
from tools.recsys.sources import CandidateSource
from tools.recsys.talk import TalkMemory
from tools.recsys.weighting import WEIGHTINGS

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
    #: the sample behind each group, and the item-space row of each table row (the exposure model's inputs)
    samples: list[RedialSample] = field(default_factory=list)
    items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def fold_of(dialogue_id: str, folds: int, seed: int) -> int:
    return random.Random(f"{seed}:{dialogue_id}").randrange(folds)


def rank_table(samples: Sequence[RedialSample], build_request: RequestBuilder, recommender: Recommender,
               *, progress: str = "") -> RankTable:
    """Features and 0/1 labels of every pool member, one group per sample (groups without a target dropped)."""
    from tqdm import tqdm

    xs, ys, groups, dids, kept, items = [], [], [], [], [], []
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
        kept.append(s)
        items.append(pool.rows)
    if not xs:
        return RankTable(np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int32), [], [], covered, total)
    return RankTable(np.vstack(xs), np.concatenate(ys), groups, dids, covered, total, kept, np.concatenate(items))


def talk_memory(samples: Sequence[RedialSample], build_request: RequestBuilder, space: ItemSpace,
                embed: Callable[[str], np.ndarray], *, progress: bool = False) -> TalkMemory:
    """The "talk" source's memory of the training requests: each one's words (the ``query_text`` a live
    turn's request would carry) and the films the recommender suggested next."""
    from tqdm import tqdm

    texts, targets, dids = [], [], []
    for s in tqdm(samples, desc="talk memory", unit="req", file=sys.stderr, disable=not progress):
        texts.append(build_request(s).query_text)
        targets.append([space.index[t] for t in s.targets if t in space.index])
        dids.append(s.conversation_id)
    return TalkMemory.build(texts, targets, dids, embed, len(space))


def out_of_fold_table(samples: Sequence[RedialSample], episodes: Sequence[Episode], space: ItemSpace,
                      sources_for: SourcesFactory, build_request: RequestBuilder, *, folds: int = 5,
                      depth: int = 200, seed: int = 7, progress: bool = True,
                      graph: dict | None = None, talk: TalkMemory | None = None) -> RankTable:
    """Every training request's pool, featurised with statistics from the other folds' dialogues.

    ``graph`` (a LightGCN config; None = no graph source) fits the item embeddings per fold too;
    ``talk`` (the training requests' memory, ``talk_memory``) is cut to the other folds' requests.
    """
    if folds < 2:
        raise ValueError("folds must be at least 2 (out-of-fold statistics)")
    tables: list[RankTable] = []
    for f in range(folds):
        stats = CoSuggestionStats.fit([e for e in episodes if fold_of(e.dialogue_id, folds, seed) != f], space,
                                      graph=graph)
        if talk is not None:
            stats.talk = talk.subset(np.array([fold_of(d, folds, seed) != f for d in talk.dialogue_ids], dtype=bool))
        rec = Recommender(space, stats, sources_for(stats), None, depth=depth)
        part = [s for s in samples if fold_of(s.conversation_id, folds, seed) == f]
        tables.append(rank_table(part, build_request, rec, progress=f"fold {f + 1}/{folds}" if progress else ""))
    full = [t for t in tables if len(t.groups)]
    if not full:
        raise ValueError("no training request has a target in its candidate pool; check the data and the sources")
    return RankTable(np.vstack([t.x for t in full]), np.concatenate([t.y for t in full]),
                     [g for t in full for g in t.groups], [d for t in full for d in t.dialogue_ids],
                     sum(t.covered for t in tables), sum(t.total for t in tables),
                     [s for t in full for s in t.samples], np.concatenate([t.items for t in full]))


#: how the number of boosting rounds is chosen: "cv" (``cv_rounds``, then one fit on every row) or
#: "holdout" (early stopping on ``holdout`` of the dialogues, which are then not fitted)
STOPPING = ("cv", "holdout")
#: cv_rounds takes the fewest rounds whose mean held-out NDCG@50 is within this of the best: the
#: curve is flat from ~60 to ~150 rounds on ReDial, and every live turn pays for each tree
CV_TOLERANCE = 0.001
#: cv_rounds stops once the mean held-out NDCG@50 has not improved for this many rounds. Measured on
#: the ReDial training table (5 folds, 250 rounds): the mean curve peaks at 73 rounds with per-fold bins
#: and at 59 with the full table's (lgb.cv); 40 rounds without a new best stop at 113 resp. 99 and
#: choose the same rounds as the whole 250-round curve (71 resp. 54)
CV_PATIENCE = 40


def cv_rounds(table: RankTable, *, folds: int = 5, max_rounds: int | None = None, seed: int = 7,
              config: RankerConfig | None = None, sample_weight: np.ndarray | None = None,
              progress: bool = False) -> tuple[int, np.ndarray]:
    """(rounds, mean NDCG@50 per round evaluated) over ``folds`` folds of whole dialogues.

    Why not one hold-out: early stopping on 15% of the ReDial dialogues picked 102, 120, 78 and
    189 rounds for the same data in four trainings, and each choice reshuffled the slates. The
    mean of five held-out curves (each fold fitted on the other four) is much steadier; the
    final model is then fitted on every row. Measured on the validation split (filtered, same
    pools): 67 rounds refitted on all rows R@10/R@50 .200/.409 vs .197/.410 for hold-out stopping.

    Why ``lgb.cv``: it boosts the folds in lock-step, so all of them stop together once the mean
    held-out NDCG@50 has not improved for ``CV_PATIENCE`` rounds (or at ``max_rounds``), instead of
    each fold running the whole curve; the curve returned runs to that stop. The feature bins come
    from the full table (lgb.cv bins it once; each fold is a subset of it), as the final fit's do.
    Measured on the ReDial training table, one thread: 99 rounds in 454 s instead of 250 per fold in
    1049 s; 54 rounds chosen (mean NDCG@50 .2349, best .2358 at 59) instead of 71 (.2357, best .2365
    at 73) with each fold's own bins. Both mean curves stay within ~.004 of their best from 50 to 150 rounds.
    ``sample_weight`` weights only each fold's fitted rows, as in ``fit_ranker``: lgb.cv would
    carry weights on the full table into the held-out subsets too, and LightGBM's NDCG then
    weights the requests, so they are set on the fitted subsets alone and the stopping NDCG
    stays the plain one.
    """
    import lightgbm as lgb
    from tqdm import tqdm

    if folds < 2:
        raise ValueError(f"folds={folds}: cross-validation needs at least 2 folds")
    config = config or RankerConfig()
    max_rounds = max_rounds or min(config.n_estimators, 250)  # the ReDial curve peaks well before 250
    fold = np.array([fold_of(d, folds, seed) for d in table.dialogue_ids])
    row_fold = np.repeat(fold, np.asarray(table.groups, dtype=np.int64))
    splits = [(np.flatnonzero(row_fold != k), np.flatnonzero(row_fold == k)) for k in range(folds)]
    splits = [(fit, held) for fit, held in splits if len(fit) and len(held)]
    if not splits:
        raise ValueError("too few dialogues to cross-validate: every fold is empty on one side")

    def weigh_fitted(fitted: Any, held: Any, params: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        if sample_weight is not None:  # subsets keep their parent's rows sorted in used_indices
            fitted.construct().set_weight(np.asarray(sample_weight)[fitted.used_indices])
        return fitted, held, params

    curve: list[float] = []
    with tqdm(total=max_rounds, desc="rounds by cross-validation", unit="round", file=sys.stderr,
              disable=not progress) as bar:
        def record(env: Any) -> None:  # runs before the early-stopping callback, so the last round is kept
            curve.append(float(env.evaluation_result_list[0][2]))
            bar.update()

        # free_raw_data stays True: with False every fold's two subsets would copy their raw rows
        data = lgb.Dataset(LearnedRanker._drop(table.x, config.drop), label=table.y, group=list(table.groups),
                           feature_name=list(FEATURES))
        lgb.cv(lgb_params(config), data, num_boost_round=max_rounds, folds=splits, fpreproc=weigh_fitted,
               callbacks=[record, lgb.early_stopping(CV_PATIENCE, verbose=False)], return_cvbooster=False)
    mean = np.asarray(curve, dtype=np.float64)
    return int(np.argmax(mean >= mean.max() - CV_TOLERANCE)) + 1, mean


def fit_ranker(table: RankTable, *, holdout: float = 0.15, seed: int = 7, config: RankerConfig | None = None,
               sample_weight: np.ndarray | None = None, stopping: str = "holdout",
               progress: bool = False) -> LearnedRanker:
    """Fit on the table; ``stopping`` says how the rounds are chosen (``STOPPING``).

    "holdout": ``holdout`` of the dialogues (unweighted) stop the boosting early; "cv": ``cv_rounds``,
    then one fit on every row.

    ``sample_weight`` (one per row) weights only the fitted part: the early-stopping
    NDCG stays the plain, unweighted one, so every weighting is stopped by the same rule.
    (Weighting the held-out requests too was measured: the same stopping iteration and recall.)
    """
    if sample_weight is not None and len(sample_weight) != len(table.y):
        raise ValueError(f"sample_weight has {len(sample_weight)} values for {len(table.y)} training rows")
    if stopping not in STOPPING:
        raise ValueError(f"unknown stopping {stopping!r}; use one of {', '.join(STOPPING)}")
    config = config or RankerConfig()
    if stopping == "cv":
        rounds, curve = cv_rounds(table, seed=seed, config=config, sample_weight=sample_weight, progress=progress)
        ranker = LearnedRanker.fit((table.x, table.y, table.groups), None, replace(config, n_estimators=rounds),
                                   sample_weight=sample_weight)
        ranker.info.update(stopping="cv", cv_ndcg50=round(float(curve[rounds - 1]), 4),
                           cv_best_ndcg50=round(float(curve.max()), 4))
        return ranker
    is_valid = np.array([random.Random(f"holdout:{seed}:{d}").random() < holdout for d in table.dialogue_ids])
    row_valid = np.repeat(is_valid, table.groups)
    g = np.array(table.groups)
    x, y = table.x, table.y
    ranker = LearnedRanker.fit((x[~row_valid], y[~row_valid], g[~is_valid].tolist()),
                               (x[row_valid], y[row_valid], g[is_valid].tolist()), config,
                               sample_weight=None if sample_weight is None else sample_weight[~row_valid])
    ranker.info["stopping"] = "holdout"
    return ranker


def fit_blend(table: RankTable, plain: LearnedRanker, sample_weight: np.ndarray, share: float) -> BlendedRanker:
    """``plain`` mixed with a model fitted on the same table under ``sample_weight`` (``tools.recsys.blend``).

    The weighted model gets ``plain``'s rounds: early stopping on the plain NDCG would stop it where the
    head is best, which is what its weights are there to trade away."""
    rounds = int(plain.info.get("best_iteration") or plain.config.n_estimators)
    partner = LearnedRanker.fit((table.x, table.y, table.groups), None, replace(plain.config, n_estimators=rounds),
                                sample_weight=sample_weight)
    return BlendedRanker(plain, partner, share)


def train_ranker(samples: Sequence[RedialSample], episodes: Sequence[Episode], space: ItemSpace,
                 sources_for: SourcesFactory, build_request: RequestBuilder, *, folds: int = 5,
                 holdout: float = 0.15, depth: int = 200, seed: int = 7, config: RankerConfig | None = None,
                 progress: bool = True, weighting: str = "none", clip: float | None = None,
                 power: float = 1.0, dialogues: Sequence | None = None, graph: dict | None = None,
                 stopping: str = "cv", talk: TalkMemory | None = None, blend: float | None = None
                 ) -> tuple[LearnedRanker | BlendedRanker, CoSuggestionStats, dict[str, Any]]:
    """(ranker, statistics over all episodes, info); ``stopping`` chooses the boosting rounds (``fit_ranker``).

    ``weighting`` "ipw"/"snips" weights rows by their inverse exposure propensity
    (``tools.recsys.debias``; needs the training ``dialogues``), ``clip`` its propensity floor,
    ``power`` its tempering exponent; with ``blend`` (a share in (0, 1)) the weighted model is mixed
    with the unweighted one (``fit_blend``) instead of served alone.
    ``graph`` (a LightGCN config, {} = defaults) adds LightGCN item embeddings to every fold's statistics;
    ``talk`` (``talk_memory`` of the same samples) adds the talk source's memory, out of fold likewise.
    """
    if stopping not in STOPPING:
        raise ValueError(f"unknown stopping {stopping!r}; use one of {', '.join(STOPPING)}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}; use one of {', '.join(WEIGHTINGS)}")
    if weighting != "none" and not dialogues:
        raise ValueError(f"weighting={weighting!r} needs the training dialogues (who mentioned what first, and "
                         "the seekers' answers); pass dialogues=")
    if blend is not None and weighting == "none":
        raise ValueError("a blend mixes the unweighted ranker with a weighted one; pass weighting='ipw' or 'snips' too")
    if blend is not None and not 0.0 < blend < 1.0:
        raise ValueError(f"blend is the weighted model's share of the score, between 0 and 1; got {blend}")
    table = out_of_fold_table(samples, episodes, space, sources_for, build_request, folds=folds, depth=depth,
                              seed=seed, progress=progress, graph=graph, talk=talk)
    weights = None
    info: dict[str, Any] = {"weighting": weighting}
    if weighting != "none":
        from tools.recsys.debias import exposure_weights

        debiased = exposure_weights(table, dialogues or (), space.ids, method=weighting, clip=clip, power=power,
                                    seed=seed)
        weights = debiased.weights
        info.update(debiased.info())
    ranker: LearnedRanker | BlendedRanker
    if blend is None:
        ranker = fit_ranker(table, holdout=holdout, seed=seed, config=config, sample_weight=weights,
                            stopping=stopping, progress=progress)
    else:
        plain = fit_ranker(table, holdout=holdout, seed=seed, config=config, stopping=stopping, progress=progress)
        ranker = fit_blend(table, plain, weights, blend)
        info["blend_share"] = blend
    info = {"pool_recall_train": table.covered / max(1, table.total), "train_requests": float(len(table.groups)),
            "stopping": stopping,
            "folds": float(folds), "depth": float(depth), **info}
    ranker.info.update(info)
    stats = CoSuggestionStats.fit(episodes, space, graph=graph)
    stats.talk = talk
    ranker.info.update(stats.graph_info)
    return ranker, stats, info
