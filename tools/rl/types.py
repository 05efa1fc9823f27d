"""State, action, reward and feedback types of the recommend-or-ask policy.

Why typed: the simulator, the offline trainer, the online updater, the benchmark and
the agent all exchange the same few facts about a conversation; naming them once keeps
the reward convention (what a like is worth, what a turn costs) in one place.

Conventions
- *State*: ``DialogueState`` (what the conversation has revealed so far) plus, per
  candidate, a feature vector built by ``tools.rl.features.FeatureBuilder``.
- *Action*: ``Action.ask()`` (a clarifying question) or ``Action.recommend(ids)`` (a
  slate of k items picked from the candidate pool).
- *Reward*: ``RewardConfig`` maps the seeker's reaction to each shown item (accept,
  like, dislike, none) to a number, minus a small cost for every turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tools.errors import InputError

FeedbackKind = Literal["like", "dislike", "accept", "watched"]
FEEDBACK_KINDS: tuple[str, ...] = ("like", "dislike", "accept", "watched")


@dataclass(frozen=True)
class RewardConfig:
    """Reward per reaction. ``accept`` ends a conversation successfully.

    Training defaults (the simulator): accept +1 (the goal); a simulated *like* only means
    "similar to what the seeker wants" (+0.1), a dislike -0.1, and -0.05 per turn so the
    policy prefers short conversations and asks only when asking pays for itself. With a
    large like reward the learner chases look-alikes instead of the target (measured:
    like=+0.5 gave more reward but a lower success rate than greedy popularity).
    ``ONLINE_REWARD`` is the real-user scale: there a like is an explicit "yes" (+1).
    """

    accept: float = 1.0
    like: float = 0.1
    watched: float = 0.05
    dislike: float = -0.1
    neutral: float = 0.0
    turn_cost: float = 0.05

    def item_reward(self, kind: str | None) -> float:
        """Reward of one item reaction (``None`` = the seeker said nothing about it)."""
        if kind is None:
            return self.neutral
        try:
            return float(getattr(self, kind))
        except AttributeError:
            raise InputError(f"unknown feedback kind {kind!r}; use one of {FEEDBACK_KINDS}") from None


#: reward of real users' feedback in ``RLPolicyScorer.update_from_feedback``
ONLINE_REWARD = RewardConfig(accept=1.0, like=1.0, watched=0.5, dislike=-1.0, neutral=0.0, turn_cost=0.0)


@dataclass(frozen=True)
class Action:
    """``kind == "ask"``: a clarifying question; ``kind == "recommend"``: show ``item_ids``."""

    kind: Literal["ask", "recommend"]
    item_ids: tuple[str, ...] = ()

    @classmethod
    def ask(cls) -> Action:
        return cls("ask")

    @classmethod
    def recommend(cls, item_ids: tuple[str, ...] | list[str]) -> Action:
        ids = tuple(item_ids)
        if not ids:
            raise InputError("a recommend action needs at least one item id; use Action.ask() to ask instead")
        return cls("recommend", ids)


@dataclass
class DialogueState:
    """What the conversation has revealed so far (mutable; the environment updates it)."""

    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    #: tags/genres the seeker asked for (the constraint filters of the conversation)
    constraints: list[str] = field(default_factory=list)
    #: the seeker's opening and answers to clarifying questions (the retrieval query)
    utterances: list[str] = field(default_factory=list)
    turn_index: int = 0
    n_asks: int = 0

    @property
    def query(self) -> str:
        return " ".join(self.utterances)


@dataclass(frozen=True)
class FeedbackEvent:
    """One reaction of a real user to a shown item, as the agent read it from the store.

    ``features`` is the feature dict recorded with the recommendation (the
    ``"features"`` entry of ``RLPolicyScorer.evidence(...).details``), so the update
    learns from what the policy actually saw when it chose the item.
    """

    item_id: str
    kind: FeedbackKind
    features: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in FEEDBACK_KINDS:
            raise InputError(f"feedback kind {self.kind!r} is not one of {FEEDBACK_KINDS}")


@dataclass(frozen=True)
class UpdateReport:
    """What one online update did (returned to the agent, logged in the audit trail)."""

    applied: bool
    n_events: int
    n_used: int
    n_steps: int
    loss_before: float
    loss_after: float
    weight_change: float
    reason: str = ""
    skipped: tuple[str, ...] = ()
