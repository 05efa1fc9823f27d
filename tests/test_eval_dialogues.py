"""The scripted-dialogue runner against a tiny fake ChatAgent with known answers, and the schema."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from agent.types import RecCard, ToolCallRecord, TurnEvent, TurnResult
from evals.dialogue_runner import run_scripts, summarise
from evals.dialogue_schema import load_script, load_scripts, parse_script
from tests.fixtures_retrieval import small_catalog
from tools.errors import InputError

CAT = small_catalog()
_ids = itertools.count()


class FakeAgent:
    """Answers by keyword with fixed catalog ids; 'boom' raises; records feedback."""

    ANSWERS = {"scary": ["5", "8", "6"], "pixar": ["1", "3", "31"], "again": ["5", "9"], "ghost": ["999"],
               "toys": ["1", "2", "3"], "laughs": ["19", "20", "21", "35", "1"], "none of those": ["39", "33"]}

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


class StreamingFakeAgent(FakeAgent):
    """Reports each turn's act as WhyRecAgent does: ``intent`` on the streamed final event only."""

    def stream_turn(self, session_id: str, text: str):
        if "why" in text:
            r = TurnResult(session_id, 0, "I suggested Halloween (1978) (card 1) because: it is scary.", (), (),
                           False, 5.0)
            intent = "ask_why"
        else:
            r = self.turn(session_id, text)
            intent = "reject_slate" if "none of those" in text else "recommend"
        yield TurnEvent("text_delta", {"text": r.reply})
        yield TurnEvent("final", {**r.to_dict(), "intent": intent})


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


def _checks(o, turn: int, name: str) -> list[bool]:
    return [c.passed for c in o.turns[turn].checks if c.check == name]


def test_genre_share_rejects_a_mostly_off_genre_slate_and_accepts_a_mostly_on_one():
    reject = script(name="r", turns=[{"user": "pixar", "expect": {"genre_share": {"genres": ["comedy"], "min": 0.6}}}])
    accept = script(name="a", turns=[{"user": "laughs", "expect": {"genre_share": {"genres": ["Comedy"], "min": 0.6}}}])
    empty = script(name="e", turns=[{"user": "hello", "expect": {"genre_share": {"genres": ["comedy"], "min": 0.0}}}])
    r, a, e = run(reject, accept, empty)[0]
    assert _checks(r, 0, "genre_share") == [False]  # Toy Story only: 1/3 < 60%
    detail = next(c.detail for c in r.turns[0].checks if c.check == "genre_share")
    assert "1/3" in detail and "Finding Nemo" in detail
    assert _checks(a, 0, "genre_share") == [True] and a.passed  # 5/5 comedies (Toy Story counts too)
    assert _checks(e, 0, "genre_share") == [False]  # no cards is no share


def test_max_per_franchise_uses_the_slate_franchise_key():
    two = script(name="two", turns=[{"user": "toys", "expect": {"max_per_franchise": 1}}])
    ok = script(name="ok", turns=[{"user": "toys", "expect": {"max_per_franchise": 2}}])
    t, k = run(two, ok)[0]
    assert _checks(t, 0, "max_per_franchise") == [False]
    assert "Toy Story 2" in next(c.detail for c in t.turns[0].checks if c.check == "max_per_franchise")
    assert _checks(k, 0, "max_per_franchise") == [True] and k.passed


def test_act_reads_the_intent_of_the_streamed_final_event():
    s = script(turns=[{"user": "scary", "expect": {"act": "reject_slate"}},
                      {"user": "none of those", "expect": {"act": "reject_slate"}}])
    [o], _ = run(s, agent=StreamingFakeAgent())
    assert _checks(o, 0, "act") == [False] and _checks(o, 1, "act") == [True]
    assert [t.act for t in o.turns] == ["recommend", "reject_slate"]
    assert o.turns[1].titles == ["Paddington", "Amélie"]  # the cards came through the stream too
    [plain], _ = run(script(turns=[{"user": "none of those", "expect": {"act": "reject_slate"}}]))
    assert _checks(plain, 0, "act") == [False]  # an agent that reports no act cannot pass


def test_reply_names_card_of_the_previous_turn():
    s = script(turns=[
        {"user": "why did you pick it?", "expect": {"reply_names_card": 1}},  # no previous slate
        {"user": "scary"},  # Halloween, The Shining, The Conjuring
        {"user": "why the first one?", "expect": {"reply_names_card": 1, "act": "ask_why", "max_recs": 0}},
        {"user": "why that?", "expect": {"reply_names_card": 2}},  # previous turn showed no cards
    ])
    [o], _ = run(s, agent=StreamingFakeAgent())
    assert _checks(o, 0, "reply_names_card") == [False]
    assert o.turns[2].passed, o.failures()
    assert _checks(o, 3, "reply_names_card") == [False]
    wrong = script(turns=[{"user": "scary"}, {"user": "why?", "expect": {"reply_names_card": 2}}])
    [w], _ = run(wrong, agent=StreamingFakeAgent())
    assert _checks(w, 1, "reply_names_card") == [False]  # the reply names card 1, not The Shining
    assert "The Shining" in next(c.detail for c in w.turns[1].checks if c.check == "reply_names_card")


@pytest.mark.parametrize("doc, where", [
    ({"name": "x", "category": "cold_start", "turns": [{"user": "hi", "expect": {"reply_contain": ["a"]}}]},
     "turns[0].expect.reply_contain"),
    ({"name": "x", "category": "nope", "turns": [{"user": "hi"}]}, "category"),
    ({"name": "x", "category": "cold_start", "turns": [{"user": "hi", "expect": {"in_top_k": [{"k": 0}]}}]},
     "turns[0].expect.in_top_k[0]"),
    ({"name": "x", "category": "cold_start", "turns": []}, "turns"),
    ({"name": "x", "category": "cold_start", "turns": [{"user": "hi", "feedback": [{"rank": 1, "kind": "love"}]}]},
     "turns[0].feedback[0].kind"),
    ({"name": "x", "category": "other", "turns": [{"user": "hi", "expect": {"genre_share": {"genres": ["comedy"],
                                                                                           "min": 1.5}}}]},
     "turns[0].expect.genre_share.min"),
    ({"name": "x", "category": "other", "turns": [{"user": "hi", "expect": {"genre_share": {"genres": []}}}]},
     "turns[0].expect.genre_share"),
    ({"name": "x", "category": "other", "turns": [{"user": "hi", "expect": {"act": "reject"}}]},
     "turns[0].expect.act"),
    ({"name": "x", "category": "other", "turns": [{"user": "hi", "expect": {"reply_names_card": 0}}]},
     "turns[0].expect.reply_names_card"),
    ({"name": "x", "category": "other", "turns": [{"user": "hi", "expect": {"max_per_franchise": 0}}]},
     "turns[0].expect.max_per_franchise"),
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
    from evals.turn_checks import TurnChecker
    from tools.catalog.catalog import load_catalog

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


def test_shipped_slate_scripts_are_valid_use_the_new_checks_and_name_catalog_titles():
    from evals.turn_checks import TurnChecker
    from tools.catalog.catalog import load_catalog

    folder = Path(__file__).resolve().parents[1] / "evals" / "dialogues" / "slate"
    scripts, errors = load_scripts([folder])
    assert errors == [] and len(scripts) >= 30
    expects = [t.expect for s in scripts for t in s.turns]
    assert any(e.genre_share for e in expects) and any(e.max_per_franchise for e in expects)
    assert any(e.reply_names_card for e in expects)
    assert {e.act for e in expects} >= {"reject_slate", "ask_why", "replace"}
    checker = TurnChecker(load_catalog())
    for s in scripts:
        # not pinned: the group must pass with the LLM on (default) and off (`--no-llm`)
        assert s.llm != "off", f"{s.source}: the slate group runs in both modes; do not pin the LLM off"
        for t in s.turns:
            for ref in [*t.expect.in_top_k, *t.expect.not_in_recs]:
                assert checker.ref_ids(ref), f"{s.source}: {ref.label()} is not in the demo catalog"


def test_person_all_fails_on_a_card_without_the_person():
    """The people script pinned one film; it now checks the capability: every card credits the person."""
    from evals.dialogue_schema import Expect
    from evals.turn_checks import TurnChecker
    from tools.catalog.catalog import Catalog, Item

    cat = Catalog((Item("1", "Big", 1988, attributes={"cast": ["Tom Hanks", "Elizabeth Perkins"]}),
                   Item("2", "Splash", 1984, attributes={"cast": ["tom hanks"]}),
                   Item("3", "Heat", 1995, attributes={"cast": ["Al Pacino"]})))
    checker = TurnChecker(cat)

    def turn(*ids: str) -> TurnResult:
        cards = tuple(RecCard(f"r{i}", i, cat.by_id[i].title, cat.by_id[i].year, (), n, 1.0, "", "template", True)
                      for n, i in enumerate(ids, 1))
        return TurnResult("s", 0, "", cards, (), False, 1.0)

    def verdict(r: TurnResult) -> tuple[bool, str]:
        [c] = [c for c in checker.check(Expect(person_all=["Tom Hanks"]), r, set(), set()) if c.check == "person_all"]
        return c.passed, c.detail

    assert verdict(turn("1", "2")) == (True, "without Tom Hanks: none")
    assert verdict(turn("1", "3")) == (False, "without Tom Hanks: Heat")
    assert verdict(turn()) == (False, "without Tom Hanks: no cards")
    # the author of the book counts as credited; person_none fails on a card that credits the person
    cat2 = Catalog((Item("4", "Misery", 1990, attributes={"cast": ["James Caan"], "authors": ["Stephen King"]}),))
    checker = TurnChecker(cat2)
    card = RecCard("r4", "4", "Misery", 1990, (), 1, 1.0, "", "template", True)
    res = TurnResult("s", 0, "", (card,), (), False, 1.0)
    [c] = [c for c in checker.check(Expect(person_all=["stephen king"]), res, set(), set()) if c.check == "person_all"]
    assert c.passed
    [c] = [c for c in checker.check(Expect(person_none=["Stephen King"]), res, set(), set()) if c.check == "person_none"]
    assert (c.passed, c.detail) == (False, "with one of ['Stephen King']: Misery")
    [c] = [c for c in checker.check(Expect(person_none=["Tom Hanks"]), res, set(), set()) if c.check == "person_none"]
    assert c.passed
    # kind_any: by the catalog's languages and countries too
    cat3 = Catalog((Item("5", "Oldboy", 2003, attributes={"languages": ["Korean"], "countries": ["South Korea"]}),
                    Item("6", "Heat", 1995, attributes={"languages": ["English"], "countries": ["United States"]})))
    checker = TurnChecker(cat3)
    cards = tuple(RecCard(f"r{i}", i, cat3.by_id[i].title, cat3.by_id[i].year, (), n, 1.0, "", "template", True)
                  for n, i in enumerate(("5", "6"), 1))
    [c] = [c for c in checker.check(Expect(kind_any=["Korean"]), TurnResult("s", 0, "", cards, (), False, 1.0),
                                    set(), set()) if c.check == "kind_any"]
    assert (c.passed, c.detail) == (False, "of none of ['Korean']: Heat")
    [c] = [c for c in checker.check(Expect(kind_any=["Korean"]), TurnResult("s", 0, "", cards[:1], (), False, 1.0),
                                    set(), set()) if c.check == "kind_any"]
    assert c.passed
    [c] = [c for c in checker.check(Expect(kind_none=["foreign-language"]), TurnResult("s", 0, "", cards, (), False, 1.0),
                                    set(), set()) if c.check == "kind_none"]
    assert (c.passed, c.detail) == (False, "of one of ['foreign-language']: Oldboy")


def test_the_dialogues_command_fails_when_a_script_does_not_load(tmp_path):
    """A script with bad YAML printed "0/0 scripts passed" and exited 0: a check that did not run passed."""
    from typer.testing import CliRunner

    from ui.cli import app

    (tmp_path / "bad.yaml").write_text("name: bad\ncategory: other\nturns:\n  - user: I liked Mad Max: Fury Road\n")
    res = CliRunner().invoke(app, ["eval", "dialogues", str(tmp_path / "bad.yaml"), "--no-llm",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "load error" in res.output, res.output
