"""Writing recommendations in the audit trail's shape from a bare ``EvidenceBundle`` (tests only).

The live turn stores cards itself (agent/turn/cards.py); these helpers let the audit tests
write the same rows without running a turn, in this process or in a separate one.
"""

from __future__ import annotations

from typing import Any

from tools.explain.evidence import EvidenceBundle


def record_recommendation(store: Any, *, session_id: str, turn_index: int, rank: int, bundle: EvidenceBundle,
                          explanation: Any = None, scores: dict[str, float] | None = None,
                          rec_id: str | None = None) -> str:
    """Append one recommendation (and its checked explanation, if ready) to the audit trail.

    ``explanation`` is a ``tools.explain.explainer.Explanation``; it may also be added later with
    ``record_explanation`` (explanations can arrive after the card is shown).
    """
    rec = store.add_recommendation(
        session_id=session_id, turn_index=turn_index, item_id=bundle.item_id, rank=rank,
        scores=dict(scores if scores is not None else bundle.scores), evidence=bundle.to_dict(),
        versions=dict(bundle.versions), title=bundle.title, rec_id=rec_id,
    )
    if explanation is not None:
        record_explanation(store, rec, explanation)
    return rec


def record_explanation(store: Any, rec_id: str, explanation: Any) -> int:
    """Store a checked explanation with its path, check result, prompt id and rejected attempts."""
    check = explanation.check.to_dict()
    check.update({
        "prompt_id": explanation.prompt_id, "llm_attempts": explanation.llm_attempts,
        "rejected": list(explanation.rejected), "error": explanation.error, "degraded": explanation.degraded,
        "sentences": [s.to_dict() for s in explanation.sentences], "latency_ms": round(explanation.latency_ms, 1),
        "attempt_checks": [c.to_dict() for c in explanation.attempt_checks],
    })
    return store.add_explanation(rec_id, explanation.text, explanation.path, check)
