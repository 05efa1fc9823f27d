"""The Q function and the softmax policy over it.

Why item-level Q plus an ``ask`` head: a slate is k items out of a pool of ~100, far too
many joint actions to value one by one, so (as in SlateQ) the slate's value is decomposed
into per-item values: Q(s, slate) = mean of Q(s, i) over the slate, and the best slate is
the top-k items. Asking is one more action with its own head over dialogue-level
features, compared against the best slate's value.

Exploration is Boltzmann: pi(a|s) = exp(Q(s,a)/tau) / sum_a' exp(Q(s,a')/tau). Slates are
drawn by Plackett-Luce sampling without replacement (Gumbel top-k), which is exactly
"draw an item from the softmax, remove it, repeat".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tools.rl.features import DIALOGUE_FEATURES, ITEM_FEATURES


def policy_probs(q: np.ndarray | list[float], temperature: float) -> np.ndarray:
    """Numerically stable softmax of ``q / temperature``.

    ``temperature <= 0`` is the greedy limit: all mass on the argmax (split evenly among ties).
    """
    q = np.asarray(q, dtype=np.float64).ravel()
    if q.size == 0:
        return q
    if not np.all(np.isfinite(q)):
        raise ValueError("policy_probs needs finite Q values; got NaN/inf (check the features fed to the scorer)")
    if temperature <= 0:
        top = q == q.max()
        return top / top.sum()
    z = (q - q.max()) / temperature
    e = np.exp(z)
    return e / e.sum()


class QNet(nn.Module):
    """Item head (linear, or a small MLP when ``hidden > 0``) and a linear ``ask`` head."""

    def __init__(self, hidden: int = 0, n_item: int = len(ITEM_FEATURES), n_dialogue: int = len(DIALOGUE_FEATURES)):
        super().__init__()
        self.hidden = hidden
        if hidden > 0:
            self.item = nn.Sequential(nn.Linear(n_item, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        else:
            self.item = nn.Sequential(nn.Linear(n_item, 1, bias=False))
        self.ask = nn.Linear(n_dialogue, 1, bias=False)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.weight) if hidden == 0 else nn.init.xavier_uniform_(m.weight, gain=0.5)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def q_items(self, x: torch.Tensor) -> torch.Tensor:
        return self.item(x).squeeze(-1)

    def q_ask(self, d: torch.Tensor) -> torch.Tensor:
        return self.ask(d).squeeze(-1)

    @property
    def is_linear(self) -> bool:
        return self.hidden == 0

    def item_weights(self) -> np.ndarray:
        if not self.is_linear:
            raise ValueError("item_weights exist only for the linear Q (hidden=0)")
        return self.item[0].weight.detach().cpu().numpy().ravel().copy()


@torch.no_grad()
def soft_update(target: QNet, online: QNet, rho: float) -> None:
    """target <- (1 - rho) target + rho online (Polyak averaging: a smoothed target network)."""
    for t, o in zip(target.parameters(), online.parameters(), strict=True):
        t.mul_(1.0 - rho).add_(o, alpha=rho)


@dataclass(frozen=True)
class Decision:
    """What the policy chose: ``ask`` or a slate (indices into the pool), with its probabilities."""

    kind: str
    indices: tuple[int, ...]
    item_probs: np.ndarray
    p_ask: float
    q_ask: float
    slate_value: float
    explored: bool


def slate_value(q: np.ndarray, k: int) -> float:
    if q.size == 0:
        return float("-inf")
    top = np.sort(q)[::-1][:k]
    return float(top.mean())


def decide(
    q_items: np.ndarray, q_ask: float, k: int, temperature: float, rng: np.random.Generator | None,
    *, allow_ask: bool = True,
) -> Decision:
    """Greedy when ``rng`` is None or ``temperature <= 0``; otherwise Boltzmann sampling."""
    q_items = np.asarray(q_items, dtype=np.float64)
    greedy_idx = tuple(int(i) for i in np.argsort(-q_items, kind="stable")[:k])
    sv = slate_value(q_items, k)
    probs = policy_probs(q_items, temperature) if q_items.size else q_items
    if not allow_ask or q_items.size == 0:
        p_ask = 0.0 if q_items.size else 1.0
    else:
        p_ask = float(policy_probs([q_ask, sv], temperature)[0])
    sample = rng is not None and temperature > 0
    if not sample:
        ask = q_items.size == 0 or (allow_ask and q_ask > sv)
        return Decision("ask" if ask else "recommend", () if ask else greedy_idx, probs, p_ask, q_ask, sv, False)
    if q_items.size == 0 or rng.random() < p_ask:
        return Decision("ask", (), probs, p_ask, q_ask, sv, not (allow_ask and q_ask > sv))
    g = -np.log(-np.log(rng.random(q_items.size).clip(1e-300, 1.0 - 1e-16)))
    idx = tuple(int(i) for i in np.argsort(-(q_items / temperature + g), kind="stable")[:k])
    return Decision("recommend", idx, probs, p_ask, q_ask, sv, set(idx) != set(greedy_idx))
