"""LLM-proposed priors: shown always, applied only on request, changes reported."""

from __future__ import annotations

import json

import pytest

from agent.llm.priors import PRIORS_SCHEMA, make_llm_proposer, parse_proposals
from causal import CausalInputError, ProposedEdge, discover_with_priors
from causal.synthetic import linear_scm


@pytest.fixture(scope="module")
def data():
    return linear_scm(6, 6, 2000, seed=6)


def _proposer(edges):
    calls = []

    def propose(variables, descriptions):
        calls.append((list(variables), dict(descriptions)))
        return edges

    propose.calls = calls
    return propose


def test_suggestions_are_shown_but_not_applied_by_default(data):
    e = sorted(data.graph.edges, key=str)[0]
    propose = _proposer([ProposedEdge(e.src, e.dst, "forbidden", 0.9, "test"),
                         ProposedEdge("X1", "ghost", "required", 0.9, "unknown")])
    res = discover_with_priors(data.as_dict(), propose, descriptions={"X1": "first"})
    assert len(res.suggestions) == 1 and len(res.rejected) == 1 and not res.applied
    assert res.graph == res.baseline and res.graph.edge_between(e.src, e.dst) is not None
    assert propose.calls[0][1] == {"X1": "first"}


def test_applied_priors_report_what_changed(data):
    e = sorted(data.graph.edges, key=str)[0]
    non = next((a, b) for a in data.variables for b in data.variables
               if a < b and data.graph.edge_between(a, b) is None)
    propose = _proposer([
        ProposedEdge(e.src, e.dst, "forbidden", 0.95, "r1"),
        ProposedEdge(e.dst, e.src, "forbidden", 0.95, "r2"),
        ProposedEdge(non[0], non[1], "required", 0.9, "r3"),
        ProposedEdge(non[1], non[0], "required", 0.2, "low confidence"),
    ])
    res = discover_with_priors(data.as_dict(), propose, apply=True, min_confidence=0.7)
    assert len(res.applied) == 3
    assert any(f"{non[0]} --> {non[1]}" == a for a in res.added)
    assert any({e.src, e.dst} <= set(r.replace("-", " ").replace(">", " ").split()) for r in res.removed)
    assert any("confidence below" in r["why"] for r in res.rejected)
    assert res.graph.edge_between(e.src, e.dst) is None
    json.dumps(res.to_dict())


def test_proposed_edge_validation():
    with pytest.raises(CausalInputError):
        ProposedEdge("a", "b", "maybe", 0.5)
    with pytest.raises(CausalInputError):
        ProposedEdge("a", "b", "required", 1.5)


class _ScriptedChat:
    """A scripted chat model: returns a fixed JSON reply, records the request."""

    def __init__(self, reply: dict):
        self.reply, self.requests = reply, []

    def invoke(self, messages, **kwargs):
        from langchain_core.messages import AIMessage

        self.requests.append((messages, kwargs))
        return AIMessage(content=json.dumps(self.reply))

    def bind(self, **bound):
        """As ``Runnable.bind``: the structured-output call binds ``response_format`` first."""
        outer = self

        class _Bound:
            def invoke(self, messages, **kwargs):
                return outer.invoke(messages, **{**bound, **kwargs})

        return _Bound()


def test_llm_proposer_asks_for_json_schema_and_filters_names():
    reply = {"edges": [
        {"src": "liked", "dst": "year", "relation": "forbidden", "confidence": 0.9, "reason": "later event"},
        {"src": "year", "dst": "nonsense", "relation": "required", "confidence": 0.9, "reason": "x"},
    ]}
    chat = _ScriptedChat(reply)
    out = make_llm_proposer(chat)(["year", "liked"], {"year": "release year"})
    assert out == [ProposedEdge("liked", "year", "forbidden", 0.9, "later event")]
    fmt = chat.requests[0][1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == PRIORS_SCHEMA


def test_parse_proposals_drops_malformed_items():
    items = {"edges": [{"src": "a", "dst": "a", "relation": "required", "confidence": 1},
                       {"src": "a", "dst": "b", "relation": "required", "confidence": "x"},
                       {"src": "a", "dst": "b", "relation": "REQUIRED", "confidence": 3, "reason": ""},
                       "junk"]}
    assert parse_proposals(items, ["a", "b"]) == [ProposedEdge("a", "b", "required", 1.0, "")]
