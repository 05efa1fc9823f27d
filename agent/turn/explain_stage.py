"""The explanation stage: checked templates now, LLM sentences streamed in as they pass.

Why two steps: on this machine the default model needs over a second per card, so waiting for it
would hold the slate (measured in evals/results/explain.md). Every card is shown at once with its
claim template — exact, instant and checked — and the turn answers. Then, outside the session
lock, the LLM writes claim-by-claim sentences; each card whose text passes the check is updated
in the store (a new explanation row: the audit keeps both) and in the user's view (an
"explanation" event). A turn that finds the explainer busy with another session keeps its
templates: follow-ups never queue up behind each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agent.types import RecCard

Emit = Callable[[str, dict[str, Any]], None]


def _event(card: RecCard) -> dict[str, Any]:
    return {"rec_id": card.rec_id, "explanation": card.explanation, "explanation_path": card.explanation_path,
            "check_passed": card.check_passed, "evidence_lines": list(card.evidence_lines)}


def _with(card: RecCard, exp: dict[str, Any]) -> RecCard:
    return replace(card, explanation=exp["text"], explanation_path=exp["path"],
                   check_passed=bool(exp["check"].get("passed")), evidence_lines=tuple(exp.get("lines", ())),
                   evidence=card.evidence["bundle"].to_dict() if "bundle" in card.evidence else card.evidence)


def explain_now(agent: Any, cards: list[RecCard], emit: Emit) -> list[RecCard]:
    """Every card's checked claim template, stored and emitted (no model call, a few ms)."""
    if not cards:
        return cards
    explained = agent.explainer.templates([c.evidence["bundle"] for c in cards])
    agent.store.add_explanations([(c.rec_id, e["text"], e["path"], e["check"]) for c, e in zip(cards, explained,
                                                                                               strict=True)])
    out = []
    for card, exp in zip(cards, explained, strict=True):
        new = _with(card, exp)
        emit("explanation", _event(new))
        out.append(new)
    return out


def follow_up_job(agent: Any, cards: list[RecCard], bundles: list[Any], emit: Emit, *,
                  degraded: bool) -> Callable[[], dict] | None:
    """The LLM follow-up to run after the turn has answered, or None when it should not run.

    Admission: no model, degraded mode, the LLM marked down by the shared breaker, every LLM call
    slot of this process taken, follow-ups switched off, other turns running in this process (under
    load the CPU-served model's rewriting would slow their answers: 20 concurrent sessions measured
    p95 10 s with it), or the explainer already busy with another turn -> the templates stand (each
    is exact and checked).

    Why the gate and not this turn's view of it: a turn refused the planner because the model could
    not plan within the turn's budget (2 s predicted against 1.05 s left, on two cores) reads the LLM
    as down for itself; but the follow-up runs after the answer, outside that budget, and on this
    machine that refusal is every turn's -- it left no card with model-written text (bench_explain:
    0 of 60 cards, against 57% when the planner fitted the budget).
    """
    explainer = agent.explainer
    limit = float(getattr(agent.settings, "explain_follow_up_s", 0.0) or 0.0)
    gate = agent.gate
    if (degraded or not cards or limit <= 0 or not getattr(explainer, "can_follow_up", False)
            or time.monotonic() < gate.down_until() or gate.saturated() or agent.admission.crowded()):
        return None
    by_index = {i: c for i, c in enumerate(cards)}

    def on_passed(i: int, exp: dict[str, Any]) -> None:
        card = by_index[i]
        agent.store.add_explanation(card.rec_id, exp["text"], exp["path"], exp["check"])
        emit("explanation", _event(_with(card, exp)))

    def on_refused(i: int, exp: dict[str, Any]) -> None:
        # the card keeps its template; the stored row records the model's refused sentences and why
        agent.store.add_explanation(by_index[i].rec_id, exp["text"], exp["path"], exp["check"])

    def run() -> dict:
        t0 = time.perf_counter()
        counts = explainer.follow_up(bundles, on_passed, limit, on_refused)
        counts["ms"] = round((time.perf_counter() - t0) * 1000, 1)
        emit("explanations_done", counts)
        return counts

    return run
