"""The explanation generator with a scripted fake chat model: every path, concurrency, degraded mode."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from tools.catalog.catalog import Catalog, Item
from tools.errors import LLMUnavailableError
from tools.explain.evidence_builder import build_evidence
from tools.explain.explainer import PROMPT_ID, explain_item
from tools.explain.faithfulness import TitleIndex
from tools.scoring import ScorerEvidence


class ScriptedChatModel(BaseChatModel):
    """Answers with ``script(messages, call_number)``; records every call (TESTS ONLY)."""

    script: Callable[[list[BaseMessage], int], str]
    delay_s: float = 0.0
    calls: list[dict[str, Any]] = []
    peak: int = 0
    _active: int = 0
    _lock: Any = None

    def model_post_init(self, __context: Any) -> None:
        self._lock = threading.Lock()
        self.calls = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        with self._lock:
            n = len(self.calls)
            self.calls.append({"messages": messages, "kwargs": kwargs})
            self._active += 1
            self.peak = max(self.peak, self._active)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            text = self.script(messages, n)
        finally:
            with self._lock:
                self._active -= 1
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def reply(*sentences: tuple[str, list[str]]) -> str:
    return json.dumps({"sentences": [{"text": t, "evidence_keys": k} for t, k in sentences]})


CAT = Catalog((
    Item("1", "Toy Story", 1995, ("Animation", "Comedy"), ("pixar", "toys"), popularity=120),
    Item("2", "Monsters, Inc.", 2001, ("Animation",), ("pixar",)),
    Item("3", "Finding Nemo", 2003, ("Animation",), ("fish",)),
    Item("4", "Heat", 1995, ("Crime",), ("heist",)),
))
INDEX = TitleIndex.from_catalog(CAT)
GOOD = reply(("Toy Story (1995) is an animated comedy.", ["item.title", "item.year", "item.genres"]),
             ("You liked Monsters, Inc., which gave 60% of the score.", ["collab.liked_contributors"]))
BAD = reply(("Toy Story (1994) stars Tom Hanks, like Finding Nemo.", ["item.title"]))


def bundle(item_id: str = "1"):
    return build_evidence(CAT.get(item_id), query="funny toys", versions={"catalog": CAT.version},
                          scorer_evidence=[ScorerEvidence("gcn", item_id, 1.0, {"2": 0.6} if item_id != "2" else {})],
                          title_of=CAT)


def test_first_try_pass():
    model = ScriptedChatModel(script=lambda m, n: GOOD)
    e = explain_item(bundle(), model, INDEX)
    assert e.path == "llm" and e.check.passed and e.llm_attempts == 1 and e.prompt_id == PROMPT_ID
    assert e.text.startswith("Toy Story (1995) is an animated comedy.")
    # the structured-output request went to the model, with the bundle's keys as the only allowed citations
    fmt = model.calls[0]["kwargs"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    key_enum = fmt["json_schema"]["schema"]["properties"]["sentences"]["items"]["properties"]["evidence_keys"]
    assert set(key_enum["items"]["enum"]) == set(bundle().facts())
    prompt = model.calls[0]["messages"][-1].content
    assert "- item.year: 1995" in prompt and "Monsters, Inc. (60% of the score)" in prompt


def test_regenerate_then_pass_feeds_violations_back():
    model = ScriptedChatModel(script=lambda m, n: BAD if n == 0 else GOOD)
    e = explain_item(bundle(), model, INDEX)
    assert e.path == "llm_regenerated" and e.check.passed and e.llm_attempts == 2
    assert len(e.rejected) == 1 and "1994" in e.rejected[0]
    retry = model.calls[1]["messages"]
    assert retry[-2].content == BAD and "failed the fact check" in retry[-1].content
    assert "Tom Hanks" in retry[-1].content and "Finding Nemo" in retry[-1].content


def test_two_failures_fall_back_to_the_checked_template():
    model = ScriptedChatModel(script=lambda m, n: BAD)
    e = explain_item(bundle(), model, INDEX)
    assert e.path == "template" and e.check.passed and e.llm_attempts == 2 and len(e.rejected) == 2
    assert "Tom Hanks" not in e.text and "Monsters, Inc. (60%)" in e.text
    assert len(model.calls) == 2  # regenerated exactly once


@pytest.mark.parametrize("raw", ["not json at all", '{"answer": "Toy Story"}', '{"sentences": [{"txt": 1}]}'])
def test_malformed_replies_count_as_failures(raw):
    e = explain_item(bundle(), ScriptedChatModel(script=lambda m, n: raw), INDEX)
    assert e.path == "template" and e.check.passed
    assert all("not valid JSON" in r for r in e.rejected)


def test_json_wrapped_in_prose_is_accepted():
    e = explain_item(bundle(), ScriptedChatModel(script=lambda m, n: "Sure! ```json\n" + GOOD + "\n```"), INDEX)
    assert e.path == "llm"


@pytest.mark.parametrize("exc", [LLMUnavailableError("down"), ConnectionRefusedError("refused")])
def test_unavailable_llm_degrades_to_template_without_raising(exc):
    def boom(m, n):
        raise exc

    model = ScriptedChatModel(script=boom)
    down = threading.Event()  # shared by the calls of one batch
    out = [explain_item(b, model, INDEX, llm_down=down) for b in (bundle("1"), bundle("3"), bundle("4"))]
    assert [e.path for e in out] == ["template"] * 3 and all(e.check.passed and e.degraded for e in out)
    assert len(model.calls) == 1  # after the first failure the rest skip the LLM


def test_no_chat_model_means_templates():
    out = [explain_item(b, None, CAT) for b in (bundle("1"), bundle("2"))]
    assert [e.path for e in out] == ["template", "template"] and all(e.check.passed for e in out)
    assert out[0].evidence_lines[0] == "Toy Story (1995)"


def test_other_errors_also_degrade():
    def boom(m, n):
        raise RuntimeError("400 bad request")

    e = explain_item(bundle(), ScriptedChatModel(script=boom), INDEX)
    assert e.path == "template" and e.check.passed and "RuntimeError" in e.error and not e.degraded


def test_items_can_be_explained_concurrently():
    """Callers run explain_item in a thread pool (agent/explaining.py); each call keeps to its own item."""
    def script(messages, n):
        title = messages[-1].content.split("Recommended movie: ", 1)[1].split("\n", 1)[0]
        return reply((f"{title} matches what you asked for.", ["item.title"]))

    model = ScriptedChatModel(script=script, delay_s=0.15)
    bundles = [bundle(i) for i in ("1", "2", "3", "4")] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        out = list(pool.map(lambda b: explain_item(b, model, INDEX), bundles))
    assert [e.item_id for e in out] == [b.item_id for b in bundles]
    assert all(e.path == "llm" and e.check.passed for e in out)
    assert out[3].text == "Heat matches what you asked for."
    assert 2 <= model.peak <= 4


def test_every_shown_explanation_passed_the_check():
    """Mixed script: whatever path each item takes, nothing unchecked comes out."""
    def script(messages, n):
        return [GOOD, BAD, "garbage", reply(("It is great.", ["item.title"]))][n % 4]

    model = ScriptedChatModel(script=script)
    with ThreadPoolExecutor(max_workers=3) as pool:
        out = list(pool.map(lambda b: explain_item(b, model, INDEX), [bundle("1")] * 12))
    assert all(e.check.passed for e in out)
    assert {e.path for e in out} <= {"llm", "llm_regenerated", "template"}
