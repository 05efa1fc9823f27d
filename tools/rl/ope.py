"""Off-policy value of a learned policy on ReDial's logged recommendations (IPS / SNIPS).

Why: the simulator is our own model of a seeker; logged human dialogues are not. Inverse
propensity scoring re-weights what the human recommender did (suggest movie a, seeker
liked it or not) by how much more or less often our policy would have chosen a.

The log: every movie the human recommender suggested (``suggested`` label) in a
dialogue, with the seeker's answer as the reward (liked = 1, not liked = 0; unanswered
suggestions are dropped). The context is what the seeker had said before that message:
the movies they mentioned and liked, everything mentioned so far, and their words.

Assumptions (stated, not verified):
1. The human's propensity is context-free: mu(a | x) is proportional to how often movie a
   was suggested in the *training* dialogues (add-``alpha`` smoothing), renormalised over
   the candidate pool of context x (the pool our candidate source builds, plus a).
   Humans condition on context, so this is a crude model; IPS is only unbiased if mu is
   right. We report SNIPS (self-normalised, less variance, small bias) beside IPS.
2. One decision = one pick: pi(a | x) is the policy's softmax probability of a as the
   first item of its slate, over the same pool.
3. Weights pi/mu are clipped at ``clip`` (default 10) to bound variance; the share of
   clipped weights and the effective sample size are reported so the reader can judge.
4. Confidence intervals: percentile bootstrap over dialogues (decisions in one dialogue
   are not independent), ``n_boot`` resamples, seeded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from causal.bootstrap import bootstrap_values, percentile_interval, resample_indices
from tools.datasets.redial import Dialogue
from tools.scoring import ScoringContext


@dataclass(frozen=True)
class LoggedDecision:
    group: str  # dialogue id: the bootstrap resamples whole groups
    context: ScoringContext
    action_id: str
    reward: float


@dataclass(frozen=True)
class OPEResult:
    n: int
    logging_value: float
    ips: float
    snips: float
    ips_ci: tuple[float, float]
    snips_ci: tuple[float, float]
    logging_ci: tuple[float, float]
    ess: float
    clip: float
    clipped_share: float
    mean_weight: float


def redial_logged_decisions(dialogues: Iterable[Dialogue], item_ids: Iterable[str]) -> list[LoggedDecision]:
    """One decision per (dialogue, suggested movie with a liked answer), in message order."""
    known = set(item_ids)
    out: list[LoggedDecision] = []
    for d in dialogues:
        mentioned: list[str] = []
        liked: list[str] = []
        words: list[str] = []
        done: set[str] = set()
        for turn in d.turns:
            if not turn.is_seeker:
                for m in turn.mentions:
                    lab = d.seeker_label(m)
                    if (m in known and m not in done and m not in mentioned and lab is not None and lab.suggested
                            and lab.liked is not None):
                        ctx = ScoringContext(liked_ids=tuple(liked), seen_ids=tuple(mentioned), query=" ".join(words),
                                             turn_index=len(words))
                        out.append(LoggedDecision(d.conversation_id, ctx, m, 1.0 if lab.liked else 0.0))
                        done.add(m)
            else:
                words.append(turn.text)
                for m in turn.mentions:
                    lab = d.seeker_label(m)
                    if lab is not None and lab.liked and not lab.suggested and m in known:
                        liked.append(m)
            mentioned.extend(m for m in turn.mentions if m not in mentioned)
    return out


def suggestion_propensities(dialogues: Iterable[Dialogue], item_ids: Iterable[str], alpha: float = 1.0) -> dict[str, float]:
    """Unnormalised human suggestion weights: count of suggestions + ``alpha`` per item."""
    counts: Counter[str] = Counter()
    for d in dialogues:
        for m in d.movie_mentions:
            lab = d.seeker_label(m)
            if lab is not None and lab.suggested:
                counts[m] += 1
    return {i: counts.get(i, 0) + alpha for i in item_ids}


def _bootstrap(groups: np.ndarray, fn: Callable[[np.ndarray], float], n_boot: int, seed: int) -> tuple[float, float]:
    """95% percentile interval over resampled dialogues (``causal.bootstrap``: whole groups drawn)."""
    return percentile_interval(bootstrap_values(fn, resample_indices(len(groups), n_boot, seed, groups)), 0.95)


def ope_estimate(
    target_probs: Sequence[float], logging_probs: Sequence[float], rewards: Sequence[float], groups: Sequence[str],
    *, clip: float = 10.0, n_boot: int = 500, seed: int = 0,
) -> OPEResult:
    """IPS and SNIPS of the target policy, plus the logging policy's own value, with bootstrap CIs."""
    p = np.asarray(target_probs, dtype=np.float64)
    mu = np.asarray(logging_probs, dtype=np.float64)
    r = np.asarray(rewards, dtype=np.float64)
    g = np.asarray(groups)
    if not (len(p) == len(mu) == len(r) == len(g)) or len(p) == 0:
        raise ValueError("ope_estimate needs equally long, non-empty target_probs, logging_probs, rewards, groups")
    if np.any(mu <= 0):
        raise ValueError("logging propensities must be > 0 (smooth them, e.g. alpha=1 in suggestion_propensities)")
    raw = p / mu
    w = np.minimum(raw, clip)

    def ips(idx: np.ndarray) -> float:
        return float(np.mean(w[idx] * r[idx]))

    def snips(idx: np.ndarray) -> float:
        s = w[idx].sum()
        return float((w[idx] * r[idx]).sum() / s) if s > 0 else 0.0

    def logging(idx: np.ndarray) -> float:
        return float(r[idx].mean())

    allidx = np.arange(len(p))
    return OPEResult(
        n=len(p), logging_value=logging(allidx), ips=ips(allidx), snips=snips(allidx),
        ips_ci=_bootstrap(g, ips, n_boot, seed), snips_ci=_bootstrap(g, snips, n_boot, seed + 1),
        logging_ci=_bootstrap(g, logging, n_boot, seed + 2),
        ess=float(w.sum() ** 2 / max((w ** 2).sum(), 1e-12)), clip=clip,
        clipped_share=float(np.mean(raw > clip)), mean_weight=float(w.mean()),
    )


def ope_for_scorer(
    score_fn: Callable[[ScoringContext, list[str]], np.ndarray],
    decisions: Sequence[LoggedDecision],
    pool_fn: Callable[[ScoringContext], dict[str, dict[str, float]]],
    propensity: dict[str, float],
    *, temperature: float = 0.1, clip: float = 10.0, n_boot: int = 500, seed: int = 0,
) -> OPEResult:
    """Evaluate any scorer's softmax policy on the log.

    ``pool_fn(context)`` returns the candidate pool ({item: {channel: score}}); the logged
    action is added to it (with zero channel scores when the source did not produce it),
    ``score_fn(context_with_features, pool_ids)`` gives the policy's Q values.
    """
    from tools.rl.candidates import pool_to_features
    from tools.rl.qnet import policy_probs

    tp, lp, rw, gr = [], [], [], []
    for dec in decisions:
        pool = pool_fn(dec.context)
        pool.setdefault(dec.action_id, {})
        ids = list(pool)
        ctx = ScoringContext(liked_ids=dec.context.liked_ids, seen_ids=dec.context.seen_ids, query=dec.context.query,
                             turn_index=dec.context.turn_index, features=pool_to_features(pool))
        q = np.asarray(score_fn(ctx, ids), dtype=np.float64)
        a = ids.index(dec.action_id)
        tp.append(float(policy_probs(q, temperature)[a]))
        mu = np.asarray([propensity.get(i, 1e-9) for i in ids])
        lp.append(float(mu[a] / mu.sum()))
        rw.append(dec.reward)
        gr.append(dec.group)
    return ope_estimate(tp, lp, rw, gr, clip=clip, n_boot=n_boot, seed=seed)
