"""LLM explanations in the form a small model gets right: pick this card's claims, one sentence each.

Why this form (measured: ``python -m evals.bench_explain``): asked for free sentences that cite
fact keys, the 135M default model passed the check 22.5% of the time. Here the model only
chooses and orders claim keys (guided decoding: an enum) and writes one short sentence per
chosen claim, next to that claim's plain template clause; the prompt lists the card's own claims.

Why one schema for every card (``CLAIM_SCHEMA``, an enum of every claim key there is): the server
compiles a grammar per distinct schema, and an enum of each card's own keys made most cards a new
schema -- a compile on the request path ("Deferred" in vLLM's log), on two CPU cores a
noticeable share of an explanation's time. A key the model picks that is not on this card is
dropped when the reply is read (it names no reason of this film); a reply with none left is a
failed attempt. Each sentence is checked on its own against its claim (lexical + polarity +
relation + "mainly"), so one bad sentence costs that sentence, not the card: passing sentences
are shown, a failed one is dropped, and if the main reason's sentence did not pass its template
sentence is put first. With no passing sentence after one regeneration, the template stands.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from typing import Any

from tools.errors import is_llm_unavailable
from tools.explain.claim_check import check_card
from tools.explain.claim_text import claim_sentence, clause, template_from_claims
from tools.explain.claims import Claim, Relation
from tools.explain.evidence import EvidenceBundle
from tools.explain.explainer import (
    DEADLINE_ERROR,
    MIN_CALL_S,
    Explanation,
    StructuredOutputError,
    _join,
    evidence_lines,
    structured_json_call,
)
from tools.explain.faithfulness import CheckResult, Sentence
from tools.explain.faithfulness_titles import TitleIndex

log = logging.getLogger(__name__)
PROMPT_ID = "explain-claims-v2"
SYSTEM_PROMPT = (
    "You tell a movie fan in plain, friendly words why a movie was picked for them. Below are the movie's "
    "reasons, each with a key. Choose the one or two best reasons and rewrite each as ONE short sentence in "
    "your own words. Keep every name and number exactly as written; add nothing else. Reply with JSON only."
)
#: one worked example (a small model copies the shape of what it is shown; its names and numbers differ
#: from any real card's, so a copied sentence fails the check instead of passing by accident)
EXAMPLE_USER = (
    "Movie: Example Film (1999)\nReasons:\n"
    "- popular: it is a well-known pick, mentioned in 7 past conversations\n"
    "- matches_genre: it is a comedy film, as you asked"
)
EXAMPLE_REPLY = (
    '{"sentences": [{"claim": "matches_genre", "text": "You wanted a comedy, and Example Film is one."}, '
    '{"claim": "popular", "text": "It is a crowd favourite, mentioned in 7 past conversations."}]}'
)
#: one sentence per claim, and no JSON debris (a small model sometimes runs on past its sentence)
_DEBRIS = re.compile(r"[{}\[\]<>]|\\\\")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


#: every key a claim can have (tools/explain/claims.py): one per relation, and ``avoids_1``..``avoids_3``
#: for the ruled-out genres and person a card meets (``_constraints``)
CLAIM_KEYS: tuple[str, ...] = (*(r.value for r in Relation if r is not Relation.AVOIDS),
                               *(f"avoids_{n}" for n in (1, 2, 3)))


def claim_schema(keys: Sequence[str] = CLAIM_KEYS, max_chars: int = 100) -> dict[str, Any]:
    return {"type": "object", "properties": {"sentences": {
        "type": "array", "minItems": 1, "maxItems": min(2, max(1, len(keys))),
        "items": {"type": "object", "properties": {
            "claim": {"type": "string", "enum": list(keys)},
            "text": {"type": "string", "minLength": 8, "maxLength": max_chars}},
            "required": ["claim", "text"], "additionalProperties": False}}},
        "required": ["sentences"], "additionalProperties": False}


#: the one schema every card is explained with (see the module docstring)
CLAIM_SCHEMA = claim_schema()


def _messages(bundle: EvidenceBundle, claims: Sequence[Claim]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    name = f"{bundle.title} ({bundle.year})" if bundle.year else bundle.title
    reasons = "\n".join(f"- {c.key}: {clause(c)}" for c in claims)
    return [SystemMessage(SYSTEM_PROMPT), HumanMessage(EXAMPLE_USER), AIMessage(EXAMPLE_REPLY),
            HumanMessage(f"Movie: {name}\nReasons:\n{reasons}")]


def _display(bundle: EvidenceBundle) -> str | None:
    return f"{bundle.title} ({bundle.year})" if bundle.year else None


def check_claim_sentences(sentences: Sequence[Sentence], bundle: EvidenceBundle,
                          index: TitleIndex | None) -> CheckResult:
    return check_card(sentences, bundle.facts(), bundle.claims, index, display_title=_display(bundle))


def template_explanation(bundle: EvidenceBundle, index: TitleIndex | None, *, t0: float, attempts: int = 0,
                         rejected: Sequence[str] = (), error: str | None = None, degraded: bool = False,
                         checks: Sequence[CheckResult] = ()) -> Explanation:
    sents = template_from_claims(bundle.claims, bundle.title)
    check = check_claim_sentences(sents, bundle, index)
    if not check.passed and len(sents) > 1:  # keep the main reason if the rest is what failed
        log.error("claim template for item %s failed the check: %s", bundle.item_id, check.violations)
        sents = sents[:1]
        check = check_claim_sentences(sents, bundle, index)
    if not check.passed:  # a template bug must never show an unchecked text: the plainest true sentence
        log.error("claim template for item %s failed the check: %s", bundle.item_id, check.violations)
        sents = [Sentence(f"{' '.join(bundle.title.split())} fits what you asked for.", ("item.title",))]
        check = check_claim_sentences(sents, bundle, index)
    return Explanation(bundle.item_id, _join(sents), tuple(sents), "template", check, PROMPT_ID, attempts,
                       tuple(rejected), error, degraded, (time.perf_counter() - t0) * 1000,
                       tuple(evidence_lines(bundle)), tuple(checks))


def _parse(obj: dict[str, Any], keys: set[str]) -> list[Sentence]:
    """The reply's sentences about this card's claims, first one per claim; a sentence naming a
    claim the card does not have is dropped (the schema allows every key, the card has a few)."""
    items = obj.get("sentences")
    if not isinstance(items, list) or not items:
        raise StructuredOutputError('reply JSON has no "sentences" list')
    out: list[Sentence] = []
    off_card: list[str] = []
    for it in items:
        if not isinstance(it, dict) or not isinstance(it.get("text"), str) or not isinstance(it.get("claim"), str):
            raise StructuredOutputError("every sentence needs a 'claim' key and a 'text'")
        if it["claim"] not in keys:
            off_card.append(it["claim"])
            continue
        text = _SENTENCE_END.split(" ".join(it["text"].split()))[0].rstrip(",;: ")
        if _DEBRIS.search(text):
            raise StructuredOutputError(f"sentence {text[:60]!r} carries markup; write plain words")
        if all(s.evidence_keys[0] != it["claim"] for s in out):
            out.append(Sentence(text, (str(it["claim"]),)))
    if not out:
        raise StructuredOutputError(f"no sentence names a reason of this card (named: {', '.join(off_card)}); "
                                    f"use the keys listed under Reasons")
    return out


def explain_with_claims(bundle: EvidenceBundle, chat_model: Any, index: TitleIndex | None = None, *,
                        deadline: float | None = None, max_tokens: int = 120) -> Explanation:
    """A checked explanation for a card with claims; never raises for LLM trouble (the template is the floor)."""
    t0 = time.perf_counter()
    index = TitleIndex.coerce(index)
    claims = list(bundle.claims)
    if chat_model is None or not claims:
        return template_explanation(bundle, index, t0=t0, error="no LLM available" if chat_model is None else None,
                                    degraded=chat_model is None)
    messages = _messages(bundle, claims)
    schema = CLAIM_SCHEMA
    by_key = {c.key: c for c in claims}
    rejected: list[str] = []
    checks: list[CheckResult] = []
    for attempt in (1, 2):
        kwargs: dict[str, Any] = {"max_tokens": max_tokens, "temperature": 0.0}
        if deadline is not None:
            left = deadline - time.monotonic()
            if left < MIN_CALL_S:
                return template_explanation(bundle, index, t0=t0, attempts=attempt - 1, rejected=rejected,
                                            error=DEADLINE_ERROR, checks=checks)
            kwargs["timeout"] = left
        try:
            obj, raw = structured_json_call(chat_model, messages, schema, "claims", **kwargs)
            sents = _parse(obj, set(by_key))
        except StructuredOutputError as exc:
            rejected.append(f"attempt {attempt}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - any LLM failure leaves the template in place
            late = deadline is not None and time.monotonic() >= deadline - 0.05
            return template_explanation(bundle, index, t0=t0, attempts=attempt, rejected=rejected,
                                        error=DEADLINE_ERROR if late else f"{type(exc).__name__}: {exc}",
                                        degraded=not late and is_llm_unavailable(exc), checks=checks)
        passed: list[Sentence] = []
        for s in sents:
            if len(s.text.split()) < 5 or not re.search(r"\b(is|are|was|were|has|have|had|came|went|raised|lowered|"
                                                         r"liked|loved|asked|made|stars|fits|matches)\b", s.text, re.I):
                # a bare title or a fragment is not an explanation, even when every word in it is true
                rejected.append(f"attempt {attempt}, {s.evidence_keys[0]}: {s.text!r} -> not a sentence")
                continue
            check = check_claim_sentences([s], bundle, index)
            checks.append(check)
            if check.passed:
                passed.append(s)
            else:
                rejected.append(f"attempt {attempt}, {s.evidence_keys[0]}: {s.text!r} -> " + "; ".join(check.violations))
        if passed:
            top = next((c for c in claims if c.top), None)
            if top is not None and all(s.evidence_keys[0] != top.key for s in passed):
                passed = [claim_sentence(top), *passed][:3]
            final = check_claim_sentences(passed, bundle, index)
            if final.passed:
                return Explanation(bundle.item_id, _join(passed), tuple(passed),
                                   "llm" if attempt == 1 else "llm_regenerated", final, PROMPT_ID, attempt,
                                   tuple(rejected), None, False, (time.perf_counter() - t0) * 1000,
                                   tuple(evidence_lines(bundle)), tuple(checks))
            rejected.append(f"attempt {attempt}: together: " + "; ".join(final.violations))
        if attempt == 1:
            from langchain_core.messages import AIMessage, HumanMessage

            messages = [*messages, AIMessage(raw), HumanMessage(
                "Those sentences failed the fact check:\n- " + "\n- ".join(rejected[-4:])
                + "\nWrite them again, saying only what each reason says.")]
    return template_explanation(bundle, index, t0=t0, attempts=2, rejected=rejected, checks=checks)
