"""A simulated movie seeker, built from real ReDial dialogues (or any interaction log).

Why a simulator: the recommend-or-ask policy is trained by trial and error, and real
users cannot be asked thousands of times. The seeker is grounded in real data: its
hidden *targets* are the movies a real ReDial seeker liked among those the human
recommender suggested; its opening mentions the movies that seeker brought up
themselves as liked (the *seeds*) plus a descriptive tag of the targets.

Behaviour (deterministic given the episode and the seed):
- shown a target -> ``accept`` (success; the conversation ends);
- shown another item -> ``like`` if its genre/tag Jaccard similarity to the closest
  target is >= ``like_threshold``, ``dislike`` if < ``dislike_threshold``, else silence
  (items with no genres/tags get silence: the seeker does not know them);
- asked a clarifying question -> reveals the next most descriptive tag of the targets;
- gives up after ``max_turns`` turns (patience).
``noise`` > 0 drops that share of like/dislike answers (seeded), for robustness tests.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tools.catalog.catalog import Interaction
from tools.datasets.redial import Dialogue
from tools.errors import InputError
from tools.rl.features import ItemSpace, jaccard
from tools.rl.types import Action


@dataclass(frozen=True)
class SeekerEpisode:
    """One simulated seeker: what it says first, what it secretly wants."""

    episode_id: str
    seed_ids: tuple[str, ...]
    target_ids: tuple[str, ...]
    opening_tags: tuple[str, ...] = ()
    #: tags revealed one per clarifying question, in order
    hint_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimulatorConfig:
    max_turns: int = 5
    n_opening_tags: int = 1
    n_hint_tags: int = 4
    max_seeds: int = 3
    like_threshold: float = 0.3
    dislike_threshold: float = 0.1
    noise: float = 0.0


@dataclass(frozen=True)
class SeekerReply:
    reactions: dict[str, str | None]
    accepted: str | None
    revealed: tuple[str, ...]
    text: str
    done: bool


def _stable_int(*parts: object) -> int:
    return int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


class SimulatedSeeker:
    """Answers one conversation; create a new one per episode."""

    def __init__(
        self,
        episode: SeekerEpisode,
        space: ItemSpace,
        titles: Mapping[str, str] | None = None,
        config: SimulatorConfig | None = None,
        seed: int = 0,
    ) -> None:
        if not episode.target_ids:
            raise InputError(f"episode {episode.episode_id} has no target items; build episodes with episodes_from_*")
        self.episode = episode
        self.space = space
        self.titles = titles or {}
        self.config = config or SimulatorConfig()
        self._rng = np.random.default_rng(_stable_int(seed, episode.episode_id))
        self._targets = set(episode.target_ids)
        self._target_tokens = [space.tokens.get(t, frozenset()) for t in episode.target_ids]
        self._hints = list(episode.hint_tags)
        self.turns = 0
        self.done = False

    def _title(self, item_id: str) -> str:
        return self.titles.get(item_id, item_id)

    def opening(self) -> str:
        parts = []
        if self.episode.seed_ids:
            parts.append("I liked " + ", ".join(self._title(s) for s in self.episode.seed_ids) + ".")
        if self.episode.opening_tags:
            parts.append("I'm in the mood for something " + " and ".join(self.episode.opening_tags) + ".")
        return " ".join(parts) or "Can you recommend a movie?"

    def similarity(self, item_id: str) -> float:
        t = self.space.tokens.get(item_id, frozenset())
        return max((jaccard(t, o) for o in self._target_tokens), default=0.0)

    def reaction(self, item_id: str) -> str | None:
        if item_id in self._targets:
            return "accept"
        if not self.space.tokens.get(item_id):
            return None
        s = self.similarity(item_id)
        kind = "like" if s >= self.config.like_threshold else "dislike" if s < self.config.dislike_threshold else None
        if kind and self.config.noise > 0 and self._rng.random() < self.config.noise:
            return None
        return kind

    def respond(self, action: Action) -> SeekerReply:
        if self.done:
            raise InputError("this simulated conversation has ended; start a new SimulatedSeeker")
        self.turns += 1
        reactions: dict[str, str | None] = {}
        revealed: tuple[str, ...] = ()
        accepted = None
        if action.kind == "ask":
            if self._hints:
                revealed = (self._hints.pop(0),)
                text = f"Something {revealed[0]}, please."
            else:
                text = "I don't know, surprise me."
        else:
            reactions = {i: self.reaction(i) for i in action.item_ids}
            accepted = next((i for i in action.item_ids if reactions[i] == "accept"), None)
            liked = [self._title(i) for i, r in reactions.items() if r == "like"]
            disliked = [self._title(i) for i, r in reactions.items() if r == "dislike"]
            bits = []
            if accepted:
                bits.append(f"Yes! I'll watch {self._title(accepted)}.")
            if liked:
                bits.append("I like " + ", ".join(liked) + ".")
            if disliked:
                bits.append("Not a fan of " + ", ".join(disliked) + ".")
            text = " ".join(bits) or "Hmm, none of those."
        self.done = accepted is not None or self.turns >= self.config.max_turns
        return SeekerReply(reactions, accepted, revealed, text, self.done)


def _with_tags(ep_id: str, seeds: Sequence[str], targets: Sequence[str], space: ItemSpace,
               config: SimulatorConfig) -> SeekerEpisode:
    tags = space.descriptive_tags(targets, config.n_opening_tags + config.n_hint_tags)
    return SeekerEpisode(
        episode_id=ep_id,
        seed_ids=tuple(seeds[: config.max_seeds]),
        target_ids=tuple(targets),
        opening_tags=tuple(tags[: config.n_opening_tags]),
        hint_tags=tuple(tags[config.n_opening_tags:]),
    )


def episodes_from_redial(
    dialogues: Iterable[Dialogue], space: ItemSpace, config: SimulatorConfig | None = None,
    limit: int | None = None, seed: int = 0,
) -> list[SeekerEpisode]:
    """Targets = suggested-and-liked movies; seeds = movies the seeker raised and liked."""
    config = config or SimulatorConfig()
    out: list[SeekerEpisode] = []
    for d in dialogues:
        targets, seeds = [], []
        for mid in d.movie_mentions:
            lab = d.seeker_label(mid)
            if lab is None or not lab.liked or mid not in space.tokens:
                continue
            (targets if lab.suggested else seeds).append(mid)
        if targets:
            out.append(_with_tags(f"redial-{d.conversation_id}", seeds, targets, space, config))
    return _subsample(out, limit, seed)


def episodes_from_interactions(
    interactions: Sequence[Interaction], space: ItemSpace, config: SimulatorConfig | None = None,
    limit: int | None = None, seed: int = 0, users: Iterable[str] | None = None,
) -> list[SeekerEpisode]:
    """Per user with >= 2 liked items: the latest (or a seeded pick) is the target, the rest seeds."""
    config = config or SimulatorConfig()
    keep = set(users) if users is not None else None
    pos: dict[str, list[Interaction]] = defaultdict(list)
    for it in interactions:
        if it.is_positive and it.item_id in space.tokens and (keep is None or it.user_id in keep):
            pos[it.user_id].append(it)
    out: list[SeekerEpisode] = []
    for user in sorted(pos):
        items = list(dict.fromkeys(i.item_id for i in sorted(pos[user], key=lambda i: (i.timestamp or 0.0))))
        if len(items) < 2:
            continue
        if all(i.timestamp is None for i in pos[user]):
            t = _stable_int(seed, user) % len(items)
            target = items[t]
        else:
            target = items[-1]
        seeds = [i for i in reversed(items) if i != target]
        out.append(_with_tags(f"user-{user}", seeds, [target], space, config))
    return _subsample(out, limit, seed)


def split_users(users: Iterable[str], valid_share: float = 0.2, seed: int = 0) -> tuple[list[str], list[str]]:
    """Deterministic hash split of user ids into (train, held-out)."""
    train, held = [], []
    for u in sorted(set(users)):
        (held if (_stable_int(seed, "split", u) % 1000) / 1000 < valid_share else train).append(u)
    return train, held


def _subsample(eps: list[SeekerEpisode], limit: int | None, seed: int) -> list[SeekerEpisode]:
    if limit is None or limit >= len(eps):
        return eps
    idx = np.random.default_rng(seed).choice(len(eps), size=limit, replace=False)
    return [eps[i] for i in sorted(idx)]
