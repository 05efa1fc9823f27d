"""The recommender of an install whose ranker has not been trained yet.

Why: every turn runs one pipeline (sources -> hard constraints -> ranker -> slate), and an
install without ``whyrec train ranker``'s output -- a freshly imported catalog, the
prompt-injection suite's planted catalog, the agent's tests -- must still answer through it
rather than through a second, older path. What it lacks is the training dialogues, so:

- the collaborative statistics come from the catalog's own interactions (each user's liked
  films count as talked about together; the catalog's popularity is the prior of suggestions);
- the content vectors are the catalog's shipped ones, else the retrieval index's;
- the ranker is :class:`~tools.recsys.prior_ranker.PriorRanker` (fixed, readable weights).

Sources, constraints, features, the slate rules and the explanation claims are the trained
recommender's own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tools.catalog.catalog import Catalog
from tools.recsys.cooccurrence import CoSuggestionStats, Episode
from tools.recsys.item_space import ItemSpace
from tools.recsys.prior_ranker import PriorRanker
from tools.recsys.recommender import Recommender
from tools.recsys.sources import standard_sources


def interaction_stats(catalog: Catalog, space: ItemSpace) -> CoSuggestionStats:
    """Co-mention counts from the catalog's interactions (a user's liked films are one "dialogue");
    the catalog's popularity stands in for how often each film was suggested."""
    liked: dict[str, list[str]] = {}
    for x in catalog.interactions:
        if x.weight > 0 and x.item_id in space.index:
            liked.setdefault(x.user_id, []).append(x.item_id)
    episodes = [Episode(user, tuple(dict.fromkeys(items)), ()) for user, items in liked.items()]
    counts = CoSuggestionStats.fit(episodes, space)
    return CoSuggestionStats(counts.suggest, counts.comention, np.nan_to_num(space.popularity), counts.mentioned)


def starter_recommender(catalog: Catalog, space: ItemSpace | None = None, *, retriever: object | None = None,
                        embed: Callable[[str], np.ndarray] | None = None, depth: int = 200) -> Recommender:
    """A :class:`Recommender` with the prior ranker. ``space`` defaults to the catalog without shipped
    vectors; then the ``retriever``'s index vectors (``retriever.vectors.item_vectors()``) are used."""
    if space is None:
        vectors = None
        matrix = getattr(retriever, "vectors", None)
        if matrix is not None and hasattr(matrix, "item_vectors"):
            ids, mat = matrix.item_vectors()
            vectors = (ids, mat) if len(ids) and mat.shape[1] else None
        space = ItemSpace.from_catalog(catalog, vectors)
    if embed is None and space.vectors is not None:
        embed = getattr(retriever, "embed_query", None)
    stats = interaction_stats(catalog, space)
    return Recommender(space, stats, standard_sources(space, stats, embed), PriorRanker(), depth=depth)
