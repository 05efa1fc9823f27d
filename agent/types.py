"""Data that crosses the agent boundary: what a turn produces, and the agent interface.

Why here: the UI, the CLI ``chat`` command, evals and load tests all consume turns;
they depend on these types and on the ``ChatAgent`` protocol, never on the loop's
internals, so each can be tested with a fake agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol, runtime_checkable

FeedbackKind = Literal["like", "dislike", "accept", "watched"]
FEEDBACK_KINDS: tuple[str, ...] = ("like", "dislike", "accept", "watched")

EventKind = Literal["tool_start", "tool_end", "text_delta", "recommendation", "explanation", "status", "final"]


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call as shown in the UI's trace and kept in the audit trail."""

    tool: str
    arguments: dict[str, Any]
    duration_ms: float
    ok: bool
    result_summary: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "arguments": dict(self.arguments), "duration_ms": self.duration_ms, "ok": self.ok,
                "result_summary": self.result_summary, "error": self.error}


@dataclass(frozen=True)
class RecCard:
    """One recommendation as shown to a user (titles always rendered from the catalog)."""

    rec_id: str
    item_id: str
    title: str
    year: int | None
    tags: tuple[str, ...]
    rank: int
    score: float
    explanation: str
    #: "llm" (passed first time), "llm_regenerated" (passed after one retry) or "template"
    explanation_path: str
    check_passed: bool
    #: the evidence in plain words, one line each (the "why?" expander)
    evidence_lines: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A shallow dict (``evidence`` is the card's own JSON-ready dict, shared, not deep-copied: a turn
        serialises five of them per event and ``asdict``'s deep copy was a tenth of a turn's CPU)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["evidence"] = dict(self.evidence)
        return d


@dataclass(frozen=True)
class TurnEvent:
    """Streamed during a turn. ``data`` depends on ``kind``:

    - tool_start: {"tool", "arguments"}; tool_end: a ``ToolCallRecord`` as dict
    - text_delta: {"text"} (a chunk of the reply)
    - recommendation: a ``RecCard`` as dict (explanation may still be pending: "")
    - explanation: {"rec_id", "explanation", "explanation_path", "check_passed"}
    - status: {"degraded": bool, "message"}
    - final: a ``TurnResult`` as dict
    """

    kind: EventKind
    data: dict[str, Any]


@dataclass(frozen=True)
class TurnResult:
    session_id: str
    turn_index: int
    reply: str
    recommendations: tuple[RecCard, ...]
    tool_trace: tuple[ToolCallRecord, ...]
    degraded: bool
    latency_ms: float
    stage_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "turn_index": self.turn_index, "reply": self.reply,
                "recommendations": [c.to_dict() for c in self.recommendations],
                "tool_trace": [t.to_dict() for t in self.tool_trace], "degraded": self.degraded,
                "latency_ms": self.latency_ms, "stage_ms": dict(self.stage_ms)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TurnResult:
        """A ``final`` event's data back into a result (unknown card keys, e.g. ``intent``, are ignored)."""
        card_keys = {f.name for f in fields(RecCard)}
        cards = tuple(RecCard(**{**{k: v for k, v in c.items() if k in card_keys}, "tags": tuple(c.get("tags") or ()),
                                 "evidence_lines": tuple(c.get("evidence_lines") or ())})
                      for c in d.get("recommendations") or ())
        trace = tuple(ToolCallRecord(**t) for t in d.get("tool_trace") or ())
        return cls(d["session_id"], d["turn_index"], d["reply"], cards, trace, d["degraded"], d["latency_ms"],
                   d.get("stage_ms") or {})


@runtime_checkable
class ChatAgent(Protocol):
    """What entry points need from the agent."""

    def new_session(self, user_id: str | None = None) -> str: ...

    def stream_turn(self, session_id: str, text: str) -> Iterator[TurnEvent]: ...

    def turn(self, session_id: str, text: str) -> TurnResult: ...

    def record_feedback(self, session_id: str, rec_id: str, kind: FeedbackKind) -> None: ...

    def history(self, session_id: str) -> list[dict[str, Any]]: ...
