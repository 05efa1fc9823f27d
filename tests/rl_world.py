"""A tiny synthetic catalog for the RL tests, where the best policy is known.

Six genres of ten movies each. A seeker likes one movie of a genre (its seed) and wants
the *least popular* other movie of that genre (its target). Popular movies belong to
other genres, so "most popular first" is a bad strategy, and "same genre as the seed"
finds the target within two turns of five: the optimum succeeds in every episode.
"""

from __future__ import annotations

from tools.catalog.catalog import Catalog, Item
from tools.rl.candidates import PoolBuilder, StaticChannel
from tools.rl.env import ConversationEnv
from tools.rl.features import FeatureBuilder, ItemSpace
from tools.rl.simulator import SeekerEpisode, SimulatedSeeker, SimulatorConfig

GENRES = ("action", "comedy", "drama", "horror", "romance", "western")


def tiny_catalog() -> Catalog:
    items = []
    for g, genre in enumerate(GENRES):
        for j in range(10):
            pop = float(100 - 10 * j + ((g * 7) % 5))  # j=0 most popular in its genre
            items.append(Item(f"{genre[:2]}{j}", f"{genre.title()} {j}", 2000 + j, (genre,), (f"tag{j % 3}",), pop))
    return Catalog(tuple(items), name="tiny")


def tiny_episodes(n_seeds_per_genre: int = 4) -> list[SeekerEpisode]:
    eps = []
    for genre in GENRES:
        for s in range(n_seeds_per_genre):
            eps.append(SeekerEpisode(f"{genre}-{s}", (f"{genre[:2]}{s}",), (f"{genre[:2]}9",), (), (genre,)))
    return eps


SIM = SimulatorConfig(max_turns=5, like_threshold=0.3, dislike_threshold=0.1)


def tiny_env(space: ItemSpace, k: int = 5) -> ConversationEnv:
    source = PoolBuilder([StaticChannel("popularity", space.popularity)], per_channel=60)
    return ConversationEnv(FeatureBuilder(space), source, k=k, pool_size=60, max_turns=SIM.max_turns)


def seeker_factory(space: ItemSpace, seed: int = 0):
    return lambda ep: SimulatedSeeker(ep, space, config=SIM, seed=seed)
