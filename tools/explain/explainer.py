"""Grounded explanations: LLM sentences from an ``EvidenceBundle``, checked before anyone sees them.

Flow per item: prompt (the bundle's facts, versioned by ``PROMPT_ID``) -> structured JSON
``{"sentences": [{"text", "evidence_keys"}]}`` from the served LLM -> faithfulness check
-> if it fails, ONE regeneration with the violations fed back -> if that fails too, the
deterministic template (tools/explain/templates.py), which passes the checker by
construction. So every explanation a user sees has passed the check, and ``path`` records
which route produced it ("llm", "llm_regenerated", "template").

The chat model is passed in (built by agent/llm/client.py); tools/ never imports agent/. When it is
None or unreachable, every item takes the template path at once (degraded mode) -- no
exception reaches the caller. Callers explain items concurrently (agent/explaining.py): the
server's throughput at 8 concurrent requests is ~6x that of one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.errors import WhyRecError, is_llm_unavailable
from tools.explain.evidence import CLAIMS_SCHEMA, EvidenceBundle
from tools.explain.faithfulness import CheckResult, Sentence, TitleIndex, check_sentences
from tools.explain.templates import evidence_lines, format_facts, template_sentences

log = logging.getLogger(__name__)

PROMPT_ID = "explain-v2"
PATHS = ("llm", "llm_regenerated", "template")

SYSTEM_PROMPT = (
    "You explain why a movie was recommended, in 1 to 3 short plain sentences.\n"
    "Use ONLY the facts listed by the user. Do not add actors, directors, awards, plots, years, numbers, "
    "genres or other movies that are not in the facts.\n"
    "For every sentence, list in evidence_keys the keys of the facts it uses.\n"
    'Reply with JSON only, like {"sentences": [{"text": "...", "evidence_keys": ["item.title"]}]}.'
)

#: one worked example (a small model copies the shape and length of what it is shown)
EXAMPLE_FACTS = (
    "- item.title: Example Movie\n- item.year: 2001\n- item.genres: Drama\n- item.tags: space, robots\n"
    '- retrieval.query: "robots in space"\n- retrieval.matched_terms: space, robots\n'
    "- collab.liked_contributors: Other Movie (61% of the score)"
)
EXAMPLE_REPLY = json.dumps({"sentences": [
    {"text": "Example Movie (2001) is a drama about space and robots, as you asked.",
     "evidence_keys": ["item.title", "item.year", "item.genres", "retrieval.matched_terms"]},
    {"text": "You liked Other Movie, which gave 61% of the score.", "evidence_keys": ["collab.liked_contributors"]},
]})

__all__ = [
    "PROMPT_ID", "Explanation", "StructuredOutputError", "evidence_lines", "explain_item",
    "explanation_schema", "structured_json_call",
]


class StructuredOutputError(WhyRecError, ValueError):
    """The model's reply was not JSON of the requested shape."""


@dataclass(frozen=True)
class Explanation:
    """A checked explanation for one item, and how it was produced (for the audit trail)."""

    item_id: str
    text: str
    sentences: tuple[Sentence, ...]
    path: str
    check: CheckResult
    prompt_id: str = PROMPT_ID
    llm_attempts: int = 0
    #: why earlier attempts were rejected (one entry per rejected attempt)
    rejected: tuple[str, ...] = ()
    error: str | None = None
    degraded: bool = False
    latency_ms: float = 0.0
    evidence_lines: tuple[str, ...] = field(default_factory=tuple)
    #: the check of every LLM attempt, in order (claim-level support of raw LLM text)
    attempt_checks: tuple[CheckResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id, "text": self.text, "sentences": [s.to_dict() for s in self.sentences],
            "path": self.path, "check": self.check.to_dict(), "prompt_id": self.prompt_id,
            "llm_attempts": self.llm_attempts, "rejected": list(self.rejected), "error": self.error,
            "degraded": self.degraded, "latency_ms": round(self.latency_ms, 1),
            "evidence_lines": list(self.evidence_lines),
            "attempt_checks": [c.to_dict() for c in self.attempt_checks],
        }


def explanation_schema(keys: Sequence[str], max_chars: int = 160) -> dict[str, Any]:
    """JSON schema for the reply, enforced by guided decoding.

    ``evidence_keys`` may only name the bundle's keys, and the bounds (1-3 sentences of at
    most ``max_chars`` characters, 1-4 keys each) stop a small model from rambling until the
    token limit cuts its JSON off. The checker still verifies everything.
    """
    key_schema: dict[str, Any] = {"type": "string", "enum": list(keys)} if keys else {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "minLength": 1, "maxLength": max_chars},
                        "evidence_keys": {"type": "array", "items": key_schema, "minItems": 1, "maxItems": 4},
                    },
                    "required": ["text", "evidence_keys"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["sentences"],
        "additionalProperties": False,
    }


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return str(content)


def parse_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (models sometimes wrap it in prose or code fences)."""
    try:
        obj = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise StructuredOutputError(f"reply is not JSON: {text[:120]!r}") from None
        try:
            obj = json.loads(text[start:end + 1])
        except ValueError as exc:
            raise StructuredOutputError(f"reply is not valid JSON ({exc}): {text[:120]!r}") from None
    if not isinstance(obj, dict):
        raise StructuredOutputError(f"reply is JSON but not an object: {text[:120]!r}")
    return obj


def structured_json_call(chat_model: Any, messages: list[Any], schema: dict[str, Any], name: str,
                         **bind_kwargs: Any) -> tuple[dict[str, Any], str]:
    """Call a LangChain chat model with a strict JSON-schema response format.

    vLLM enforces ``response_format`` = json_schema with guided decoding (``guided_json`` is
    ignored by the version we serve). Returns (parsed object, raw text).
    """
    fmt = {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
    try:
        reply = chat_model.bind(response_format=fmt, **bind_kwargs).invoke(messages)
    except Exception as exc:
        # langchain-openai parses json_schema replies itself and raises when the model ran out of
        # tokens mid-JSON: that is a bad reply (retry / template), not an unavailable server
        if type(exc).__name__ in ("LengthFinishReasonError", "ContentFilterFinishReasonError"):
            raise StructuredOutputError("the reply was cut off at the token limit; write shorter sentences") from exc
        raise
    raw = _content_text(getattr(reply, "content", reply))
    return parse_json_object(raw), raw


def _sentences_from(obj: dict[str, Any]) -> list[Sentence]:
    items = obj.get("sentences")
    if not isinstance(items, list):
        raise StructuredOutputError('reply JSON has no "sentences" list')
    out = []
    for it in items:
        if not isinstance(it, dict) or not isinstance(it.get("text"), str):
            raise StructuredOutputError('every sentence needs a "text" string')
        keys = it.get("evidence_keys") or []
        keys = [keys] if isinstance(keys, str) else [str(k) for k in keys]
        out.append(Sentence(it["text"].strip(), tuple(keys)))
    return out


def _join(sentences: Sequence[Sentence]) -> str:
    parts = []
    for s in sentences:
        t = " ".join(s.text.split())
        parts.append(t if t[-1:] in ".!?\"'\u201d)" else t + ".")
    return " ".join(parts)


def _messages(bundle: EvidenceBundle) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    return [
        SystemMessage(SYSTEM_PROMPT),
        HumanMessage(_user_prompt("Example Movie", EXAMPLE_FACTS)),
        AIMessage(EXAMPLE_REPLY),
        HumanMessage(_user_prompt(bundle.title, format_facts(bundle))),
    ]


def _user_prompt(title: str, facts: str) -> str:
    return (f"Recommended movie: {title}\nFacts (key: value):\n{facts}\n\n"
            "Explain in 1 to 3 short sentences why it was recommended, using only these facts.")


def _display_title(bundle: EvidenceBundle) -> str | None:
    return f"{bundle.title} ({bundle.year})" if bundle.year else None


def check_explanation(sentences: Sequence[Sentence], bundle: EvidenceBundle, index: TitleIndex) -> CheckResult:
    return check_sentences(sentences, bundle.facts(), index, display_title=_display_title(bundle))


def _template(bundle: EvidenceBundle, index: TitleIndex, *, t0: float, attempts: int, rejected: list[str],
              error: str | None, degraded: bool, checks: Sequence[CheckResult] = ()) -> Explanation:
    sents = template_sentences(bundle)
    check = check_explanation(sents, bundle, index)
    if not check.passed:  # cannot happen by construction; never show an unchecked or failing text
        log.error("template for item %s failed the check: %s", bundle.item_id, check.violations)
        sents = [Sentence(f"{' '.join(bundle.title.split())} matches your session.", ("item.title",))]
        check = check_explanation(sents, bundle, index)
    return Explanation(bundle.item_id, _join(sents), tuple(sents), "template", check, PROMPT_ID, attempts,
                       tuple(rejected), error, degraded, (time.perf_counter() - t0) * 1000,
                       tuple(evidence_lines(bundle)), tuple(checks))


#: below this many seconds before the deadline no LLM call is started (it could not finish)
MIN_CALL_S = 0.15
DEADLINE_ERROR = "explanation deadline reached"


def explain_item(bundle: EvidenceBundle, chat_model: Any, index: TitleIndex | Any = None, *,
                 llm_down: threading.Event | None = None, max_tokens: int | None = 320,
                 deadline: float | None = None) -> Explanation:
    """One checked explanation. Never raises for LLM trouble: the template is the floor.

    ``deadline`` (a ``time.monotonic()`` instant): each LLM call gets the time left as its HTTP
    timeout and no call starts after it, so a late explanation stops at the deadline instead of
    occupying the server in the background (the client disconnects; vLLM aborts the request)
    and slowing the next turn's planning. The template answers, with error ``DEADLINE_ERROR``.
    """
    t0 = time.perf_counter()
    index = TitleIndex.coerce(index)
    if bundle.claims or bundle.schema == CLAIMS_SCHEMA:  # a card read off the ranker: the claim-by-claim form (tools/explain/claim_llm.py)
        from tools.explain.claim_llm import explain_with_claims

        model = None if llm_down is not None and llm_down.is_set() else chat_model
        return explain_with_claims(bundle, model, index, deadline=deadline, max_tokens=min(max_tokens or 120, 160))
    if chat_model is None or (llm_down is not None and llm_down.is_set()):
        return _template(bundle, index, t0=t0, attempts=0, rejected=[], error="no LLM available", degraded=True)
    schema = explanation_schema(list(bundle.facts()))
    messages = _messages(bundle)
    rejected: list[str] = []
    checks: list[CheckResult] = []
    bind = {"max_tokens": max_tokens} if max_tokens else {}
    for attempt in (1, 2):
        call_kwargs = dict(bind)
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining < MIN_CALL_S:
                return _template(bundle, index, t0=t0, attempts=attempt - 1, rejected=rejected,
                                 error=DEADLINE_ERROR, degraded=False, checks=checks)
            call_kwargs["timeout"] = remaining
        try:
            obj, raw = structured_json_call(chat_model, messages, schema, "explanation", **call_kwargs)
            sents = _sentences_from(obj)
            check = check_explanation(sents, bundle, index)
        except StructuredOutputError as exc:
            raw, check = str(exc), CheckResult(False, [f"the reply was not valid JSON of the required shape: {exc}"], 1, 0)
        except Exception as exc:  # noqa: BLE001 - any LLM failure degrades to the template
            if deadline is not None and time.monotonic() >= deadline - 0.05:
                # our own deadline cut the call short: late, not a sign that the server is down
                return _template(bundle, index, t0=t0, attempts=attempt, rejected=rejected,
                                 error=DEADLINE_ERROR, degraded=False, checks=checks)
            unavailable = is_llm_unavailable(exc)
            if unavailable and llm_down is not None:
                llm_down.set()
            log.warning("explanation LLM call failed for item %s: %s", bundle.item_id, exc)
            return _template(bundle, index, t0=t0, attempts=attempt, rejected=rejected,
                             error=f"{type(exc).__name__}: {exc}", degraded=unavailable, checks=checks)
        checks.append(check)
        if check.passed:
            return Explanation(bundle.item_id, _join(sents), tuple(sents), "llm" if attempt == 1 else "llm_regenerated",
                               check, PROMPT_ID, attempt, tuple(rejected), None, False,
                               (time.perf_counter() - t0) * 1000, tuple(evidence_lines(bundle)), tuple(checks))
        rejected.append("; ".join(check.violations))
        if attempt == 1:
            from langchain_core.messages import AIMessage, HumanMessage

            messages = [*messages, AIMessage(raw), HumanMessage(
                "That explanation failed the fact check:\n- " + "\n- ".join(check.violations[:8])
                + "\nWrite it again. Use only the facts listed above and cite their keys.")]
    return _template(bundle, index, t0=t0, attempts=2, rejected=rejected, error=None, degraded=False, checks=checks)

