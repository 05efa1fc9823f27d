"""Seeded synthetic structural causal models with a known answer.

Why: discovery and effect estimation can only be tested against a truth. Each generator
returns the data *and* the true DAG as a ``CausalGraph`` (and, for the treatment model, the
true average treatment effect), so tests and the benchmark can score what was learned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from causal.errors import CausalInputError
from causal.graph import CausalGraph


@dataclass(frozen=True)
class SyntheticData:
    """``data[:, j]`` is ``variables[j]``; ``graph`` the true DAG; ``weights[i, j]`` i -> j."""

    data: np.ndarray
    variables: tuple[str, ...]
    graph: CausalGraph
    weights: np.ndarray
    true_ate: float | None = None
    info: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, np.ndarray]:
        return {v: self.data[:, j] for j, v in enumerate(self.variables)}


def random_dag(n_vars: int, n_edges: int, seed: int = 0) -> np.ndarray:
    """0/1 adjacency ``adj[i, j] = 1`` for i -> j, uniform over edge sets of a random order.

    Variable indices are shuffled against the causal order so algorithms cannot cheat by
    column position.
    """
    max_edges = n_vars * (n_vars - 1) // 2
    if n_vars < 2 or not 0 <= n_edges <= max_edges:
        raise CausalInputError(f"need n_vars >= 2 and 0 <= n_edges <= {max_edges}; got {n_vars}, {n_edges}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_vars)
    pairs = [(i, j) for i in range(n_vars) for j in range(i + 1, n_vars)]
    chosen = rng.choice(len(pairs), size=n_edges, replace=False)
    adj = np.zeros((n_vars, n_vars), dtype=int)
    for k in chosen:
        i, j = pairs[k]
        adj[order[i], order[j]] = 1
    return adj


def _names(n_vars: int) -> tuple[str, ...]:
    return tuple(f"X{i + 1}" for i in range(n_vars))


def _topological(adj: np.ndarray) -> list[int]:
    indeg = adj.sum(axis=0).astype(int).tolist()
    ready = [i for i, d in enumerate(indeg) if d == 0]
    out = []
    while ready:
        i = ready.pop()
        out.append(i)
        for j in np.nonzero(adj[i])[0]:
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(int(j))
    return out


def linear_scm(
    n_vars: int,
    n_edges: int,
    n: int,
    seed: int = 0,
    *,
    noise: str = "gaussian",
    weight_range: tuple[float, float] = (0.5, 1.5),
) -> SyntheticData:
    """Linear SCM ``X_j = sum_i w_ij X_i + e_j``, random signs, |w| in ``weight_range``.

    ``noise``: "gaussian" (PC/GES/FCI setting; only the CPDAG is identifiable), "uniform"
    or "laplace" (non-Gaussian: the full DAG is identifiable by LiNGAM).
    """
    adj = random_dag(n_vars, n_edges, seed)
    rng = np.random.default_rng(seed + 1)
    w = adj * rng.uniform(*weight_range, size=adj.shape) * rng.choice([-1.0, 1.0], size=adj.shape)
    if noise == "gaussian":
        e = rng.standard_normal((n, n_vars))
    elif noise == "uniform":
        e = rng.uniform(-np.sqrt(3), np.sqrt(3), (n, n_vars))
    elif noise == "laplace":
        e = rng.laplace(0, 1 / np.sqrt(2), (n, n_vars))
    else:
        raise CausalInputError(f"noise must be gaussian, uniform or laplace, got {noise!r}")
    x = np.zeros((n, n_vars))
    for j in _topological(adj):
        x[:, j] = x @ w[:, j] + e[:, j]
    names = _names(n_vars)
    truth = CausalGraph.from_dag_matrix(adj, names, method="truth", params={"noise": noise, "seed": seed})
    return SyntheticData(x, names, truth, w, info={"noise": noise, "seed": seed, "n": n})


#: increasing maps that turn a standardised latent column into what real tables hold
MONOTONE_MAPS = {
    "exp": np.exp,  # prices, incomes: right-skewed, log-normal
    "cube": lambda z: z**3,  # heavy tails on both sides
    "log": lambda z: np.sign(z) * np.log1p(3.0 * np.abs(z)),  # compressed tails (log-scaled counts)
}


def monotone_scm(
    n_vars: int,
    n_edges: int,
    n: int,
    seed: int = 0,
    *,
    noise: str = "gaussian",
    maps: tuple[str, ...] = ("exp", "cube", "log"),
    discrete_sinks: bool = False,
) -> SyntheticData:
    """A linear SCM observed through increasing maps: column j is ``f_j(Z_j / sd(Z_j))``.

    Why: real measurements are skewed and heavy-tailed monotone distortions of a latent,
    better-behaved scale (the nonparanormal model). Each column gets a random map from
    ``maps`` (``MONOTONE_MAPS``); the true DAG is unchanged because an invertible map of a
    variable changes no conditional independence. ``discrete_sinks=True`` makes the table
    mixed like real ones: variables without children alternate between a binary indicator
    (a random-quantile threshold) and a Poisson count of rate ``exp(0.8 Z)``. Only sinks are
    coarsened: a coarsened variable no longer blocks the paths through it, so coarsening a
    cause or a mediator would change which independencies the data hold, and the truth.
    """
    unknown = [m for m in maps if m not in MONOTONE_MAPS]
    if unknown or not maps:
        raise CausalInputError(f"maps must be a non-empty subset of {', '.join(MONOTONE_MAPS)}, got {maps!r}")
    base = linear_scm(n_vars, n_edges, n, seed, noise=noise)
    rng = np.random.default_rng(seed + 2)
    z = (base.data - base.data.mean(axis=0)) / base.data.std(axis=0)
    chosen = [maps[k] for k in rng.integers(0, len(maps), n_vars)]
    x = np.column_stack([MONOTONE_MAPS[m](z[:, j]) for j, m in enumerate(chosen)])
    kinds = dict(zip(base.variables, chosen, strict=True))
    if discrete_sinks:
        sinks = [j for j in range(n_vars) if not base.graph.children(base.variables[j])]
        for k, j in enumerate(sinks):
            if k % 2 == 0:
                x[:, j] = (z[:, j] > np.quantile(z[:, j], rng.uniform(0.3, 0.7))).astype(float)
                kinds[base.variables[j]] = "binary"
            else:
                x[:, j] = rng.poisson(np.exp(0.8 * z[:, j])).astype(float)
                kinds[base.variables[j]] = "count"
    info = {**base.info, "maps": kinds, "discrete_sinks": discrete_sinks}
    return SyntheticData(x, base.variables, base.graph, base.weights, info=info)


def discrete_scm(n_vars: int, n_edges: int, n: int, seed: int = 0, *, levels: int = 2, strength: float = 2.0) -> SyntheticData:
    """Categorical SCM with ``levels`` values per variable and random conditional tables.

    Each parent configuration draws a distribution from Dirichlet(1/strength): small
    concentration makes dependencies strong enough to be detectable at moderate n.
    """
    adj = random_dag(n_vars, n_edges, seed)
    rng = np.random.default_rng(seed + 1)
    x = np.zeros((n, n_vars), dtype=int)
    for j in _topological(adj):
        parents = np.nonzero(adj[:, j])[0]
        n_cfg = levels ** len(parents)
        cpt = rng.dirichlet(np.full(levels, 1.0 / strength), size=n_cfg)
        cfg = np.zeros(n, dtype=int)
        for p in parents:
            cfg = cfg * levels + x[:, p]
        u = rng.random(n)
        x[:, j] = (u[:, None] > np.cumsum(cpt[cfg], axis=1)).sum(axis=1).clip(0, levels - 1)
    names = _names(n_vars)
    truth = CausalGraph.from_dag_matrix(adj, names, method="truth", params={"levels": levels, "seed": seed})
    return SyntheticData(x.astype(float), names, truth, adj.astype(float), info={"levels": levels, "seed": seed})


def confounded_treatment(n: int, seed: int = 0, *, effect: float = 1.0, outcome: str = "continuous") -> SyntheticData:
    """Binary treatment T confounded by Z1, Z2; mediator-free; instrument W; noise X.

    Graph: Z1 -> T, Z2 -> T, W -> T, Z1 -> Y, Z2 -> Y, T -> Y, X -> Y. The naive difference
    E[Y|T=1] - E[Y|T=0] is biased upward: Z1 raises both T and Y (Z2 raises T, lowers Y, and its
    sign keeps partial correlations faithful: with both positive, T-Z2 nearly cancels given Y). ``true_ate``
    is the sample average of E[Y(1) - Y(0) | Z] (for a binary outcome: of the two logistic
    probabilities).
    """
    rng = np.random.default_rng(seed)
    z1, z2, w, xn = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
    p_t = 1 / (1 + np.exp(-(0.9 * z1 + 0.7 * z2 + 0.6 * w)))
    t = (rng.random(n) < p_t).astype(float)
    if outcome == "continuous":
        base = 1.5 * z1 - 1.0 * z2 + 0.5 * xn
        y = base + effect * t + rng.standard_normal(n)
        ate = effect
    elif outcome == "binary":
        lin = -0.3 + 1.6 * z1 - 0.5 * z2 + 0.4 * xn
        p1, p0 = 1 / (1 + np.exp(-(lin + effect))), 1 / (1 + np.exp(-lin))
        y = (rng.random(n) < np.where(t == 1, p1, p0)).astype(float)
        ate = float(np.mean(p1 - p0))
    else:
        raise CausalInputError(f"outcome must be continuous or binary, got {outcome!r}")
    names = ("Z1", "Z2", "W", "X", "T", "Y")
    data = np.column_stack([z1, z2, w, xn, t, y])
    edges = [("Z1", "T"), ("Z2", "T"), ("W", "T"), ("Z1", "Y"), ("Z2", "Y"), ("T", "Y"), ("X", "Y")]
    idx = {v: i for i, v in enumerate(names)}
    adj = np.zeros((6, 6), dtype=int)
    for a, b in edges:
        adj[idx[a], idx[b]] = 1
    truth = CausalGraph.from_dag_matrix(adj, names, method="truth", params={"seed": seed, "outcome": outcome})
    return SyntheticData(data, names, truth, adj.astype(float), true_ate=float(ate), info={"outcome": outcome})
