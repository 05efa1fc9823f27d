"""The candidate bus: the only source of items that may be recommended in a turn.

Why: a language model must never be able to put an item in front of a user that no
tool produced (or that is outside the catalog). Retrieval tools *add* candidates with
their features; scorers *annotate* them; the final slate is drawn from here, and
titles are always rendered from the catalog, never from model text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.catalog.catalog import Catalog


@dataclass
class Candidate:
    item_id: str
    sources: list[str] = field(default_factory=list)  # e.g. ["search_items:'scary 80s'"]
    retrieval_score: float = 0.0  # cosine similarity to the query (0 when unknown)
    matched_fields: tuple[str, ...] = ()
    query: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # per scorer
    final_score: float = 0.0


class CandidateBus:
    """Per-turn collection of candidates, keyed by catalog id, in arrival order."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._items: dict[str, Candidate] = {}

    def add(self, item_id: str, *, source: str, retrieval_score: float | None = None,
            matched_fields: Iterable[str] = (), query: str = "") -> bool:
        """Add (or enrich) a candidate; ids outside the catalog are refused (returns False)."""
        if item_id not in self.catalog:
            return False
        c = self._items.get(item_id)
        if c is None:
            c = self._items[item_id] = Candidate(item_id)
        if source not in c.sources:
            c.sources.append(source)
        if retrieval_score is not None and retrieval_score > c.retrieval_score:
            c.retrieval_score = float(retrieval_score)
            c.query = query
        c.matched_fields = tuple(dict.fromkeys((*c.matched_fields, *matched_fields)))
        return True

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def ids(self) -> list[str]:
        return list(self._items)

    def get(self, item_id: str) -> Candidate:
        return self._items[item_id]

    def ranked(self) -> list[Candidate]:
        return sorted(self._items.values(), key=lambda c: -c.final_score)

    def summary(self, limit: int = 10) -> list[dict[str, Any]]:
        """Compact view for the LLM: ids, catalog titles, years, scores."""
        out = []
        for c in (self.ranked() if any(c.final_score for c in self._items.values()) else self._items.values()):
            it = self.catalog.get(c.item_id)
            out.append({"item_id": c.item_id, "title": it.display_title,
                        "score": round(c.final_score or c.retrieval_score, 4)})
            if len(out) >= limit:
                break
        return out
