"""``RLPolicyScorer``: a Q-learned re-ranker that also decides when to ask.

Why a Scorer: the agent, explanations and benchmarks treat every model alike, so the
policy exposes ``score`` (= Q values of the candidates in this context) and ``evidence``
(Q value, per-feature contributions, softmax probability). What only a policy can do
lives in two extra methods: ``select`` (ask or which slate, greedy or sampled) and
``update_from_feedback`` (bounded online learning from real users' reactions, which the
agent reads from the store and passes in: tools/ never reads the store).

Training: ``fit(interactions)`` builds a simulator from the interactions alone (one
held-out liked item per user is the target) and runs Q-learning; ``fit_simulated`` takes
a ready environment (the CLI and the benchmark use ReDial-grounded seekers and the
catalog's retrieval/GCN/popularity channels).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tools.catalog.catalog import Catalog, Interaction
from tools.errors import DataError, InputError, ModelNotReadyError
from tools.rl.candidates import PoolBuilder, StaticChannel
from tools.rl.env import ConversationEnv
from tools.rl.features import ITEM_FEATURES, FeatureBuilder, ItemSpace, jaccard
from tools.rl.qnet import QNet, decide, policy_probs
from tools.rl.simulator import SeekerEpisode, SimulatedSeeker, SimulatorConfig, episodes_from_interactions
from tools.rl.train import TrainConfig, TrainReport, train_q
from tools.rl.types import ONLINE_REWARD, Action, FeedbackEvent, RewardConfig, UpdateReport
from tools.scoring import Scorer, ScorerEvidence, ScoringContext

#: 2: the always-zero ``causal`` item feature was removed (see ``tools.rl.features``); a policy saved
#: with format 1 has one more input weight than the network now takes, so it must be retrained
FORMAT_VERSION = 2


@dataclass(frozen=True)
class RLPolicyConfig:
    k: int = 5
    pool_size: int = 30
    #: serving temperature: softmax probabilities in evidence, sampling in ``select(sample=True)``
    temperature: float = 0.1
    online_enabled: bool = True
    online_lr: float = 0.05
    online_max_steps: int = 20
    #: the parameter vector moves at most this far (L2) in one ``update_from_feedback``
    online_max_change: float = 0.25
    online_grad_clip: float = 1.0
    seed: int = 0
    reward: RewardConfig = field(default_factory=RewardConfig)
    online_reward: RewardConfig = ONLINE_REWARD
    train: TrainConfig = field(default_factory=TrainConfig)
    sim: SimulatorConfig = field(default_factory=SimulatorConfig)
    #: the item-feature layout the network reads; part of the config so that anything keyed on it
    #: (``whyrec train rl``'s cache) sees a new layout as a new policy and retrains
    item_features: tuple[str, ...] = ITEM_FEATURES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RLPolicyConfig:
        d = dict(d)
        return cls(**{**d, "item_features": tuple(d.get("item_features", ITEM_FEATURES)),
                      "reward": RewardConfig(**d.get("reward", {})),
                      "online_reward": RewardConfig(**d.get("online_reward", asdict(ONLINE_REWARD))), "train": TrainConfig(**d.get("train", {})),
                      "sim": SimulatorConfig(**d.get("sim", {}))})


@dataclass(frozen=True)
class PolicyChoice:
    """The policy's move for this turn (what the agent acts on)."""

    action: str  # "ask" | "recommend"
    item_ids: tuple[str, ...]
    probs: dict[str, float]
    q_ask: float
    slate_value: float
    explored: bool


class SimilarityChannel:
    """Pool channel: max genre/tag (or co-liking) Jaccard to the liked items."""

    name = "content"

    def __init__(self, space: ItemSpace) -> None:
        self.space = space
        self.ids = list(space.tokens)

    def scores(self, context: ScoringContext, item_ids: Sequence[str]) -> np.ndarray:
        liked = [self.space.tokens.get(i, frozenset()) for i in context.liked_ids]
        return np.asarray([max((jaccard(self.space.tokens.get(i, frozenset()), o) for o in liked), default=0.0)
                           for i in item_ids], dtype=np.float64)

    def top(self, context: ScoringContext, k: int, exclude: set[str]) -> list[str]:
        s = self.scores(context, self.ids)
        return [self.ids[i] for i in np.argsort(-s, kind="stable") if self.ids[i] not in exclude][:k]


class RLPolicyScorer(Scorer):
    name = "rl"

    def __init__(self, config: RLPolicyConfig | None = None, space: ItemSpace | None = None,
                 net: QNet | None = None) -> None:
        self.config = config or RLPolicyConfig()
        self.space = space
        self.net = net
        self.online_updates = 0
        self.train_report: TrainReport | None = None
        #: users seen in ``fit``: user -> (liked ids, disliked ids), folded into contexts with that user_id
        self.users: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    @classmethod
    def for_catalog(cls, catalog: Catalog, config: RLPolicyConfig | None = None) -> RLPolicyScorer:
        return cls(config, ItemSpace.from_catalog(catalog))

    # -- training ---------------------------------------------------------------------
    def _ensure_net(self) -> QNet:
        if self.net is None:
            torch.manual_seed(self.config.seed)
            self.net = QNet(hidden=self.config.train.hidden)
        return self.net

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[str] | None = None) -> RLPolicyScorer:
        if not interactions:
            raise DataError("RLPolicyScorer.fit needs interactions (liked items per user) to simulate seekers")
        if self.space is None:
            self.space = ItemSpace.from_interactions(interactions, item_ids)
        self.users = _user_history(interactions)
        eps = episodes_from_interactions(interactions, self.space, self.config.sim, seed=self.config.seed)
        source = PoolBuilder([StaticChannel("popularity", self.space.popularity), SimilarityChannel(self.space)],
                             per_channel=self.config.pool_size)
        env = ConversationEnv(FeatureBuilder(self.space), source, k=self.config.k, pool_size=self.config.pool_size,
                              reward=self.config.reward, max_turns=self.config.sim.max_turns)
        if not eps:  # nobody with two likes: nothing to simulate, keep a popularity-leaning prior
            self._ensure_net()
            return self
        self.fit_simulated(env, eps)
        return self

    def fit_simulated(self, env: ConversationEnv, episodes: Sequence[SeekerEpisode],
                      make_seeker: Callable[[SeekerEpisode], SimulatedSeeker] | None = None,
                      progress: bool = False) -> TrainReport:
        if self.space is None:
            self.space = env.builder.space
        net = self._ensure_net()
        if make_seeker is None:
            space, sim, seed = self.space, self.config.sim, self.config.seed
            make_seeker = lambda ep: SimulatedSeeker(ep, space, config=sim, seed=seed)  # noqa: E731
        self.train_report = train_q(net, env, episodes, make_seeker, replace(self.config.train, seed=self.config.seed),
                                    progress=progress)
        return self.train_report

    # -- scoring ----------------------------------------------------------------------
    def _ready(self) -> tuple[QNet, FeatureBuilder]:
        if self.net is None or self.space is None:
            raise ModelNotReadyError("the RL policy is not trained; run `whyrec train rl` or call fit() first")
        return self.net, FeatureBuilder(self.space)

    def with_user_history(self, context: ScoringContext) -> ScoringContext:
        """A trained user's liked/disliked items join the session's (a cold session is unchanged)."""
        hist = self.users.get(context.user_id or "")
        if hist is None:
            return context
        liked = tuple(dict.fromkeys((*context.liked_ids, *hist[0])))
        disliked = tuple(dict.fromkeys((*context.disliked_ids, *hist[1])))
        return replace(context, liked_ids=liked, disliked_ids=disliked)

    def features(self, context: ScoringContext, candidate_ids: Sequence[str]) -> np.ndarray:
        return self._ready()[1].item_matrix(self.with_user_history(context), list(candidate_ids))

    def _q(self, x: np.ndarray) -> np.ndarray:
        net = self._ready()[0]
        with torch.no_grad():
            return net.q_items(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy().astype(np.float64)

    def score(self, context: ScoringContext, candidate_ids: Sequence[str]) -> np.ndarray:
        ids = list(candidate_ids)
        if not ids:
            return np.zeros(0)
        q = self._q(self.features(context, ids))
        known = np.array([i in self.space.tokens for i in ids])  # type: ignore[union-attr]
        if known.any() and not known.all():
            q[~known] = q[known].min() - 1.0
        elif not known.any():
            q[:] = 0.0
        return q

    def _contributions(self, x: np.ndarray) -> np.ndarray:
        net = self._ready()[0]
        if net.is_linear:
            return net.item_weights() * x
        xt = torch.from_numpy(x.astype(np.float32)).requires_grad_(True)
        net.q_items(xt[None, :]).sum().backward()
        grad = xt.grad.numpy().astype(np.float64)  # type: ignore[union-attr]
        net.zero_grad()
        return grad * x

    def evidence(self, context: ScoringContext, item_id: str) -> ScorerEvidence:
        pool = list(dict.fromkeys([i for ch in (context.features or {}).values() for i in ch] + [item_id]))
        q = self.score(context, pool)
        pos = pool.index(item_id)
        x = self.features(context, [item_id])[0]
        contrib = self._contributions(x)
        probs = policy_probs(q, self.config.temperature)
        tok = self.space.tokens  # type: ignore[union-attr]
        liked_ids = self.with_user_history(context).liked_ids
        sims = sorted(((jaccard(tok.get(item_id, frozenset()), tok.get(li, frozenset())), li) for li in liked_ids),
                      reverse=True)
        cshare: dict[str, float] = {}
        j_sim = ITEM_FEATURES.index("sim_liked")
        total = float(np.abs(contrib).sum())
        if sims and sims[0][0] > 0 and contrib[j_sim] > 0 and total > 0:
            cshare[sims[0][1]] = float(contrib[j_sim] / total)
        return ScorerEvidence(
            scorer=self.name, item_id=item_id, score=float(q[pos]), contributions=cshare,
            neighbours=tuple(li for s, li in sims[:3] if s > 0),
            details={
                "q_value": float(q[pos]),
                "features": FeatureBuilder.as_dict(x),
                "feature_contributions": {n: float(c) for n, c in zip(ITEM_FEATURES, contrib, strict=True)},
                "contribution_method": "weight*feature" if self.net.is_linear else "gradient*input",  # type: ignore[union-attr]
                "softmax_prob": float(probs[pos]),
                "pool_size": len(pool),
                "temperature": self.config.temperature,
                "explored": False,
                "online_updates": self.online_updates,
            },
        )

    def select(self, context: ScoringContext, candidate_ids: Sequence[str], k: int | None = None, *,
               sample: bool = False, seed: int | None = None, n_asks: int = 0, max_turns: int | None = None,
               allow_ask: bool = True) -> PolicyChoice:
        """Ask a clarifying question or pick a slate; greedy unless ``sample`` (Boltzmann, seeded)."""
        net, fb = self._ready()
        k = k or self.config.k
        context = self.with_user_history(context)
        excluded = set(context.liked_ids) | set(context.disliked_ids) | set(context.seen_ids)
        ids = [c for c in dict.fromkeys(candidate_ids) if c not in excluded]
        x = fb.item_matrix(context, ids)
        q = self._q(x) if ids else np.zeros(0)
        d = fb.dialogue_vector(context, x, max_turns=max_turns or self.config.sim.max_turns, n_asks=n_asks)
        with torch.no_grad():
            qa = float(net.q_ask(torch.from_numpy(d)))
        rng = np.random.default_rng(self.config.seed if seed is None else seed) if sample else None
        dec = decide(q, qa, k, self.config.temperature, rng, allow_ask=allow_ask)
        return PolicyChoice(dec.kind, tuple(ids[i] for i in dec.indices),
                            {i: float(p) for i, p in zip(ids, dec.item_probs, strict=True)}, qa, dec.slate_value,
                            dec.explored)

    # -- online learning --------------------------------------------------------------
    def update_from_feedback(self, events: Sequence[FeedbackEvent]) -> UpdateReport:
        """Bounded, seeded SGD on the item head towards each reaction's reward."""
        net = self._ready()[0]
        cfg = self.config
        if not cfg.online_enabled:
            return UpdateReport(False, len(events), 0, 0, float("nan"), float("nan"), 0.0, "online updates are off")
        used = [e for e in events if e.features]
        skipped = tuple(e.item_id for e in events if not e.features)
        if not used:
            return UpdateReport(False, len(events), 0, 0, float("nan"), float("nan"), 0.0,
                                "no event carried the features recorded with its recommendation", skipped)
        x = torch.from_numpy(np.stack([FeatureBuilder.from_dict(e.features) for e in used]))
        y = torch.tensor([cfg.online_reward.item_reward(e.kind) for e in used], dtype=torch.float32)
        params = list(net.item.parameters())
        before = [p.detach().clone() for p in params]
        torch.manual_seed(cfg.seed + self.online_updates)
        opt = torch.optim.SGD(params, lr=cfg.online_lr)
        with torch.no_grad():
            loss0 = float(torch.mean((net.q_items(x) - y) ** 2))
        steps = 0
        for _ in range(cfg.online_max_steps):
            loss = torch.mean((net.q_items(x) - y) ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.online_grad_clip)
            opt.step()
            steps += 1
        with torch.no_grad():
            delta = torch.cat([(p - b).ravel() for p, b in zip(params, before, strict=True)])
            norm = float(delta.norm())
            if norm > cfg.online_max_change:
                scale = cfg.online_max_change / norm
                for p, b in zip(params, before, strict=True):
                    p.copy_(b + (p - b) * scale)
                norm = cfg.online_max_change
            loss1 = float(torch.mean((net.q_items(x) - y) ** 2))
        self.online_updates += 1
        return UpdateReport(True, len(events), len(used), steps, loss0, loss1, norm, "", skipped)

    # -- persistence ------------------------------------------------------------------
    @property
    def version(self) -> str:
        if self.net is None:
            return "rl-untrained"
        h = hashlib.sha1()
        for _, t in sorted(self.net.state_dict().items()):
            h.update(t.detach().cpu().numpy().tobytes())
        return f"rl-{h.hexdigest()[:10]}"

    def save(self, path: Path) -> Path:
        net, _ = self._ready()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), path / "qnet.pt")
        meta = {"format": FORMAT_VERSION, "config": self.config.to_dict(), "online_updates": self.online_updates,
                "features": list(ITEM_FEATURES), "version": self.version}
        (path / "policy.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        space = self.space
        with gzip.open(path / "items.json.gz", "wt", encoding="utf-8") as fh:
            json.dump({"tokens": {k: sorted(v) for k, v in space.tokens.items()},  # type: ignore[union-attr]
                       "popularity": dict(space.popularity), "idf": dict(space.idf),  # type: ignore[union-attr]
                       "users": {u: [list(a), list(b)] for u, (a, b) in self.users.items()}}, fh)
        return path

    @classmethod
    def load(cls, path: Path) -> RLPolicyScorer:
        path = Path(path)
        if not (path / "policy.json").is_file():
            raise ModelNotReadyError(f"no RL policy at {path}; train one with `whyrec train rl`")
        meta = json.loads((path / "policy.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION or meta.get("features") != list(ITEM_FEATURES):
            saved = meta.get("features")
            diff = ""
            if isinstance(saved, list):
                gone = [f for f in saved if f not in ITEM_FEATURES]
                new = [f for f in ITEM_FEATURES if f not in saved]
                diff = "".join([f"; it reads feature(s) {', '.join(gone)} that no longer exist" if gone else "",
                                f"; it lacks feature(s) {', '.join(new)}" if new else ""])
            raise InputError(f"RL policy at {path} was saved by another version (format {meta.get('format')}, "
                             f"this version reads format {FORMAT_VERSION}{diff}); retrain with "
                             "`whyrec train rl --force`")
        config = RLPolicyConfig.from_dict(meta["config"])
        with gzip.open(path / "items.json.gz", "rt", encoding="utf-8") as fh:
            raw = json.load(fh)
        space = ItemSpace({k: frozenset(v) for k, v in raw["tokens"].items()}, raw["popularity"], raw["idf"])
        net = QNet(hidden=config.train.hidden)
        net.load_state_dict(torch.load(path / "qnet.pt", weights_only=True))
        out = cls(config, space, net)
        out.online_updates = int(meta.get("online_updates", 0))
        out.users = {u: (tuple(a), tuple(b)) for u, (a, b) in raw.get("users", {}).items()}
        return out


def _user_history(interactions: Sequence[Interaction]) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    liked: dict[str, dict[str, None]] = {}
    disliked: dict[str, dict[str, None]] = {}
    for it in interactions:
        if it.weight >= 1.0 or it.label in ("liked", "accepted"):
            liked.setdefault(it.user_id, {})[it.item_id] = None
        elif it.weight < 0:
            disliked.setdefault(it.user_id, {})[it.item_id] = None
    users = set(liked) | set(disliked)
    return {u: (tuple(liked.get(u, {})), tuple(disliked.get(u, {}))) for u in sorted(users)}


class ScorerPolicy:
    """Adapter that lets an ``RLPolicyScorer`` act (greedily) in a ``tools.rl.env.ConversationEnv``."""

    def __init__(self, scorer: RLPolicyScorer, name: str = "rl", allow_ask: bool = True) -> None:
        self.scorer, self.name, self.allow_ask = scorer, name, allow_ask

    def act(self, obs: Any, k: int, rng: np.random.Generator) -> Action:
        choice = self.scorer.select(obs.context, obs.pool_ids, k, n_asks=obs.state.n_asks, allow_ask=self.allow_ask)
        return Action.ask() if choice.action == "ask" else Action.recommend(list(choice.item_ids))
