"""Bootstrap edge stability: how often each learned edge comes back when the rows are resampled.

Why: a graph learned once says nothing about which edges hang on a handful of rows. Rerunning
the same discovery (same method, test, transform, alpha and background knowledge) on rows
drawn with replacement and counting how often each pair is adjacent gives every edge a
``frequency`` in [0, 1] that a reader can weigh: an edge at 0.95 survives resampling, one at
0.40 is a coin toss. ``orientation`` counts resamples with the very same mark (kind and
direction). Pairs the full-data graph left out but many resamples include are listed too.

Parallel-safe by construction: resample k draws its rows and its algorithm seed from
``SeedSequence(seed).spawn(n_boot)[k]`` alone, so results do not depend on ``n_jobs`` or
on execution order, and worker processes share no state (causal-learn reads NumPy's global
random state, which is why workers are processes, not threads).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from causal.errors import CausalInputError
from causal.graph import CausalGraph
from causal.table import Table

#: pairs missing from the full-data graph are listed when at least this share of resamples has them
OTHER_PAIR_MIN = 0.25


def with_edge_frequencies(
    graph: CausalGraph,
    table: Table,
    rerun: Callable[..., CausalGraph],
    *,
    n_boot: int = 20,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool | None = None,
) -> CausalGraph:
    """``graph`` with each edge's ``frequency``/``orientation`` over ``n_boot`` row resamples.

    ``rerun(data_dict, seed=...)`` must run the discovery that produced ``graph`` (the
    ``discover`` call passes itself with its arguments bound). A resample that fails the
    input checks (e.g. a rare binary column that came out constant) is skipped and counted in
    ``params["bootstrap"]["skipped"]``; if every resample fails, the first error is raised.
    """
    if n_boot < 1:
        raise CausalInputError(f"n_boot must be at least 1 (typical: 20-30), got {n_boot}")
    start = time.perf_counter()
    children = np.random.SeedSequence(int(seed)).spawn(n_boot)
    jobs = [(rerun, table.data, table.names, child) for child in children]
    graphs, errors = [], []
    for res in _run_all(jobs, n_jobs, progress):
        (graphs if isinstance(res, CausalGraph) else errors).append(res)
    if not graphs:
        raise CausalInputError(f"all {n_boot} bootstrap resamples were rejected; the first: {errors[0]}")
    adjacent: Counter = Counter()
    marks: Counter = Counter()
    for g in graphs:
        for e in g.edges:
            adjacent[e.pair] += 1
            marks[_mark(e)] += 1
    ok = len(graphs)
    edges = tuple(e.with_stability(round(adjacent[e.pair] / ok, 4), round(marks[_mark(e)] / ok, 4)) for e in graph.edges)
    known = graph.skeleton()
    others = sorted(
        ({"pair": sorted(pair), "frequency": round(c / ok, 4)} for pair, c in adjacent.items()
         if pair not in known and c / ok >= OTHER_PAIR_MIN),
        key=lambda d: (-d["frequency"], d["pair"]),
    )
    info: dict[str, Any] = {"n_boot": n_boot, "used": ok, "skipped": len(errors), "seed": int(seed),
                            "seconds": round(time.perf_counter() - start, 3), "other_pairs": others}
    notes = list(graph.notes)
    if errors:
        notes.append(f"{len(errors)} of {n_boot} bootstrap resamples were skipped (first reason: {errors[0]})")
    return graph.with_meta(edges=edges, params={**graph.params, "bootstrap": info}, notes=tuple(notes))


def _mark(e) -> tuple:
    """The edge's exact form; symmetric kinds ignore the (src, dst) order."""
    if e.kind in ("undirected", "bidirected", "nondirected"):
        return (e.kind, e.pair)
    return (e.kind, e.src, e.dst)


def _one(job: tuple) -> CausalGraph | str:
    """Resample rows, rerun; an input error on the resample is returned as text, not raised."""
    rerun, data, names, child = job
    rng = np.random.default_rng(child)
    rows = rng.integers(0, data.shape[0], data.shape[0])
    algo_seed = int(child.generate_state(1)[0] % (2**31 - 1))
    try:
        return rerun({n: data[rows, j] for j, n in enumerate(names)}, seed=algo_seed)
    except CausalInputError as exc:
        return str(exc)


def _run_all(jobs: list[tuple], n_jobs: int, progress: bool | None):
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="bootstrap", unit="resample", disable=None if progress is None else not progress)
    try:
        if n_jobs <= 1 or len(jobs) == 1:
            for job in jobs:
                yield _one(job)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool:
                for res in pool.map(_one, jobs):
                    yield res
                    bar.update()
    finally:
        bar.close()
