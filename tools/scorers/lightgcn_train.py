"""LightGCN training on integer ids: initialisation, negative sampling, BPR steps, early stopping.

Why this shape (He et al., SIGIR 2020, "LightGCN"): the model is only ego embeddings E0 for
users and items; E_{k+1} = Â E_k with Â = D^-1/2 A D^-1/2 of the bipartite graph, and the
final embedding is the mean over layers 0..K. Training is BPR with uniform negatives and L2 on
the ego embeddings of the batch.

Why big batches: on CPU the cost of a step is dominated by the full-graph propagation (three
sparse-dense products over all nodes), not by the batch. The reference code propagates once
per 2,048 triples (~400 propagations per Gowalla epoch); we propagate once per 50k-200k
triples (a handful per epoch) and scale the learning rate up instead.
Â, propagation and the closed-form BPR gradient live in ``lightgcn_propagation``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from tools.ranking_metrics import evaluate_full_ranking, pairs_to_csr
from tools.scorers.lightgcn_propagation import (
    Adjacency,
    bpr_loss_and_grad,
    normalized_adjacency_scipy,
    propagate,
)


@dataclass(frozen=True)
class LightGCNConfig:
    """Hyperparameters; ``config_hash`` of these decides whether a cached checkpoint is reused."""

    dim: int = 64
    layers: int = 3
    lr: float = 5e-3
    l2: float = 1e-4
    batch_size: int = 100_000
    epochs: int = 200
    eval_every: int = 5
    patience: int = 5  # evaluations without improvement before stopping
    eval_users: int = 0  # 0 = all users with validation items; else a fixed random subset
    eval_k: int = 20
    init_std: float = 0.1
    #: "normal" (the paper: N(0, init_std)) or "svd": top-``dim`` singular vectors of the
    #: normalised interaction matrix, rescaled to std ``init_std`` (a warm start; see init_embeddings)
    init: str = "normal"
    #: "constant", or "cosine": lr decays from ``lr`` to ``lr * lr_floor`` along a cosine over the
    #: time budget (or over ``epochs`` without one) — big steps early, fine ones when time runs out
    lr_schedule: str = "constant"
    lr_floor: float = 0.1
    seed: int = 42
    time_budget_s: float = 0.0  # 0 = no wall-clock limit

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def config_hash(self, **extra: Any) -> str:
        blob = json.dumps({**self.to_dict(), **extra}, sort_keys=True, default=str)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


def scheduled_lr(config: LightGCNConfig, epoch: int, elapsed_s: float) -> float:
    """Learning rate for this step (see ``LightGCNConfig.lr_schedule``)."""
    if config.lr_schedule == "constant":
        return config.lr
    if config.lr_schedule != "cosine":
        raise ValueError(f"lr_schedule must be 'constant' or 'cosine', not {config.lr_schedule!r}")
    frac = elapsed_s / config.time_budget_s if config.time_budget_s else (epoch - 1) / max(config.epochs, 1)
    frac = min(max(frac, 0.0), 1.0)
    return config.lr * (config.lr_floor + (1 - config.lr_floor) * 0.5 * (1 + math.cos(math.pi * frac)))


def init_embeddings(
    users: np.ndarray, items: np.ndarray, n_users: int, n_items: int, config: LightGCNConfig
) -> torch.Tensor:
    """Ego embeddings E0 of shape (n_users + n_items, dim).

    "svd" warm start: with R~ = D_u^-1/2 R D_i^-1/2 = U S V^T, E0 = [U sqrt(S); V sqrt(S)] makes
    the first propagation already a low-pass spectral filter of the graph (scores
    U f(S) V^T), so BPR starts from a good ranking instead of noise — the point on a CPU budget
    where each epoch costs seconds. Rescaled to std ``init_std`` (scaling keeps the ranking).
    """
    gen = torch.Generator().manual_seed(config.seed)
    if config.init == "normal":
        return torch.randn(n_users + n_items, config.dim, generator=gen) * config.init_std
    if config.init != "svd":
        raise ValueError(f"init must be 'normal' or 'svd', not {config.init!r}")
    import scipy.sparse as sp
    from scipy.sparse.linalg import svds

    a = normalized_adjacency_scipy(users, items, n_users, n_items)
    r = a[:n_users, n_users:]
    k = min(config.dim, min(n_users, n_items) - 1)
    rng = np.random.default_rng(config.seed)
    v0 = rng.standard_normal(min(r.shape))
    u, sv, vt = svds(sp.csr_matrix(r, dtype=np.float64), k=k, v0=v0)
    emb = np.zeros((n_users + n_items, config.dim))
    emb[:n_users, :k] = u * np.sqrt(sv)
    emb[n_users:, :k] = vt.T * np.sqrt(sv)
    emb *= config.init_std / max(emb.std(), 1e-12)
    if k < config.dim:  # tiny graphs: fill the remaining columns with small noise
        emb[:, k:] = rng.standard_normal((emb.shape[0], config.dim - k)) * config.init_std * 0.1
    return torch.from_numpy(emb.astype(np.float32))


class NegativeSampler:
    """Uniform negatives with rejection of the user's positives, fully vectorised."""

    def __init__(self, users: np.ndarray, items: np.ndarray, n_items: int, rng: np.random.Generator):
        self.n_items = n_items
        self.keys = np.unique(np.asarray(users, np.int64) * n_items + np.asarray(items, np.int64))
        self.rng = rng

    def _is_positive(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        keys = users * self.n_items + items
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return self.keys[pos] == keys

    def sample(self, users: np.ndarray, rounds: int = 10) -> np.ndarray:
        users = np.asarray(users, np.int64)
        neg = self.rng.integers(0, self.n_items, size=users.size)
        bad = np.flatnonzero(self._is_positive(users, neg))
        for _ in range(rounds):
            if bad.size == 0:
                break
            neg[bad] = self.rng.integers(0, self.n_items, size=bad.size)
            bad = bad[self._is_positive(users[bad], neg[bad])]
        for j in bad:  # rare: users who like most items; draw exactly from their complement
            u = users[j]
            lo, hi = np.searchsorted(self.keys, [u * self.n_items, (u + 1) * self.n_items])
            free = np.setdiff1d(np.arange(self.n_items), self.keys[lo:hi] - u * self.n_items)
            if free.size:  # a user who liked every item keeps a positive: no negative exists
                neg[j] = free[self.rng.integers(free.size)]
        return neg


@dataclass
class TrainResult:
    ego: torch.Tensor  # (n_users + n_items, dim), best epoch
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_metric: float = float("nan")
    stopped: str = "epochs"
    seconds: float = 0.0


def train_lightgcn(
    train_users: np.ndarray,
    train_items: np.ndarray,
    n_users: int,
    n_items: int,
    config: LightGCNConfig,
    valid: tuple[np.ndarray, np.ndarray] | None = None,
    device: str = "cpu",
    progress: bool = True,
    on_eval: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train and return the ego embeddings of the best validation epoch (or the last one)."""
    from tqdm import tqdm

    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch sees no GPU; use --device cpu")
    train_users = np.asarray(train_users, np.int64)
    train_items = np.asarray(train_items, np.int64)
    if train_users.size == 0:
        raise ValueError("no positive interactions to train on; add liked/accepted/seen interactions")
    t0 = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    dev = torch.device(device)
    adj = Adjacency(train_users, train_items, n_users, n_items, device)
    ego = torch.nn.Parameter(init_embeddings(train_users, train_items, n_users, n_items, config).to(dev))
    opt = torch.optim.Adam([ego], lr=config.lr)
    sampler = NegativeSampler(train_users, train_items, n_items, rng)

    evaluator = None
    if valid is not None and len(valid[0]) > 0:
        train_csr = pairs_to_csr(train_users, train_items, n_users, n_items)
        valid_csr = pairs_to_csr(valid[0], valid[1], n_users, n_items)
        eval_users = np.unique(np.asarray(valid[0]))
        if config.eval_users and eval_users.size > config.eval_users:
            eval_users = np.sort(rng.choice(eval_users, config.eval_users, replace=False))

        def evaluator() -> dict[str, float]:
            with torch.no_grad():
                final = propagate(adj, ego.detach(), config.layers)
            fu, fi = final[:n_users], final[n_users:]
            return evaluate_full_ranking(
                lambda b: fu[torch.from_numpy(b).to(dev)] @ fi.T,
                train_csr, valid_csr, ks=(config.eval_k,), users=eval_users,
            )

    key = f"recall@{config.eval_k}"
    result = TrainResult(ego=ego.detach().clone())
    best, bad_evals = -1.0, 0
    n = train_users.size
    if evaluator is not None:  # epoch 0: the starting point of the learning curve
        row0 = {"epoch": 0, "time_s": time.perf_counter() - t0, "bpr_loss": float("nan")}
        row0.update({k: v for k, v in evaluator().items() if k != "users"})
        best, result.best_metric = row0[key], row0[key]
        result.history.append(row0)
        if on_eval is not None:
            on_eval(row0)
    bar = tqdm(range(1, config.epochs + 1), desc="lightgcn", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        perm = rng.permutation(n)
        total = 0.0
        for start in range(0, n, config.batch_size):
            idx = perm[start : start + config.batch_size]
            bu, bp = train_users[idx], train_items[idx]
            bn = sampler.sample(bu)
            tu = torch.from_numpy(bu).to(dev)
            tp = torch.from_numpy(bp + n_users).to(dev)
            tn = torch.from_numpy(bn + n_users).to(dev)
            bpr, _reg, grad = bpr_loss_and_grad(adj, ego.detach(), config.layers, tu, tp, tn, config.l2)
            ego.grad = grad
            lr_now = scheduled_lr(config, epoch, time.perf_counter() - t0)
            for group in opt.param_groups:
                group["lr"] = lr_now
            opt.step()
            total += bpr * idx.size
        row: dict[str, float] = {"epoch": epoch, "time_s": time.perf_counter() - t0, "bpr_loss": total / n,
                                 "lr": lr_now}
        over_time = config.time_budget_s and (time.perf_counter() - t0) >= config.time_budget_s
        if evaluator is not None and (epoch % config.eval_every == 0 or epoch == config.epochs or over_time):
            row.update({k: v for k, v in evaluator().items() if k != "users"})
            row["time_s"] = time.perf_counter() - t0
            if row[key] > best:
                best, bad_evals = row[key], 0
                result.ego, result.best_epoch, result.best_metric = ego.detach().clone(), epoch, best
            else:
                bad_evals += 1
            if on_eval is not None:
                on_eval(row)
        result.history.append(row)
        bar.set_postfix({k: round(v, 4) for k, v in row.items() if k in ("bpr_loss", key)})
        if evaluator is not None and bad_evals >= config.patience:
            result.stopped = "early_stopping"
            break
        if over_time:
            result.stopped = "time_budget"
            break
    bar.close()
    if evaluator is None:
        result.ego, result.best_epoch = ego.detach().clone(), len(result.history)
    result.seconds = time.perf_counter() - t0
    result.ego = copy.deepcopy(result.ego).cpu()
    return result
