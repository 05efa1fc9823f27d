"""Ask the served LLM for causal priors (forbidden/required edges) as structured JSON.

Why in agent/: ``causal.priors`` receives a ``propose(variables, descriptions)`` callable and
never talks to an LLM itself. This adapter builds that callable from a chat model: it asks
for JSON under a schema (vLLM guided decoding via ``agent.llm.structured.structured_call``),
then keeps only well-formed proposals about known variables. A small model's ideas are
suggestions: ``causal.priors.discover_with_priors`` shows them and applies them only on
request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from causal.priors import ProposedEdge

log = logging.getLogger("whyrec.llm_priors")

MAX_PROPOSALS = 20

PRIORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "edges": {
            "type": "array",
            "maxItems": MAX_PROPOSALS,
            "items": {
                "type": "object",
                "properties": {
                    "src": {"type": "string"},
                    "dst": {"type": "string"},
                    "relation": {"type": "string", "enum": ["forbidden", "required"]},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "reason": {"type": "string", "maxLength": 200},
                },
                "required": ["src", "dst", "relation", "confidence", "reason"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["edges"],
    "additionalProperties": False,
}

SYSTEM = (
    "You are a careful causal-inference assistant. Given variables of a dataset, propose background "
    "knowledge as directed edges src -> dst: 'forbidden' when src cannot possibly cause dst (for example "
    "a later event cannot cause an earlier one), 'required' when src certainly causes dst directly. "
    "Use only the exact variable names given. Give a confidence in [0, 1] and a one-sentence reason. "
    "Propose at most 10 edges, only ones you are sure about."
)


def build_messages(variables: list[str], descriptions: dict[str, str]) -> list[tuple[str, str]]:
    lines = [f"- {v}: {descriptions.get(v, '')}".rstrip(": ") for v in variables]
    user = "Variables:\n" + "\n".join(lines) + '\nReply with JSON: {"edges": [...]}'
    return [("system", SYSTEM), ("human", user)]


def parse_proposals(value: Any, variables: list[str]) -> list[ProposedEdge]:
    """Keep proposals that name known variables with a valid relation/confidence."""
    known = set(variables)
    items = value.get("edges", []) if isinstance(value, dict) else []
    out = []
    for item in items[:MAX_PROPOSALS]:
        if not isinstance(item, dict):
            continue
        src, dst = str(item.get("src", "")).strip(), str(item.get("dst", "")).strip()
        rel = str(item.get("relation", "")).strip().lower()
        try:
            conf = float(item.get("confidence", 0.0))
        except (TypeError, ValueError):
            continue
        if src not in known or dst not in known or src == dst or rel not in ("forbidden", "required"):
            log.debug("dropping LLM prior %r", item)
            continue
        out.append(ProposedEdge(src, dst, rel, min(max(conf, 0.0), 1.0), str(item.get("reason", ""))[:200]))
    return out


def make_llm_proposer(chat_model: Any) -> Callable[[list[str], dict[str, str]], list[ProposedEdge]]:
    """``propose(variables, descriptions)`` backed by ``chat_model`` (LangChain chat model)."""

    def propose(variables: list[str], descriptions: dict[str, str]) -> list[ProposedEdge]:
        messages = build_messages(variables, descriptions)
        from agent.llm.structured import structured_call

        value = structured_call(chat_model, messages, PRIORS_SCHEMA, name="causal_priors")
        return parse_proposals(value, list(variables))

    return propose
