"""Glue between the turn and the explanation tools: which cards get LLM text, and when.

Why here: ``tools/explain`` provides the explainers as pure functions; the agent decides
whether the LLM may be used (degraded mode -> templates only) and bounds the time it may
take. Every explanation shown has passed the faithfulness check: each card's checked template
is shown first (``templates``), and an LLM text replaces it only once it passes the check
(``follow_up``).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from tools.catalog.catalog import Catalog
from tools.explain.explainer import DEADLINE_ERROR, explain_item
from tools.explain.faithfulness_titles import TitleIndex

log = logging.getLogger(__name__)


#: extra wait past the deadline for a call that is stopping itself (check + return)
_GRACE_S = 0.25


class CheckedExplainer:
    """bundles -> checked explanations as dicts: templates at once, LLM texts within a deadline.

    Why a deadline: the user should not wait on a slow server for sentences a template can give
    faithfully. ``follow_up`` hands on each LLM explanation that passes the check within its
    ``deadline_s``; a card whose text is late or fails keeps its template, so every one shown is
    still checked.
    """

    def __init__(self, chat_model: Any | None, catalog: Catalog, max_concurrency: int = 5) -> None:
        self.chat_model = chat_model
        self.index = TitleIndex.coerce(catalog)
        self.max_concurrency = max_concurrency
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="explain")
        self._busy = threading.Lock()
        #: how many cards (the slate's first) a follow-up asks the model for: what it last finished in time
        self.cards_that_fit = max_concurrency

    def _learn_fit(self, tried: int, in_time: int, late: int) -> None:
        """Size the next follow-up by this one (under ``_busy``).

        Why: on a CPU-served model the cards' calls share the cores, so five started together can all
        end late where one alone finishes (two cores here: ~4 s a call alone, every card of five late
        in the 8 s window, 0 of 225 cards with model text, and the stream held open for the whole
        window). Late cards shrink the next follow-up to the number that finished in time (at least
        one: the top card is always tried, so the estimate can recover); a follow-up that finished
        every card it tried tries one more next time, up to ``max_concurrency``.
        """
        if late:
            self.cards_that_fit = max(1, in_time)
        elif tried >= self.cards_that_fit:
            self.cards_that_fit = min(self.max_concurrency, self.cards_that_fit + 1)

    @staticmethod
    def as_dict(exp: Any) -> dict[str, Any]:
        check = exp.to_dict()["check"] | {
            "llm_attempts": exp.llm_attempts, "rejected": list(exp.rejected), "prompt_id": exp.prompt_id,
            "sentences": [s.to_dict() for s in exp.sentences]}
        if exp.error:
            check["error"] = exp.error
        return {"text": exp.text, "path": exp.path, "check": check, "lines": list(exp.evidence_lines)}

    def templates(self, bundles: list[Any]) -> list[dict[str, Any]]:
        """The checked template of every card, at once (no model call)."""
        return [self.as_dict(explain_item(b, None, self.index)) for b in bundles]

    @property
    def can_follow_up(self) -> bool:
        """True when a model is configured and no earlier turn's follow-up still holds the explainer busy.

        Why: follow-ups of many sessions must not pile up on one small server and delay every
        turn's planning; a turn that finds the explainer busy keeps its templates (admission control).
        """
        return self.chat_model is not None and not self._busy.locked()

    def follow_up(self, bundles: list[Any], on_passed: Any, deadline_s: float,
                  on_refused: Any = None) -> dict[str, int]:
        """LLM explanations for ``bundles``, each handed to ``on_passed(i, explanation_dict)`` as soon as
        it passes the check (in completion order); cards whose text is late or fails keep their template.
        ``on_refused(i, explanation_dict)`` gets the template outcome of a card whose model replies were
        asked for and refused (checked and rejected, or an error): the audit keeps what the model said and
        why it was not shown. Returns counts by outcome."""
        from concurrent.futures import as_completed

        from tools.explain.claim_llm import explain_with_claims

        counts = {"llm": 0, "template": 0, "late": 0}
        if not bundles or not self._busy.acquire(blocking=False):
            counts["template"] = len(bundles)
            return counts
        try:
            deadline = time.monotonic() + deadline_s
            tried = bundles[:self.cards_that_fit]  # the slate's first cards: the ones read first
            counts["tried"], counts["not_tried"] = len(tried), len(bundles) - len(tried)
            futures = {self._pool.submit(explain_with_claims, b, self.chat_model, self.index, deadline=deadline): i
                       for i, b in enumerate(tried)}
            try:
                for fut in as_completed(futures, timeout=deadline_s + _GRACE_S):
                    exp = fut.result()
                    counts["sentences_tried"] = counts.get("sentences_tried", 0) + len(exp.attempt_checks)
                    counts["sentences_passed"] = counts.get("sentences_passed", 0) + sum(
                        c.passed for c in exp.attempt_checks)
                    if exp.path != "template":
                        counts["llm"] += 1
                        on_passed(futures[fut], self.as_dict(exp))
                    else:
                        counts["late" if exp.error == DEADLINE_ERROR else "template"] += 1
                        if on_refused is not None and exp.llm_attempts > 0:
                            on_refused(futures[fut], self.as_dict(exp))
            except FutureTimeout:
                for fut in futures:
                    fut.cancel()
                counts["late"] += sum(not f.done() for f in futures)
            self._learn_fit(len(tried), counts["llm"] + counts["template"], counts["late"])
            counts["fit_next"] = self.cards_that_fit
        finally:
            self._busy.release()
        return counts
