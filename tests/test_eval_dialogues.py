"""The scripted-dialogue runner against a tiny fake ChatAgent with known answers, and the schema."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from agent.types import RecCard, ToolCallRecord, TurnResult
from evals.dialogue_runner import run_scripts, summarise
from evals.dialogue_schema import load_script, load_scripts, parse_script
from tests.fixtures_retrieval import small_catalog
from tools.errors import InputError

CAT = small_catalog()
_ids = itertools.count()


class FakeAgent:
    """Answers by keyword with fixed catalog ids; 'boom' raises; records feedback."""

    ANSWERS = {"scary": ["5", "8", "6"], "pixar": ["1", "3", "31"], "again": ["5", "9"], "ghost": ["999"]}

    def __init__(self, degraded: bool = False) -> None:
        self.degraded = degraded
        self.feedback: list[tuple[str, str]] = []
        self.cards: dict[str, str] = {}

    def new_session(self, user_id: str | None = None) -> str:
        return f"s{next(_ids)}"

    def turn(self, session_id: str, text: str) -> TurnResult:
        if "boom" in text:
            raise RuntimeError("the fake agent exploded")
        ids = next((v for k, v in self.ANSWERS.items() if k in text), [])
        cards = []
        for rank, i in enumerate(ids, 1):
            it = CAT.by_id.get(i)
            rid = f"r{next(_ids)}"
            self.cards[rid] = i
            cards.append(RecCard(rid, i, it.title if it else "Ghost", it.year if it else None, (), rank, 1.0 / rank,
                                 "because", "template", check_passed=(i != "6")))
        tools = (ToolCallRecord("search_items", {}, 1.0, True, "ok"),) if ids else ()
        reply = "Here are some picks." if ids else "I only do movies."
        return TurnResult(session_id, 0, reply, tuple(cards), tools, self.degraded, 12.0)

    def record_feedback(self, session_id: str, rec_id: str, kind: str) -> None:
        self.feedback.append((self.cards[rec_id], kind))

    def history(self, session_id: str) -> list:
        return []


def script(**kw) -> object:
    return parse_script({"name": kw.pop("name", "s"), "category": kw.pop("category", "cold_start"), **kw})


def run(*scripts, agent=None):
    agent = agent or FakeAgent()
    return run_scripts(list(scripts), lambda llm_on: agent, CAT, workers=2, progress=False), agent


def test_passing_expectations():
    s = script(turns=[{"user": "something scary", "expect": {
        "tool_called": ["search_items"], "in_top_k": [{"title": "Halloween", "k": 1}],
        "not_in_recs": [{"title": "Toy Story"}], "year_min": 1970, "genre_any": ["horror"],
        "reply_contains": ["picks"], "degraded": False, "max_latency_ms": 100, "min_recs": 3}}])
    [o], _ = run(s)
    assert o.passed, o.failures()
    assert {c.check for c in o.turns[0].checks} >= {"tool_called", "in_top_k", "catalog_only", "no_repeats"}


def test_failing_expectations_are_reported_per_turn_not_raised():
    s = script(turns=[
        {"user": "something scary", "expect": {"in_top_k": [{"title": "Toy Story", "k": 3}], "year_min": 2000,
                                                "explanations_faithful": True, "genre_none": ["horror"],
                                                "tool_not_called": ["search_items"], "degraded": True}},
        {"user": "scary again"},  # 5 (Halloween) was shown in turn 1 -> repeat
        {"user": "ghost"},  # id 999 is not in the catalog
    ])
    [o], _ = run(s)
    assert not o.passed
    failed = {(t.index, c.check) for t in o.turns for c in t.checks if not c.passed}
    assert failed >= {(0, "in_top_k"), (0, "year_range"), (0, "explanations_faithful"), (0, "genre_none"),
                      (0, "tool_not_called"), (0, "degraded"), (1, "no_repeats"), (2, "catalog_only")}
    assert (1, "catalog_only") not in failed
    yr = next(c for c in o.turns[0].checks if c.check == "year_range")
    assert "Halloween (1978)" in yr.detail


def test_feedback_dislike_then_never_again_and_crash_isolated():
    dislike = script(name="d", category="rejection", turns=[
        {"user": "scary", "feedback": [{"rank": 1, "kind": "dislike"}, {"rank": 9, "kind": "like"}]},
        {"user": "scary again"}])
    crash = script(name="c", turns=[{"user": "boom"}, {"user": "scary"}])
    ok = script(name="ok", category="more_like", turns=[{"user": "pixar"}])
    (d, c, k), agent = run(dislike, crash, ok)
    assert ("5", "dislike") in agent.feedback
    assert [x.check for x in d.turns[0].checks if not x.passed] == ["feedback"]  # no card at rank 9
    assert any(x.check == "no_disliked" and not x.passed for x in d.turns[1].checks)
    assert len(c.turns) == 1 and c.turns[0].checks[0].check == "turn_ran" and "exploded" in c.turns[0].checks[0].detail
    assert k.passed
    summary = summarise([d, c, k])
    assert summary["per_category"]["more_like"]["pass_rate"] == 1.0
    assert summary["per_category"]["rejection"]["pass_rate"] == 0.0
    assert summary["scripts_passed"] == 1


def test_llm_off_scripts_get_the_no_llm_agent():
    seen = []
    s1 = script(name="a", llm="off", turns=[{"user": "pixar", "expect": {"degraded": True}}])
    s2 = script(name="b", turns=[{"user": "pixar", "expect": {"degraded": False}}])

    def factory(llm_on: bool):
        seen.append(llm_on)
        return FakeAgent(degraded=not llm_on)

    out = run_scripts([s1, s2], factory, CAT, workers=1, progress=False)
    assert sorted(seen) == [False, True] and all(o.passed for o in out)


@pytest.mark.parametrize("doc, where", [
    ({"name": "x", "category": "cold_start", "turns": [{"user": "hi", "expect": {"reply_contain": ["a"]}}]},
     "turns[0].expect.reply_contain"),
    ({"name": "x", "category": "nope", "turns": [{"user": "hi"}]}, "category"),
    ({"name": "x", "category": "cold_start", "turns": [{"user": "hi", "expect": {"in_top_k": [{"k": 0}]}}]},
     "turns[0].expect.in_top_k[0]"),
    ({"name": "x", "category": "cold_start", "turns": []}, "turns"),
    ({"name": "x", "category": "cold_start", "turns": [{"user": "hi", "feedback": [{"rank": 1, "kind": "love"}]}]},
     "turns[0].feedback[0].kind"),
])
def test_malformed_scripts_name_file_and_field(doc, where):
    with pytest.raises(InputError) as err:
        parse_script(doc, "bad.yaml")
    assert "bad.yaml" in str(err.value) and where in str(err.value)


def test_bad_yaml_and_bad_files_do_not_stop_the_rest(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("name: a\ncategory: cold_start\nturns:\n  - user: hi\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\ncategory: [unclosed\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("- just a list\n", encoding="utf-8")
    (tmp_path / "d.yaml").write_text("name: a\ncategory: cold_start\nturns:\n  - user: hi\n", encoding="utf-8")
    scripts, errors = load_scripts([tmp_path])
    assert [s.name for s in scripts] == ["a"]
    assert len(errors) == 3
    assert any("b.yaml" in e and "line" in e for e in errors)
    assert any("c.yaml" in e and "mapping" in e for e in errors)
    assert any("duplicate" in e for e in errors)
    with pytest.raises(InputError, match="no such"):
        load_scripts([tmp_path / "missing"])


def test_shipped_scripts_are_valid_and_cover_the_categories():
    from evals.dialogue_runner import TurnChecker
    from tools.catalog import load_catalog

    folder = Path(__file__).resolve().parents[1] / "evals" / "dialogues"
    scripts, errors = load_scripts([folder])
    assert errors == [] and len(scripts) >= 40
    cats = {s.category for s in scripts}
    assert cats >= {"cold_start", "more_like", "refinement", "rejection", "multi_constraint", "ambiguous_title",
                    "off_topic", "injection", "degraded"}
    assert any(s.llm == "off" for s in scripts)
    checker = TurnChecker(load_catalog())
    for s in scripts:
        for t in s.turns:
            for ref in [*t.expect.in_top_k, *t.expect.not_in_recs]:
                assert checker.ref_ids(ref), f"{s.source}: {ref.label()} is not in the demo catalog"
    assert load_script(folder / "ambiguous_halloween.yaml").category == "ambiguous_title"
