"""The ReDial recommendation protocol: samples from dialogues, and scoring a ranking function.

Protocol (as KBRD/KGSF/UniCRS report it): consecutive messages by one speaker are merged
into one utterance; for every recommender utterance that mentions catalog movies, the system
gets the dialogue so far (``@id`` rendered as titles) and ranks the whole catalog; each
mentioned movie is one target, scored by Recall@1/10/50, MRR and NDCG@10/50.
"Filtered" (He et al. 2023, "Large Language Models as Zero-Shot Conversational Recommenders")
drops targets that were already mentioned earlier in the dialogue — repeats are trivially
guessable — and lets systems exclude every already-mentioned movie from their rankings.
Utterances with no earlier context are skipped (there is nothing to condition on).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.metrics import ranking_summary
from tools.recsys.redial_samples import RedialSample, extract_samples  # noqa: F401 - re-exported for evals

#: rank_fn(sample, k, exclude_mentioned) -> best-first catalog ids
RankFn = Callable[[RedialSample, int, bool], Sequence[str]]


@dataclass
class PipelineResult:
    name: str
    metrics: dict[str, float]
    ranks: list[int | None] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    top10: list[list[str]] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def to_dict(self, keep_lists: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "metrics": self.metrics, "errors": self.errors,
                             "first_error": self.first_error}
        if keep_lists:
            d.update(ranks=self.ranks, latencies_ms=self.latencies_ms)
        return d


def evaluate(name: str, samples: Sequence[RedialSample], rank_fn: RankFn, *, k: int = 50, filtered: bool = False,
             progress: bool = True, progress_cb: Callable[[float, str], None] | None = None) -> PipelineResult:
    """Rank once per sample, score every target; a sample whose ranking raises counts as a miss."""
    from tqdm import tqdm

    rankings: list[Sequence[str]] = []
    targets: list[str] = []
    lengths: list[int] = []
    res = PipelineResult(name, {})
    bar = tqdm(samples, desc=f"redial:{name}", unit="turn", file=sys.stderr, disable=not progress)
    for n, s in enumerate(bar, 1):
        t0 = time.perf_counter()
        try:
            ranking = list(rank_fn(s, k, filtered))[:k]
        except Exception as exc:  # noqa: BLE001 - one bad sample must not end the benchmark
            res.errors += 1
            res.first_error = res.first_error or f"{type(exc).__name__}: {exc}"
            ranking = []
        res.latencies_ms.append((time.perf_counter() - t0) * 1000)
        res.top10.append(ranking[:10])
        lengths.append(len(ranking))
        for t in s.targets:
            rankings.append(ranking)
            targets.append(t)
            res.ranks.append(ranking.index(t) + 1 if t in ranking else None)
        if progress_cb is not None and (n % 20 == 0 or n == len(samples)):
            progress_cb(n / max(1, len(samples)), f"{name}: {n}/{len(samples)}")
    bar.close()
    res.metrics = ranking_summary(rankings, targets)
    res.metrics["samples"] = float(len(samples))
    # a pipeline that returns fewer than k items caps its own Recall@k: say so
    res.metrics["mean_list_len"] = sum(lengths) / max(1, len(lengths))
    return res
