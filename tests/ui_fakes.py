"""A fake ``ChatAgent`` for UI tests (tests only; the product uses ``agent.loop.WhyRecAgent``).

It follows the ``ChatAgent`` protocol and writes the same rows the real agent writes
(session, messages, tool calls, recommendations, explanations, feedback) to a REAL
``Store``, so UI tests check real persistence. Its cards come from the items it is given
(a real catalog in the browser test). Ranking is a plain word-overlap score: this fake
exists to drive the UI, not to recommend well.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from agent.types import RecCard, ToolCallRecord, TurnEvent, TurnResult
from tools.catalog.catalog import Item


class FakeAgent:
    def __init__(self, store: Any, items: Sequence[Item], *, degraded: bool = False, k: int = 3,
                 fail_with: Exception | None = None) -> None:
        self.store = store
        self.items = list(items)
        self.degraded = degraded
        self.k = k
        self.fail_with = fail_with
        self.turns: dict[str, int] = {}
        self.feedback_calls: list[tuple[str, str, str]] = []

    def new_session(self, user_id: str | None = None) -> str:
        return self.store.create_session(user_id)

    def _rank(self, text: str) -> list[Item]:
        words = {w.strip(".,!?").lower() for w in text.split() if len(w) >= 2}

        def overlap(it: Item) -> float:
            bag = {w.lower() for w in (it.title.split() + list(it.tags) + list(it.genres))}
            return len(words & bag) + 1e-3 * it.popularity

        return sorted(self.items, key=overlap, reverse=True)[: self.k]

    def stream_turn(self, session_id: str, text: str) -> Iterator[TurnEvent]:
        self.store.session(session_id)  # NotFoundError for an unknown session, like the real agent
        start = time.perf_counter()
        turn = self.turns.get(session_id, 0)
        self.turns[session_id] = turn + 1
        self.store.add_message(session_id, turn, "user", text)
        if self.degraded:
            yield TurnEvent("status", {"degraded": True, "message": "Limited mode: the language model is offline."})
        args = {"query": text, "k": self.k}
        yield TurnEvent("tool_start", {"tool": "search_items", "arguments": args})
        picked = self._rank(text)
        if self.fail_with is not None:
            raise self.fail_with
        record = ToolCallRecord("search_items", args, 12.5, True, f"{len(picked)} items")
        self.store.add_tool_call(session_id, turn, record.tool, args, record.duration_ms, True, record.result_summary)
        yield TurnEvent("tool_end", asdict(record))
        reply = "Here are a few picks you might enjoy."
        for chunk in ("Here are a few ", "picks you might enjoy."):
            yield TurnEvent("text_delta", {"text": chunk})
        cards = []
        for rank, it in enumerate(picked, start=1):
            lines = (f"It is tagged {', '.join(it.tags[:3]) or 'like your request'}.",
                     f"Popularity in the catalog: {it.popularity:g}.")
            rec_id = self.store.add_recommendation(
                session_id=session_id, turn_index=turn, item_id=it.item_id, rank=rank,
                scores={"fake": 1.0 / rank}, evidence={"lines": list(lines)}, versions={"agent": "fake"},
                title=it.title)
            pending = RecCard(rec_id, it.item_id, it.title, it.year, tuple(it.tags[:4]), rank, 1.0 / rank, "",
                              "", False, lines)
            yield TurnEvent("recommendation", pending.to_dict())
            explanation = f"Recommended because {it.title} matches what you asked for: {lines[0].lower()}"
            self.store.add_explanation(rec_id, explanation, "llm", {"passed": True})
            yield TurnEvent("explanation", {"rec_id": rec_id, "explanation": explanation,
                                            "explanation_path": "llm", "check_passed": True})
            cards.append(RecCard(rec_id, it.item_id, it.title, it.year, tuple(it.tags[:4]), rank, 1.0 / rank,
                                 explanation, "llm", True, lines))
        self.store.add_message(session_id, turn, "assistant", reply)
        result = TurnResult(session_id, turn, reply, tuple(cards), (record,), self.degraded,
                            (time.perf_counter() - start) * 1000)
        yield TurnEvent("final", result.to_dict())

    def turn(self, session_id: str, text: str) -> TurnResult:
        final = None
        for event in self.stream_turn(session_id, text):
            if event.kind == "final":
                final = event.data
        assert final is not None
        return TurnResult(**{**final, "recommendations": tuple(RecCard(**c) for c in final["recommendations"]),
                             "tool_trace": tuple(ToolCallRecord(**t) for t in final["tool_trace"])})

    def record_feedback(self, session_id: str, rec_id: str, kind: str) -> None:
        self.feedback_calls.append((session_id, rec_id, kind))
        self.store.add_feedback(rec_id, kind, session_id=session_id)

    def history(self, session_id: str) -> list[dict[str, Any]]:
        return self.store.messages(session_id)


def small_items() -> list[Item]:
    """A handful of real films (ReDial ids) with hand-written tags, for handler tests."""
    return [
        Item("78340", "Toy Story", 1995, ("Animation", "Family"), ("pixar", "toys", "friendship"), 120.0),
        Item("204334", "Up", 2009, ("Animation", "Adventure"), ("pixar", "balloons", "adventure"), 90.0),
        Item("111776", "The Shining", 1980, ("Horror",), ("scary", "hotel", "stephen king"), 80.0),
        Item("84779", "The Thing", 1982, ("Horror", "Sci-Fi"), ("scary", "antarctica", "80s"), 40.0),
        Item("187028", "The Matrix", 1999, ("Sci-Fi", "Action"), ("simulation", "kung fu"), 100.0),
    ]
