"""The slate: the ranked list cut to what a person is shown.

Why here and only here: the ranker orders by relevance, but a slate of five must not
hold three films of one franchise, the same film twice under two catalog rows, or a
film the user already named. Hard constraints were applied by the recommender; this
stage only shapes what is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from agent.turn.franchise import franchise_tokens, title_key, without_turned_down


def build_slate(ranked_ids: Sequence[str], title_of: Callable[[str], str], *, size: int,
                taken_titles: Sequence[str] = (), per_franchise: int = 2,
                wanted: Callable[[str], int] | None = None,
                relaxed: Callable[[str], bool] | None = None,
                off_tone: Callable[[str], bool] | None = None,
                kin_of: Callable[[str], frozenset[str]] | None = None,
                turned_down: Sequence[str] = ()) -> list[str]:
    """The first ``size`` ids with ≤ ``per_franchise`` per franchise and no twin of a taken title.

    ``turned_down``: films the user turned down ("none of those", a disliked card); their franchises are left
    out while enough other films remain (``franchise.without_turned_down``). The caller passes none when a
    series was asked for by name.

    ``kin_of``: a film's franchise tokens (the runner: ``film_kin``, the series the catalog names
    included); by default those of its title alone (``franchise_tokens``).

    The franchise cap gives way to the wishes: a film over the cap that matches every wish comes before
    a film that leaves one out (``relaxed``), so "a J.K. Rowling movie" shows Harry Potter films.

    ``relaxed``: films that only filled the ranked list after every strict match (they break a
    positive wish such as the years, ``RankedItem.relaxed``) stay behind every strict match here too;
    ``wanted`` reorders within each of the two groups, never across them -- else "horror from
    the 80s" on a catalog with two 80s horror films showed a 1978 one before an 80s thriller.

    ``wanted``: when the user asked for a genre, films that fit it better go first (in ranked order
    within each degree of fit: ``genre_fit`` counts the asked genres a film has, so
    "documentaries about music" puts music documentaries before other music films; a bool works too).
    The ranker treats an asked-for genre as a strong feature, not a filter -- catalog genres are
    missing for a third of the films, and filtering would hide them from the ranking (measured on
    ReDial: R@50 0.334 soft vs 0.276 filtered) -- but five cards shown for "something scary"
    should be scary whenever the ranked list has enough such films.

    ``off_tone``: films that go after the others of their group (``off_tone.is_parody`` when no comedy was
    wished for): shown only when too few others are left.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    ranked_ids = without_turned_down(ranked_ids, turned_down, kin_of or (lambda i: franchise_tokens(title_of(i))), size)
    if wanted is not None or relaxed is not None or off_tone is not None:
        def group(i: str) -> tuple[bool, int, bool]:
            return (relaxed is not None and relaxed(i), -int(wanted(i)) if wanted is not None else 0,
                    off_tone is not None and off_tone(i))

        ranked_ids = sorted(ranked_ids, key=group)  # stable: ranked order within each group
    seen_titles = {title_key(t) for t in taken_titles}
    franchises: dict[str, int] = {}
    chosen: list[str] = []
    # over the franchise cap but matching every wish: shown before any film that leaves a wish out
    # ("movies based on J.K. Rowling books" showed two Harry Potter films, then Jumanji and Get Out)
    held: list[str] = []
    for item_id in ranked_ids:
        if relaxed is not None and held and relaxed(item_id):
            chosen += held[: size - len(chosen)]
            held = []
            if len(chosen) >= size:
                break
        title = title_of(item_id)
        key = title_key(title)
        kin = kin_of(item_id) if kin_of is not None else franchise_tokens(title)
        if key in seen_titles:
            continue
        seen_titles.add(key)
        if any(franchises.get(t, 0) >= per_franchise for t in kin):
            held.append(item_id)
            continue
        chosen.append(item_id)
        for t in kin:
            franchises[t] = franchises.get(t, 0) + 1
        if len(chosen) >= size:
            break
    if relaxed is not None and len(chosen) < size:
        chosen += [i for i in held if not relaxed(i)][: size - len(chosen)]
    return chosen


BALANCE_DEPTH = 20


def balanced_by_liked(recommender: Any, req: Any, ranked: Sequence[Any], liked: Sequence[str],
                      depth: int = BALANCE_DEPTH) -> list[Any]:
    """``ranked`` (``RankedItem``s for ``req``) led by the films each of several ``liked`` films brings, taking
    turns: each liked film's own ranking (``req`` with that film alone liked), first films first, the liked
    film whose best film the joint ranking puts higher going first; the rest of ``ranked`` follows as it was.
    Every film keeps the joint request's scores and features (``recommend(..., only=...)``), so its card
    is explained by the request the user made. One liked film (or none): ``ranked`` unchanged.

    Why: "I loved Toy Story and The Godfather" showed Up, Toy Story 2, Moana, Monsters, Inc. and Toy Story 3,
    and "Amelie and Pulp Fiction" five Tarantino-like films: co-suggestion counts favour the better known
    film, and the other one's neighbours were not even among the joint ranking's first 30.
    """
    liked = list(dict.fromkeys(liked))
    if len(liked) < 2 or not ranked:
        return list(ranked)
    own = [[r.item_id for r in recommender.recommend(replace(req, liked=(f,)), k=depth)] for f in liked]
    by_id = {r.item_id: r for r in ranked}
    missing = frozenset(i for ids in own for i in ids) - by_id.keys()
    if missing:
        by_id.update((r.item_id, r) for r in recommender.recommend(req, k=len(missing), only=missing))
    position = {r.item_id: n for n, r in enumerate(ranked)}
    own = sorted((ids for ids in own if ids), key=lambda ids: min(position.get(i, len(ranked)) for i in ids))
    queues = [[i for i in ids if i in by_id] for ids in own]
    turns: list[str] = []
    taken: set[str] = set()
    while any(queues):
        for q in queues:  # each liked film's turn goes to its best film not taken yet
            while q and q[0] in taken:
                q.pop(0)
            if q:
                taken.add(q[0])
                turns.append(q.pop(0))
    return [by_id[i] for i in turns] + [r for r in ranked if r.item_id not in taken]
