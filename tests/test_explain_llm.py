"""End to end with the real local LLM (SmolLM2-135M via vLLM): every shown explanation passed the check."""

from __future__ import annotations

import pytest

from tools.catalog.catalog import Catalog, Item
from tools.explain.evidence_builder import build_evidence
from tools.explain.explainer import check_explanation, explain_item
from tools.explain.faithfulness import TitleIndex
from tools.scoring import ScorerEvidence

CAT = Catalog((
    Item("1", "Toy Story", 1995, ("Animation", "Comedy"), ("pixar", "toys"), popularity=120),
    Item("2", "Monsters, Inc.", 2001, ("Animation",), ("pixar",), popularity=40),
    Item("3", "Heat", 1995, ("Crime", "Thriller"), ("heist",), popularity=33),
    Item("4", "The Matrix", 1999, ("Science Fiction", "Action"), ("hacker",), popularity=210),
))


@pytest.mark.llm
def test_real_llm_explanations_are_all_checked(llm_server, llm_settings):
    from agent.llm.client import build_chat_model

    model = build_chat_model(llm_settings, base_url=llm_server)
    bundles = [
        build_evidence(CAT.get(i), query=q, hit={"similarity": s},
                       scorer_evidence=[ScorerEvidence("lightgcn", i, 0.7, {"2": 0.55} if i != "2" else {"1": 0.4})],
                       causal={"treatment": "genre_animation", "outcome": "accepted", "estimate": 0.12,
                               "interval": [0.02, 0.22], "edges": [["genre_animation", "accepted"]]} if i == "1" else None,
                       versions={"catalog": CAT.version}, title_of=CAT)
        for i, q, s in (("1", "a funny movie with toys", 0.74), ("3", "a tense heist thriller", 0.69),
                        ("4", "smart science fiction", 0.81))
    ]
    index = TitleIndex.from_catalog(CAT)
    out = [explain_item(b, model, index) for b in bundles]
    assert [e.item_id for e in out] == ["1", "3", "4"]
    for e, b in zip(out, bundles, strict=True):
        assert e.path in {"llm", "llm_regenerated", "template"}
        assert e.error is None, e.error  # the server answered; failures may only be check failures
        assert e.check.passed and e.text
        assert check_explanation(list(e.sentences), b, index).passed  # re-check what is shown
        assert e.llm_attempts >= 1 and len(e.attempt_checks) == e.llm_attempts
