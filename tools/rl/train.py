"""Offline Q-learning against the simulator: replay, smoothed target network, tau schedule.

Why these pieces: experience replay decorrelates the consecutive turns of one
conversation; the Polyak-averaged target network keeps the bootstrap target
r + gamma * V(s') from chasing the network it trains; the Boltzmann temperature goes
from high (explore slates and questions broadly) to low (exploit) geometrically.

Credit assignment for a slate: every shown item gets its own reaction's reward (minus
its share of the turn cost) and the same next-state value
V(s') = max(Q_ask(s'), mean of the top-k Q(s', i)), from the target network.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from tools.rl.env import ConversationEnv
from tools.rl.qnet import QNet, decide, soft_update
from tools.rl.simulator import SeekerEpisode, SimulatedSeeker
from tools.rl.types import Action

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    episodes: int = 300
    gamma: float = 0.9
    lr: float = 0.02
    weight_decay: float = 1e-4
    batch_size: int = 64
    replay_size: int = 20_000
    warmup: int = 64
    updates_per_step: int = 2
    target_rho: float = 0.05
    tau_start: float = 1.0
    tau_end: float = 0.02
    grad_clip: float = 1.0
    hidden: int = 0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def temperature_at(cfg: TrainConfig, episode: int) -> float:
    """Geometric schedule from ``tau_start`` (episode 0) to ``tau_end`` (last episode)."""
    if cfg.episodes <= 1:
        return cfg.tau_end
    frac = min(max(episode / (cfg.episodes - 1), 0.0), 1.0)
    return float(cfg.tau_start * (cfg.tau_end / cfg.tau_start) ** frac)


class Replay:
    """Ring buffer of (kind, x, reward, done, next-state id); next states stored once per step."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.rows: list[tuple[int, np.ndarray, float, bool, int]] = []
        self.next_states: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._pos = 0
        self._next_id = 0

    def add_next_state(self, item_x: np.ndarray, dlg_x: np.ndarray) -> int:
        sid = self._next_id
        self._next_id += 1
        self.next_states[sid] = (item_x, dlg_x)
        return sid

    def add(self, is_ask: bool, x: np.ndarray, reward: float, done: bool, next_id: int) -> None:
        row = (int(is_ask), x, float(reward), bool(done), next_id)
        if len(self.rows) < self.size:
            self.rows.append(row)
        else:
            self.rows[self._pos] = row
            self._pos = (self._pos + 1) % self.size
        if len(self.next_states) > 2 * self.size:  # drop next states no row references any more
            live = {r[4] for r in self.rows}
            self.next_states = {k: v for k, v in self.next_states.items() if k in live}

    def sample(self, n: int) -> list[tuple[int, np.ndarray, float, bool, int]]:
        idx = self.rng.integers(0, len(self.rows), size=n)
        return [self.rows[i] for i in idx]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class TrainReport:
    episodes: int
    seconds: float
    success_curve: list[float]
    reward_curve: list[float]
    final_temperature: float
    final_loss: float


class QLearner:
    """Owns the online and target networks and the optimizer; one ``update`` = one minibatch step."""

    def __init__(self, net: QNet, cfg: TrainConfig, k: int) -> None:
        self.net, self.cfg, self.k = net, cfg, k
        self.target = copy.deepcopy(net)  # same shape as the online net, whatever its input width
        self.target.requires_grad_(False)
        self.opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.replay = Replay(cfg.replay_size, cfg.seed)
        self.last_loss = float("nan")

    @torch.no_grad()
    def _next_values(self, ids: Sequence[int]) -> dict[int, float]:
        out = {}
        for sid in set(ids):
            ix, dx = self.replay.next_states[sid]
            qa = float(self.target.q_ask(torch.from_numpy(dx)))
            if ix.shape[0]:
                qi = self.target.q_items(torch.from_numpy(ix)).numpy()
                out[sid] = max(qa, float(np.sort(qi)[::-1][: self.k].mean()))
            else:
                out[sid] = qa
        return out

    def update(self) -> float:
        if len(self.replay) < max(self.cfg.warmup, 1):
            return float("nan")
        batch = self.replay.sample(self.cfg.batch_size)
        v = self._next_values([b[4] for b in batch])
        y = torch.tensor([b[2] + (0.0 if b[3] else self.cfg.gamma * v[b[4]]) for b in batch], dtype=torch.float32)
        is_ask = np.array([b[0] for b in batch], dtype=bool)
        pred = torch.zeros(len(batch))
        if (~is_ask).any():
            xi = torch.from_numpy(np.stack([b[1] for b, a in zip(batch, is_ask, strict=True) if not a]))
            pred[torch.from_numpy(~is_ask)] = self.net.q_items(xi)
        if is_ask.any():
            xd = torch.from_numpy(np.stack([b[1] for b, a in zip(batch, is_ask, strict=True) if a]))
            pred[torch.from_numpy(is_ask)] = self.net.q_ask(xd)
        loss = nn.functional.smooth_l1_loss(pred, y)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), self.cfg.grad_clip)
        self.opt.step()
        soft_update(self.target, self.net, self.cfg.target_rho)
        self.last_loss = float(loss.detach())
        return self.last_loss


def train_q(
    net: QNet, env: ConversationEnv, episodes: Sequence[SeekerEpisode],
    make_seeker: Callable[[SeekerEpisode], SimulatedSeeker], cfg: TrainConfig, *,
    allow_ask: bool = True, progress: bool = False,
) -> TrainReport:
    """Train ``net`` in place for ``cfg.episodes`` simulated conversations (cycling ``episodes``)."""
    if not episodes:
        raise ValueError("no training episodes: the catalog/dialogues gave no seeker with a liked target item")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    learner = QLearner(net, cfg, env.k)
    order = rng.permutation(len(episodes))
    succ, rew = [], []
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.episodes, desc="train rl", unit="ep", leave=False)
    for e in range(cfg.episodes):
        tau = temperature_at(cfg, e)
        ep = episodes[int(order[e % len(order)])]
        obs = env.reset(make_seeker(ep))
        done, total, ok = False, 0.0, False
        while not done:
            with torch.no_grad():
                qi = net.q_items(torch.from_numpy(obs.item_x)).numpy() if obs.pool_ids else np.zeros(0)
                qa = float(net.q_ask(torch.from_numpy(obs.dialogue_x)))
            dec = decide(qi, qa, env.k, tau, rng, allow_ask=allow_ask)
            action = Action.ask() if dec.kind == "ask" else Action.recommend([obs.pool_ids[i] for i in dec.indices])
            nxt, r, done, info = env.step(action)
            sid = learner.replay.add_next_state(nxt.item_x, nxt.dialogue_x)
            if action.kind == "ask":
                learner.replay.add(True, obs.dialogue_x, -env.reward.turn_cost, done, sid)
            else:
                share = env.reward.turn_cost / len(action.item_ids)
                for i in dec.indices:
                    learner.replay.add(False, obs.item_x[i], info.item_rewards[obs.pool_ids[i]] - share, done, sid)
            for _ in range(cfg.updates_per_step):
                learner.update()
            total += r
            ok = ok or info.accepted is not None
            obs = nxt
        succ.append(float(ok))
        rew.append(total)
        if bar is not None:
            bar.update(1)
            if e % 20 == 0:
                bar.set_postfix(tau=f"{tau:.3f}", succ=f"{np.mean(succ[-50:]):.2f}")
    if bar is not None:
        bar.close()
    return TrainReport(cfg.episodes, time.perf_counter() - t0, succ, rew, temperature_at(cfg, cfg.episodes - 1),
                       learner.last_loss)
