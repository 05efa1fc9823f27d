"""What a turn emits while it runs: card dicts, reply chunks, and tool calls reported as they happen.

Why a module of its own: both the turn pipeline (agent/turn/runner.py) and the session plumbing
(agent/loop.py) stream the same events; keeping their shapes here lets the pipeline stand on its
own instead of importing back from the loop that calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from agent.types import RecCard
from tools.toolbox.agent_tools import Toolbox, ToolOutcome


class ObservedToolbox:
    """A Toolbox view that reports each call as it starts and ends (for streaming and the trace)."""

    def __init__(self, toolbox: Toolbox, on_outcome: Callable[[ToolOutcome], None],
                 emit: Callable[[str, dict[str, Any]], None]) -> None:
        self._tb = toolbox
        self._on = on_outcome
        self._emit = emit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tb, name)

    def run(self, name: str, arguments: Any) -> ToolOutcome:
        self._emit("tool_start", {"tool": name, "arguments": arguments if isinstance(arguments, dict) else {}})
        outcome = self._tb.run(name, arguments)
        self._on(outcome)
        return outcome


def chunks(text: str, size: int = 24) -> Iterator[str]:
    words = text.split(" ")
    buf: list[str] = []
    for w in words:
        buf.append(w)
        if sum(len(x) + 1 for x in buf) >= size:
            yield " ".join(buf) + " "
            buf = []
    if buf:
        yield " ".join(buf)


def card_dict(card: RecCard) -> dict[str, Any]:
    d = {k: v for k, v in card.__dict__.items() if k != "evidence"}
    d["evidence"] = {}  # the bundle follows with the explanation event and in the final result
    d["tags"] = list(card.tags)
    d["evidence_lines"] = list(card.evidence_lines)
    return d
