"""Exposure propensities of ReDial training rows, and the inverse-propensity weights built on them.

Why: the ranker learns from what ReDial's human recommenders suggested. A candidate's
chance of being suggested depends on more than its fit to the conversation: popular
films come to mind first, some films are the kind seekers bring up themselves (so a
recommender rarely introduces them), and how far the dialogue has gone changes how
many suggestions are still to come. A ranker fitted to those labels learns the
popularity habit as if it were relevance, and long-tail films are under-ranked.

How: every row of the ranker's training table (one candidate of one training request)
becomes a row of an *exposure table*: ``exposed`` (the recommender suggested it: the
training label), ``liked`` (the seeker said they liked it), film attributes (how often
it was mentioned and suggested in the other folds' dialogues, how often seekers rather
than recommenders introduced it, its year) and dialogue state (position, films
mentioned so far, who named the first film, how many candidates competed). A causal
graph is discovered over a sample of those rows with PC and background knowledge
(film attributes -> dialogue state -> exposure -> liked; ``causal.discover``), thirty
times on thirty samples; the back-door adjustment set of exposed -> liked is read off
each graph (``causal.adjustment.identify``) and the variables at least 70% of those sets
hold are adjusted for (``stable_adjustment``); the propensity P(exposed | adjustment set) is a
logistic regression on every row (``causal.propensity``); the clipped inverse
(``"ipw"``) or self-normalised inverse (``"snips"``) propensity of a request's suggested
film weighs every row of that request (pairwise inverse-propensity scoring).

With one positive per request, self-normalisation only rescales the weights, so
``"snips"`` is the unclipped estimator with its scale fixed by the data; ``"ipw"``
trades some bias for variance with a propensity floor ``clip``, and ``power`` < 1 tempers
the weights to ``(1/p) ** power`` (power 0 is unweighted, 1 the full correction): a
second, smoother knob on the same trade, since a floor only caps the rarest films' weights
while a power shrinks every weight's spread. Which one (if any)
the served ranker uses is decided by ``evals/bench_debias.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causal import Background, CausalGraph, discover
from causal.adjustment import identify
from causal.bootstrap import resample_indices
from causal.propensity import Propensity, effective_sample_size, fit_propensity
from tools.recsys.features import FEATURES
from tools.recsys.redial_samples import merged_utterances

TREATMENT = "exposed"
OUTCOME = "liked"
FILM = ("popularity", "suggested", "seeker_first", "year")
DIALOGUE = ("position", "n_mentioned", "seeker_led", "pool_size")
COLUMNS = (*FILM, *DIALOGUE, TREATMENT, OUTCOME)
#: what can cause what: a film's attributes exist before the dialogue, the dialogue's state
#: before the suggestion, the suggestion before the seeker's verdict on it
BACKGROUND = Background(tiers=(FILM, DIALOGUE, (TREATMENT,), (OUTCOME,)))
#: rows the discovery sees (PC's Fisher-z finds every tiny dependence at millions of rows;
#: a sample keeps the graph to the dependences that matter); the propensity uses every row
DISCOVERY_ROWS = 200_000
#: discovery resamples the adjustment set is chosen over, and the share of them a variable's set must hold
ADJUSTMENT_RESAMPLES = 30
STABLE_SHARE = 0.7


@dataclass(frozen=True)
class DialogueFacts:
    """What the exposure table needs from the raw training dialogues."""

    #: film -> (dialogues where the seeker named it first, dialogues where it was named at all)
    first_mentions: dict[str, tuple[int, int]]
    #: dialogue -> the seeker named the dialogue's first film
    seeker_led: dict[str, bool]
    #: (dialogue, film) pairs the seeker said they liked (ReDial's questionnaire)
    liked: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, dialogues: Iterable[Any]) -> DialogueFacts:
        first: dict[str, list[int]] = {}
        led: dict[str, bool] = {}
        liked: set[tuple[str, str]] = set()
        for d in dialogues:
            seen: set[str] = set()
            for is_seeker, _raw, ments in merged_utterances(d):
                for m in ments:
                    if m in seen:
                        continue
                    if not seen:
                        led[d.conversation_id] = bool(is_seeker)
                    seen.add(m)
                    c = first.setdefault(m, [0, 0])
                    c[0] += int(is_seeker)
                    c[1] += 1
            for m in seen:
                lab = d.seeker_label(m)
                if lab is not None and lab.liked is True:
                    liked.add((d.conversation_id, m))
        return cls({m: (a, b) for m, (a, b) in first.items()}, led, frozenset(liked))

    def seeker_first_share(self, film: str) -> float:
        """Share of the film's dialogues in which the seeker named it first (Laplace-smoothed: 0.5 unseen)."""
        a, b = self.first_mentions.get(film, (0, 0))
        return (a + 1) / (b + 2)


def exposure_table(table: Any, facts: DialogueFacts, item_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """One exposure row per training row of ``table`` (a ``training.RankTable``), columns ``COLUMNS``.

    Film popularity is read from the row's own out-of-fold features, so it is the
    popularity the ranker saw; a missing year takes the median (the graph needs numbers).
    """
    groups = np.asarray(table.groups)
    if len(table.samples) != len(groups) or len(table.items) != len(table.y):
        raise ValueError("the rank table carries no samples/items; build it with training.out_of_fold_table")
    col = {name: j for j, name in enumerate(FEATURES)}
    year = table.x[:, col["year"]].astype(np.float64)
    year = np.where(np.isnan(year), np.nanmedian(year) if np.isfinite(year).any() else 0.0, year)
    films = [item_ids[i] for i in table.items]
    share = {f: facts.seeker_first_share(f) for f in set(films)}
    per_group = {
        "position": [s.utterance_index for s in table.samples],
        "n_mentioned": [len(s.mentioned_before) for s in table.samples],
        "seeker_led": [float(facts.seeker_led.get(s.conversation_id, False)) for s in table.samples],
        "pool_size": np.log(groups),
    }
    dialogue = np.repeat(np.array([s.conversation_id for s in table.samples]), groups)
    exposed = table.y.astype(np.float64)
    liked = np.array([e == 1 and (d, f) in facts.liked for e, d, f in zip(exposed, dialogue, films, strict=True)])
    return {
        "popularity": table.x[:, col["mentioned_prior"]].astype(np.float64),
        "suggested": table.x[:, col["suggested_prior"]].astype(np.float64),
        "seeker_first": np.array([share[f] for f in films]),
        "year": year,
        **{k: np.repeat(np.asarray(v, dtype=np.float64), groups) for k, v in per_group.items()},
        TREATMENT: exposed,
        OUTCOME: liked.astype(np.float64),
    }


@dataclass(frozen=True)
class Debiasing:
    """Training weights and the causal reasoning behind them."""

    method: str
    clip: float | None
    weights: np.ndarray
    propensity: Propensity
    #: the adjustment set over the discovery resamples, and the graph and words behind it
    choice: AdjustmentChoice
    power: float = 1.0

    @property
    def graph(self) -> CausalGraph:
        return self.choice.graph

    @property
    def adjustment(self) -> tuple[str, ...]:
        return self.choice.variables

    @property
    def identification(self) -> str:
        return self.choice.status

    @property
    def explanation(self) -> str:
        return self.choice.explanation

    def info(self) -> dict[str, Any]:
        """Flat facts for ``training.json`` and the benchmark report."""
        pos = self.weights[self.propensity.treated == 1]
        return {"weighting": self.method, "weighting_clip": self.clip, "weighting_power": self.power,
                "adjustment_set": list(self.adjustment),
                "adjustment_frequency": dict(self.choice.frequency),
                "identification": self.identification, "propensity_auc": round(self.propensity.auc, 4),
                "weight_max": round(float(self.weights.max()), 3),
                "weight_positive_mean": round(float(pos.mean()), 3) if len(pos) else None,
                "ess_positive_share": round(effective_sample_size(pos) / max(1, len(pos)), 4),
                "graph_edges": [str(e) for e in self.graph.edges]}


def exposure_graph(frame: dict[str, np.ndarray], *, alpha: float = 0.01, seed: int = 7,
                   rows: int = DISCOVERY_ROWS, bootstrap: bool = False) -> CausalGraph:
    """PC with the tiers of ``BACKGROUND`` over (a seeded uniform sample of) the exposure table.

    ``bootstrap``: a table no larger than ``rows`` is drawn with replacement instead of used whole
    (a larger one is always subsampled, which already differs per seed)."""
    n = len(frame[TREATMENT])
    pick: np.ndarray | slice = slice(None)
    if n > rows:
        pick = np.sort(np.random.default_rng(seed).choice(n, size=rows, replace=False))
    elif bootstrap:
        pick = np.sort(next(resample_indices(n, 1, seed)))
    sample = {k: np.asarray(frame[k])[pick] for k in COLUMNS}
    # a column that never varies (no seeker answered, every pool the same size) says nothing: leave it out
    keep = [k for k in COLUMNS if np.ptp(sample[k]) > 0]
    if TREATMENT not in keep:
        raise ValueError("no training row was suggested (or every row was): there is no exposure to model")
    return discover({k: sample[k] for k in keep}, "pc", alpha=alpha, background=BACKGROUND.restricted_to(keep),
                    seed=seed)


def adjustment_set(graph: CausalGraph) -> tuple[tuple[str, ...], str, str]:
    """(adjustment set of exposed -> liked, identification status, explanation).

    A partially oriented graph leaves several valid parent sets (IDA); we take the
    largest, as ``causal.effects`` does for its headline. If the graph cannot identify
    the effect (a latent confounder is possible), every earlier-tier neighbour of
    ``exposed`` is used: the safe superset the tiers allow, said so in the explanation.
    """
    ident = identify(graph, TREATMENT, OUTCOME)
    if ident.sets and ident.status != "not_identifiable":
        return tuple(max(ident.sets, key=len)), ident.status, ident.explanation
    earlier = tuple(sorted(v for v in graph.neighbors(TREATMENT) if v in FILM + DIALOGUE))
    return earlier, ident.status, f"{ident.explanation} Used every earlier-tier neighbour instead: {earlier}."


@dataclass(frozen=True)
class AdjustmentChoice:
    """The adjustment set of exposed -> liked chosen over many discovery resamples, and how often each
    variable was in a resample's set."""

    variables: tuple[str, ...]
    #: variable -> share of the resamples whose adjustment set holds it (every variable any set held)
    frequency: dict[str, float]
    resamples: int
    #: share of the resamples whose graph identified the effect
    identified_share: float
    #: a resample's graph whose own adjustment set is the chosen one (the first resample's if none is)
    graph: CausalGraph
    explanation: str

    @property
    def status(self) -> str:
        return "identified" if self.identified_share >= STABLE_SHARE else "not_identifiable"


def stable_adjustment(frame: dict[str, np.ndarray], *, resamples: int = ADJUSTMENT_RESAMPLES, seed: int = 7,
                      share: float = STABLE_SHARE) -> AdjustmentChoice:
    """The variables in the adjustment set of at least ``share`` of ``resamples`` discoveries (stability
    selection, Meinshausen & Bühlmann 2010), each discovery on its own seeded sample of the table.

    Why not one graph: exposure is rare (about one row in a thousand is a suggestion), so a
    200,000-row discovery sample holds ~200 exposures, and whether a weak parent of exposure
    passes the independence test is close to a coin toss. Measured on the ReDial training table:
    12 samples gave 6 different adjustment sets ({popularity} 4 times, {popularity, seeker_first}
    twice, {seeker_first} twice …), and the weights, the ranker and its long-tail recall followed
    whichever set one sample gave. Popularity was in 9 of the 12 sets; the rest were in at most 5.
    Why 0.7 of 30 (stability selection's usual thresholds run 0.6-0.9): over three seeds of 30
    samples each, popularity was in 77-87% of the sets and pool_size in 43-67%, so a 0.5 threshold
    still flipped pool_size in and out with the seed; 0.7 keeps the variables that are no coin toss.
    Every candidate variable sits in a tier before exposure, so the chosen union cannot hold a
    descendant of the treatment.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    seeds = np.random.SeedSequence(seed).generate_state(resamples)
    found: list[tuple[tuple[str, ...], str, CausalGraph]] = []
    for s in seeds:
        graph = exposure_graph(frame, seed=int(s), bootstrap=True)
        adjustment, status, _ = adjustment_set(graph)
        found.append((adjustment, status, graph))
    counts = Counter(v for adjustment, _, _ in found for v in adjustment)
    frequency = {v: round(c / resamples, 4) for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
    chosen = tuple(sorted(v for v, f in frequency.items() if f >= share))
    graph = next((g for adjustment, _, g in found if tuple(sorted(adjustment)) == chosen), found[0][2])
    identified = sum(status != "not_identifiable" for _, status, _ in found) / resamples
    listed = ", ".join(f"{v} {f:.0%}" for v, f in frequency.items()) or "no variable"
    why = (f"Over {resamples} discovery samples, the adjustment set of {TREATMENT} -> {OUTCOME} held: {listed}; "
           f"kept those in at least {share:.0%}: {{{', '.join(chosen)}}}.")
    return AdjustmentChoice(chosen, frequency, resamples, identified, graph, why)


def exposure_weights(table: Any, dialogues: Iterable[Any], item_ids: Sequence[str], *, method: str = "ipw",
                     clip: float | None = None, power: float = 1.0,
                     seed: int = 7, choice: AdjustmentChoice | None = None,
                     propensity: Propensity | None = None, resamples: int = ADJUSTMENT_RESAMPLES) -> Debiasing:
    """Per-row training weights for ``table`` (mean 1 over all rows; one weight per request, see ``per_request``).

    The propensity's covariates are ``stable_adjustment``'s choice over ``resamples`` discoveries.
    ``choice``/``propensity`` from an earlier call skip rediscovery and refitting (the
    benchmark compares several weightings of one propensity model). The final rescale
    to mean 1 does not move the weighted optimum; it keeps LightGBM's absolute
    hessian thresholds (``min_sum_hessian_in_leaf``) meaning what they mean unweighted.
    """
    if not 0.0 < power <= 1.0:
        raise ValueError(f"power must be in (0, 1] (1 = the full inverse-propensity weight), not {power}")
    if propensity is None:
        frame = exposure_table(table, DialogueFacts.of(dialogues), item_ids)
        choice = choice or stable_adjustment(frame, resamples=resamples, seed=seed)
        propensity = fit_propensity(frame, TREATMENT, choice.variables)
    elif choice is None:
        raise ValueError("pass the adjustment choice the propensity was fitted on (choice=) with propensity=")
    w = per_request(propensity.weights(method, clip) ** power, propensity.treated, table.groups)
    return Debiasing(method, clip, w / w.mean(), propensity, choice, power)


def per_request(row_weights: np.ndarray, positive: np.ndarray, groups: Sequence[int]) -> np.ndarray:
    """Every row of a request gets the mean inverse-propensity weight of the request's positives.

    Why: LambdaRank's loss is a sum over (positive, negative) pairs of one request, and
    the inverse-propensity-corrected pairwise loss (Joachims, Swaminathan & Schnabel
    2017) weights each pair by the inverse propensity of its positive. LightGBM scales
    each row's accumulated pair gradient by the row's weight, so a request-wide weight
    is exactly that estimator for a request with one positive (the mean over its
    positives otherwise). The untreated rows' own ``1/(1-p)`` (about 1 at these rates)
    would only shrink the negatives' side of each pair, which that estimator does not do.
    """
    groups = np.asarray(groups)
    owner = np.repeat(np.arange(len(groups)), groups)
    pos = np.asarray(positive) == 1
    counts = np.bincount(owner, weights=pos.astype(np.float64), minlength=len(groups))
    if np.any(counts == 0):
        raise ValueError("a request has no positive row; the ranker's table keeps only requests with a target")
    sums = np.bincount(owner, weights=np.where(pos, row_weights, 0.0), minlength=len(groups))
    return (sums / counts)[owner]
