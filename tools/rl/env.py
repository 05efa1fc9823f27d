"""The conversation as an RL environment, plus the non-learning baseline policies.

Why here and not in the simulator: the simulator is the *user*; this is the
*recommender's* side of the loop — it keeps the ``DialogueState``, asks the candidate
source for a pool each turn, builds features with the same ``FeatureBuilder`` the live
scorer uses (so training and serving see identical features), and turns the seeker's
reactions into rewards with ``RewardConfig``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from tools.rl.candidates import CandidateSource, pool_to_features
from tools.rl.features import ITEM_FEATURES, FeatureBuilder
from tools.rl.simulator import SeekerEpisode, SimulatedSeeker
from tools.rl.types import Action, DialogueState, RewardConfig
from tools.scoring import ScoringContext


@dataclass
class Observation:
    state: DialogueState
    context: ScoringContext
    pool_ids: list[str]
    item_x: np.ndarray
    dialogue_x: np.ndarray


@dataclass(frozen=True)
class StepInfo:
    item_rewards: dict[str, float] = field(default_factory=dict)
    reactions: dict[str, str | None] = field(default_factory=dict)
    accepted: str | None = None


class ConversationEnv:
    """One conversation at a time: ``reset(seeker)`` then ``step(action)`` until done."""

    def __init__(
        self, builder: FeatureBuilder, source: CandidateSource, *, k: int = 5, pool_size: int = 30,
        reward: RewardConfig | None = None, max_turns: int = 5,
    ) -> None:
        self.builder, self.source, self.k, self.pool_size = builder, source, k, pool_size
        self.reward = reward or RewardConfig()
        self.max_turns = max_turns
        self.seeker: SimulatedSeeker | None = None
        self.state = DialogueState()

    def _observe(self) -> Observation:
        s = self.state
        base = ScoringContext(liked_ids=tuple(s.liked), disliked_ids=tuple(s.disliked), seen_ids=tuple(s.shown),
                              query=s.query, turn_index=s.turn_index)
        pool = self.source(base, self.pool_size)
        ids = list(pool)
        ctx = ScoringContext(liked_ids=base.liked_ids, disliked_ids=base.disliked_ids, seen_ids=base.seen_ids,
                             query=base.query, turn_index=base.turn_index, features=pool_to_features(pool))
        x = self.builder.item_matrix(ctx, ids)
        d = self.builder.dialogue_vector(ctx, x, max_turns=self.max_turns, n_asks=s.n_asks)
        return Observation(s, ctx, ids, x, d)

    def reset(self, seeker: SimulatedSeeker) -> Observation:
        self.seeker = seeker
        ep = seeker.episode
        self.state = DialogueState(liked=list(ep.seed_ids), utterances=[seeker.opening()],
                                   constraints=list(ep.opening_tags))
        return self._observe()

    def step(self, action: Action) -> tuple[Observation, float, bool, StepInfo]:
        if self.seeker is None:
            raise RuntimeError("call reset(seeker) before step(action)")
        reply = self.seeker.respond(action)
        s = self.state
        s.turn_index += 1
        if action.kind == "ask":
            s.n_asks += 1
            s.constraints.extend(reply.revealed)
            # only answers to questions join the query: reactions name the shown titles ("not a fan
            # of X"), which would pull X's look-alikes into text retrieval; they go to liked/disliked
            s.utterances.append(reply.text)
        rewards: dict[str, float] = {}
        for item, kind in reply.reactions.items():
            rewards[item] = self.reward.item_reward(kind)
            s.shown.append(item)
            if kind in ("like", "accept"):
                s.liked.append(item)
            elif kind == "dislike":
                s.disliked.append(item)
        total = sum(rewards.values()) - self.reward.turn_cost
        return self._observe(), total, reply.done, StepInfo(rewards, dict(reply.reactions), reply.accepted)


class Policy(Protocol):
    name: str

    def act(self, obs: Observation, k: int, rng: np.random.Generator) -> Action: ...


class ChannelGreedyPolicy:
    """Always recommends the top-k of one upstream channel (never asks): the greedy baselines."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.name = f"{channel}-greedy"

    def act(self, obs: Observation, k: int, rng: np.random.Generator) -> Action:
        raw = (obs.context.features or {}).get(self.channel)
        if raw:
            s = np.asarray([raw.get(i, -np.inf) for i in obs.pool_ids], dtype=np.float64)
        else:
            s = obs.item_x[:, ITEM_FEATURES.index(self.channel)].astype(np.float64)
        order = np.argsort(-s, kind="stable")[:k]
        return Action.recommend([obs.pool_ids[i] for i in order])


class RandomPolicy:
    """Uniformly random slate from the pool (the floor every learner must beat)."""

    name = "random"

    def act(self, obs: Observation, k: int, rng: np.random.Generator) -> Action:
        idx = rng.choice(len(obs.pool_ids), size=min(k, len(obs.pool_ids)), replace=False)
        return Action.recommend([obs.pool_ids[i] for i in sorted(idx)])


@dataclass(frozen=True)
class EpisodeResult:
    episode_id: str
    success: bool
    turns: int
    reward: float
    n_asks: int


def run_episode(env: ConversationEnv, policy: Policy, seeker: SimulatedSeeker,
                rng: np.random.Generator) -> EpisodeResult:
    obs = env.reset(seeker)
    total, done, success, asks, turns = 0.0, False, False, 0, 0
    while not done:
        if not obs.pool_ids:
            action = Action.ask()
        else:
            action = policy.act(obs, env.k, rng)
        asks += action.kind == "ask"
        obs, r, done, info = env.step(action)
        total += r
        turns += 1
        success = success or info.accepted is not None
    return EpisodeResult(seeker.episode.episode_id, success, turns, total, asks)


def evaluate(
    env: ConversationEnv, policy: Policy, episodes: Sequence[SeekerEpisode],
    make_seeker: Callable[[SeekerEpisode], SimulatedSeeker], seed: int = 0,
) -> dict[str, float]:
    """Success rate, mean turns to success, mean reward, ask rate over ``episodes``."""
    rng = np.random.default_rng(seed)
    res = [run_episode(env, policy, make_seeker(ep), rng) for ep in episodes]
    ok = [r for r in res if r.success]
    return {
        "episodes": len(res),
        "success": float(np.mean([r.success for r in res])) if res else 0.0,
        "turns_to_success": float(np.mean([r.turns for r in ok])) if ok else float("nan"),
        "reward": float(np.mean([r.reward for r in res])) if res else 0.0,
        "ask_rate": float(np.sum([r.n_asks for r in res]) / max(1, np.sum([r.turns for r in res]))),
    }
