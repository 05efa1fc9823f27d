"""Evidence that the model did the work: the LLM server's own request counters, and the turn's records.

Why: WhyRec is built to keep working when the model does not -- a planning failure falls back to
a fixed plan, the deterministic parser reads genres and titles, explanations fall back to
templates that pass the checker by construction. So an end-to-end run that checks only what the
user sees passes with every LLM call failing; it proves the server is reachable, not that the
model contributed. Two independent witnesses close that gap:

1. the turn's own records (``TurnResult.stage_ms["model_tool_calls"]``: the first N entries of the
   trace are the calls the MODEL made; the stored planning note; each card's audited explanation
   attempts), read by :func:`turn_llm_use`;
2. the server's count of completed requests (vLLM's Prometheus ``/metrics``,
   ``vllm:request_success_total``), read by :class:`RequestCounter`, which must grow by at least as
   many requests as the records claim.

:func:`contribution_problems` compares the two; an empty list means the model demonstrably
contributed. "At least", not "exactly": other clients (a second test run, the UI) may share the
server, and their requests only add to the count; a missing request can still not be hidden.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: vLLM (v1 engine, 0.32) counts each finished request here, labelled by finish reason ("stop", "length",
#: "repetition", "abort", "error"); aborted and failed requests are no answer and are not counted
SUCCESS_COUNTER = "vllm:request_success_total"
ANSWERED_REASONS = ("stop", "length", "repetition")
#: tools whose call fills the candidate list: a model that made one of these chose what to look for
RETRIEVAL_TOOLS = ("search_items", "similar_items")
#: planning notes the agent stores when the model's plan did not run (loop.py, agent/turn/runner.py)
FAILED_PLAN_NOTES = ("planning failed", "planning skipped")

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?:\{{(?P<labels>.*)\}})?\s+(?P<value>\S+)(?:\s+-?\d+)?\s*$")
_LABEL = re.compile(r'\s*(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*(?:,|$)')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float


def parse_prometheus(text: str) -> list[Sample]:
    """Every sample of a Prometheus text exposition (comments and blank lines skipped).

    Raises ValueError naming the line for a line that is not a sample: a half-read or non-Prometheus
    page must not be read as "the counter is 0".
    """
    if not isinstance(text, str):
        raise ValueError(f"metrics text must be a str, got {type(text).__name__}")
    out: list[Sample] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            raise ValueError(f"metrics line {n} is not a Prometheus sample: {line[:120]!r}")
        labels: dict[str, str] = {}
        raw = (m.group("labels") or "").strip()
        pos = 0
        while pos < len(raw):
            lm = _LABEL.match(raw, pos)
            if lm is None:
                raise ValueError(f"metrics line {n} has malformed labels: {raw[:120]!r}")
            labels[lm.group("key")] = re.sub(r"\\(.)", lambda x: {"n": "\n"}.get(x.group(1), x.group(1)),
                                             lm.group("value"))
            pos = lm.end()
        try:
            value = float(m.group("value"))
        except ValueError:
            raise ValueError(f"metrics line {n} has a non-numeric value: {line[:120]!r}") from None
        out.append(Sample(m.group("name"), labels, value))
    return out


def counter_total(text: str, name: str = SUCCESS_COUNTER, *, labels: Mapping[str, str] | None = None,
                  reasons: Sequence[str] | None = ANSWERED_REASONS) -> float:
    """The sum of counter ``name`` over its series whose labels include ``labels``.

    ``reasons``: only series whose ``finished_reason`` label is one of these (None: all), so requests
    the server aborted are not counted as answered. Raises ValueError when the page has no such counter
    at all -- a server that does not export it (another version, metrics disabled) cannot vouch for
    anything, and reading that as 0 would blame the model.
    """
    samples = [s for s in parse_prometheus(text) if s.name == name]
    if not samples:
        known = sorted({s.name for s in parse_prometheus(text) if s.name.endswith("_total")})
        raise ValueError(f"the metrics have no counter {name!r}; counters present: {', '.join(known[:20]) or 'none'}")
    total = 0.0
    for s in samples:
        if labels and any(s.labels.get(k) != v for k, v in labels.items()):
            continue
        if reasons is not None and "finished_reason" in s.labels and s.labels["finished_reason"] not in reasons:
            continue
        if math.isnan(s.value) or s.value < 0:
            raise ValueError(f"counter {name} has an impossible value {s.value} for {dict(s.labels)}")
        total += s.value
    return total


def metrics_url(base_url: str) -> str:
    """``http://h:p/v1`` -> ``http://h:p/metrics`` (vLLM serves metrics at the root, not under /v1)."""
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ValueError(f"LLM base URL {base_url!r} must start with http:// or https://")
    base = base_url.rstrip("/")
    return (base[: -len("/v1")] if base.endswith("/v1") else base) + "/metrics"


def read_metrics(base_url: str, timeout_s: float = 5.0) -> str:
    """The server's ``/metrics`` page (redirects followed; an HTTP error raises)."""
    import httpx

    r = httpx.get(metrics_url(base_url), timeout=timeout_s, follow_redirects=True)
    r.raise_for_status()
    return r.text


class RequestCounter:
    """Requests the server reports answered since this object was made.

    ``model``: count only that ``model_name`` label (several models may share a server). ``fetch``
    replaces :func:`read_metrics` (tests).
    """

    def __init__(self, base_url: str, *, model: str | None = None, name: str = SUCCESS_COUNTER,
                 fetch: Callable[[str], str] | None = None) -> None:
        self.base_url = base_url
        self.name = name
        self.labels = {"model_name": model} if model else None
        self._fetch = fetch or read_metrics
        self.start = self.total()

    def total(self) -> float:
        return counter_total(self._fetch(self.base_url), self.name, labels=self.labels)

    def served(self, at_least: float = 0, wait_s: float = 3.0) -> float:
        """Requests answered since the start; waits up to ``wait_s`` for ``at_least`` of them.

        Why wait: the engine updates its counters just after it hands out the last token, so a
        client that asks /metrics at once may read the count from a moment before its own request.
        """
        if at_least < 0 or wait_s < 0:
            raise ValueError("at_least and wait_s must be >= 0")
        deadline = time.monotonic() + wait_s
        while True:
            delta = self.total() - self.start
            if delta >= at_least or time.monotonic() >= deadline:
                return delta
            time.sleep(0.1)


@dataclass
class TurnLLMUse:
    """What one turn's own records say the model did (``turn_llm_use``)."""

    turn_index: int
    degraded: bool
    #: calls the model made while planning (the first entries of the trace); None: no planning ran
    model_calls: int | None
    #: of those, ok retrieval calls: the candidates came from the model's choice, not the fixed plan
    model_retrievals_ok: int
    plan_note: str
    #: per card: LLM explanation requests made, of them answered with a reply that was checked (passed
    #: or rejected), and the path shown
    explanation_attempts: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def llm_requests(self) -> int:
        """LLM requests these records prove were answered: one planning round trip when the model made a
        call, plus every explanation attempt whose reply was checked (passed or rejected)."""
        planning = 1 if self.model_calls else 0
        return planning + sum(answered for _, answered, _ in self.explanation_attempts)


def complete_turn(agent: Any, session_id: str, text: str, late: list[dict[str, Any]] | None = None) -> Any:
    """``agent.turn`` that also waits for the turn's LLM explanation follow-up, so the store holds every
    explanation the model was asked for (``turn`` answers at the "final" event, before the follow-up).
    ``late``, when given, receives the explanation events that arrived after the answer."""
    from agent.types import TurnResult

    final = None
    for ev in agent.stream_turn(session_id, text):
        if ev.kind == "final":
            final = ev.data
        elif ev.kind == "explanation" and final is not None and late is not None:
            late.append(ev.data)
    if final is None:
        raise RuntimeError("the turn ended without a final event")
    return TurnResult.from_dict(final)


def _answered(made: int, rejected: Sequence[str], path: str) -> int:
    """How many of a card's ``made`` LLM requests got a reply that was checked.

    The claim explainer logs each refusal as "attempt N: ..." (one reply can lose several sentences,
    so entries are not requests): the answered requests are the distinct attempts it names, plus the
    one whose text is shown when the path is not the template. An entry without that prefix is one
    refused reply. A request that failed (an error, no reply) names no attempt and shows no text."""
    attempts: set[int] = set()
    loose = 0
    for r in rejected:
        m = re.match(r"attempt (\d+)", str(r))
        if m:
            attempts.add(int(m.group(1)))
        else:
            loose += 1
    if path != "template" and made:
        attempts.add(made)
    return min(made, len(attempts) + loose)


def turn_llm_use(result: Any, store: Any) -> TurnLLMUse:
    """Read a ``TurnResult``'s records: the trace split at ``stage_ms["model_tool_calls"]``, the planning note
    the agent stored with its reply, and each card's audited explanation (``store.recommendation``)."""
    stage = dict(getattr(result, "stage_ms", None) or {})
    trace = list(result.tool_trace)
    n = stage.get("model_tool_calls")
    model_calls = None if n is None else int(n)
    if model_calls is not None and not 0 <= model_calls <= len(trace):
        raise ValueError(f"stage_ms model_tool_calls={n} does not fit a trace of {len(trace)} calls")
    made = trace[:model_calls] if model_calls else []
    note = ""
    for m in store.messages(result.session_id):
        if m["role"] == "assistant" and m["turn_index"] == result.turn_index:
            note = str((m.get("metadata") or {}).get("plan_note") or "")
    attempts = []
    for card in result.recommendations:
        exp = store.recommendation(card.rec_id).get("explanation") or {}
        check = exp.get("check") or {}
        made_n = int(check.get("llm_attempts") or 0)
        path = str(exp.get("path") or card.explanation_path)
        attempts.append((made_n, _answered(made_n, check.get("rejected") or (), path), path))
    return TurnLLMUse(result.turn_index, bool(result.degraded), model_calls,
                      sum(1 for t in made if t.tool in RETRIEVAL_TOOLS and t.ok), note, attempts)


def contribution_problems(turns: Sequence[TurnLLMUse], served: float | None, *,
                          require_explanations: bool = True) -> list[str]:
    """Why the records do not prove the model contributed; empty when they do.

    Per turn: not degraded; the planner ran and its note is not a failure; the model made at least one
    ok retrieval call (else the fixed plan found the candidates); with ``require_explanations`` every
    card had an LLM explanation request whose replies were all checked (a template after an LLM error
    is the fallback, not the model's answer). Overall: the server answered at least as many requests as
    the records claim (``served`` from :meth:`RequestCounter.served`; None skips that witness).
    """
    if not turns:
        raise ValueError("no turns to judge")
    problems: list[str] = []
    for t in turns:
        where = f"turn {t.turn_index}"
        if t.degraded:
            problems.append(f"{where}: degraded (limited mode)")
        if t.model_calls is None:
            problems.append(f"{where}: no planning ran (no model_tool_calls in stage_ms)")
        elif t.model_calls == 0:
            problems.append(f"{where}: the model made no tool call; the fixed plan ran alone")
        elif t.model_retrievals_ok == 0:
            problems.append(f"{where}: none of the model's {t.model_calls} calls was an ok retrieval; "
                            "the candidates came from the fixed plan")
        if t.plan_note.startswith(FAILED_PLAN_NOTES):
            problems.append(f"{where}: {t.plan_note}")
        if require_explanations:
            for rank, (made, answered, path) in enumerate(t.explanation_attempts, 1):
                if made == 0:
                    problems.append(f"{where}, card {rank}: no LLM explanation was requested ({path})")
                elif answered < made:
                    problems.append(f"{where}, card {rank}: {made - answered} of {made} LLM explanation "
                                    f"requests failed without a checked reply ({path})")
    if served is not None:
        claimed = sum(t.llm_requests for t in turns)
        if served < claimed:
            problems.append(f"the server answered {served:g} requests, fewer than the {claimed} the turns' "
                            "records claim")
    return problems
