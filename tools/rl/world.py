"""Everything a training or benchmark run needs, assembled from a catalog (and ReDial if present).

Why one builder: the CLI (``whyrec train rl``) and ``evals/bench_rl.py`` must train and
measure in the *same* world — same item space, same candidate channels, same seekers —
or their numbers would not be comparable. Plain arguments only (catalog, paths, scorers):
the entry points decide where things come from.

Episodes: with ReDial dialogues (``redial_dir`` holding ``train_partial.jsonl`` and
``valid_data.jsonl``) seekers are built from real dialogues, train from the training file
and evaluation from the held-out validation file. Without them (the shipped demo catalog
alone), seekers come from the catalog's interactions: users are hash-split into train and
held-out, each seeker's target is one of its liked items, the rest are its seeds.

Channels: popularity (a popularity ``Scorer`` when given, else the catalog's popularity),
LightGCN when a trained scorer is given, and retrieval as in-memory TF-IDF text
similarity (``TextSimilarityChannel``: the documented stand-in for Chroma in training).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools.catalog.catalog import Catalog
from tools.datasets.redial import load_dialogues
from tools.rl.candidates import PoolBuilder, ScoreChannel, ScorerChannel, StaticChannel, TextSimilarityChannel
from tools.rl.env import ConversationEnv
from tools.rl.features import FeatureBuilder, ItemSpace
from tools.rl.simulator import (
    SeekerEpisode,
    SimulatedSeeker,
    SimulatorConfig,
    episodes_from_interactions,
    episodes_from_redial,
    split_users,
)
from tools.rl.types import RewardConfig
from tools.scoring import Scorer


@dataclass
class RLWorld:
    catalog: Catalog
    space: ItemSpace
    titles: dict[str, str]
    source: PoolBuilder
    train_episodes: list[SeekerEpisode]
    eval_episodes: list[SeekerEpisode]
    episode_source: str  # "redial" | "interactions"
    sim: SimulatorConfig
    seed: int

    def env(self, k: int = 5, pool_size: int = 30, reward: RewardConfig | None = None) -> ConversationEnv:
        return ConversationEnv(FeatureBuilder(self.space), self.source, k=k, pool_size=pool_size, reward=reward,
                               max_turns=self.sim.max_turns)

    def make_seeker(self, episode: SeekerEpisode) -> SimulatedSeeker:
        return SimulatedSeeker(episode, self.space, self.titles, self.sim, seed=self.seed)

    @property
    def channels(self) -> tuple[str, ...]:
        return self.source.channel_names


def has_redial(redial_dir: Path | None) -> bool:
    return redial_dir is not None and (Path(redial_dir) / "train_partial.jsonl").is_file() and (
        Path(redial_dir) / "valid_data.jsonl").is_file()


def build_world(
    catalog: Catalog, *, redial_dir: Path | None = None, gcn: Scorer | None = None,
    popularity: Scorer | None = None, sim: SimulatorConfig | None = None, per_channel: int = 30,
    n_train: int | None = None, n_eval: int | None = None, seed: int = 0,
) -> RLWorld:
    sim = sim or SimulatorConfig()
    space = ItemSpace.from_catalog(catalog)
    titles = {it.item_id: it.display_title for it in catalog.items}
    if has_redial(redial_dir):
        d = Path(redial_dir)  # type: ignore[arg-type]
        train = episodes_from_redial(load_dialogues(d / "train_partial.jsonl"), space, sim, n_train, seed)
        held = episodes_from_redial(load_dialogues(d / "valid_data.jsonl"), space, sim, n_eval, seed + 1)
        origin = "redial"
    else:
        liked = [i for i in catalog.interactions if i.label in ("liked", "accepted") or (
            i.label not in ("seen", "suggested", "disliked") and i.weight >= 4)]
        tr_users, ho_users = split_users({i.user_id for i in liked}, 0.2, seed)
        train = episodes_from_interactions(liked, space, sim, n_train, seed, users=tr_users)
        held = episodes_from_interactions(liked, space, sim, n_eval, seed + 1, users=ho_users)
        origin = "interactions"
    ids = [it.item_id for it in catalog.items]
    channels: list[ScoreChannel] = [
        ScorerChannel("popularity", popularity, ids) if popularity is not None
        else StaticChannel("popularity", space.popularity),
        TextSimilarityChannel(catalog),
    ]
    if gcn is not None:
        channels.append(ScorerChannel("gcn", gcn, ids))
    return RLWorld(catalog, space, titles, PoolBuilder(channels, per_channel), train, held, origin, sim, seed)
