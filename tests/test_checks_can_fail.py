"""Every check that used to pass by construction, fed a case it must reject (issue "Checks that can fail").

- ``catalog_only`` could not fail (the candidate bus only admits catalog ids): now it reads what the
  card shows against the catalog -- a foreign id, or a real id under another title, fails.
- ``explanations_faithful`` could not fail (the template fallback always passes and the check read the
  agent's own flag): now it re-runs the faithfulness checker on the shown text against the card's
  evidence -- a text naming a film or a number the evidence lacks fails, whatever the flag says.
- ``not_in_recs`` in rejection scripts passed whether or not the sentiment was understood (every named
  title is excluded): with ``because`` it requires the agent's state to hold the title so.
- the LLM end-to-end tests passed with every model call failing: ``evals.llm_metrics`` compares the
  turn's records with the server's own request counter; a frozen counter or a planner that raised fails.
Each case comes with the control it must accept, so none of these checks is constant either way.
"""

from __future__ import annotations

import itertools

import pytest

from agent.types import RecCard, ToolCallRecord, TurnResult
from evals.dialogue_runner import run_scripts
from evals.dialogue_schema import Expect, parse_script
from evals.llm_metrics import (
    RequestCounter,
    complete_turn,
    contribution_problems,
    counter_total,
    metrics_url,
    parse_prometheus,
    turn_llm_use,
)
from evals.turn_checks import TurnChecker
from tests.fake_openai import FakeOpenAIServer
from tests.fixtures_retrieval import small_catalog
from tools.errors import InputError
from tools.explain.evidence import EvidenceBundle
from tools.explain.templates import template_sentences

CAT = small_catalog()
CHECKER = TurnChecker(CAT)
_ids = itertools.count()


def card(item_id: str, *, title: str | None = None, year: int | None | str = "catalog", explanation: str | None = None,
         path: str = "template", check_passed: bool = True, evidence: dict | None | str = "bundle") -> RecCard:
    """A card as the agent shows it; by default a catalog item with its template explanation and bundle."""
    it = CAT.by_id.get(item_id)
    bundle = EvidenceBundle(item_id, it.title, it.year, it.genres, it.tags) if it else None
    if explanation is None:
        explanation = " ".join(s.text for s in template_sentences(bundle)) if bundle else "because"
    ev = bundle.to_dict() if (evidence == "bundle" and bundle) else ({} if evidence == "bundle" else evidence)
    return RecCard(f"r{next(_ids)}", item_id, title if title is not None else (it.title if it else "Ghost"),
                   (it.year if it else None) if year == "catalog" else year, (), 1, 1.0, explanation, path,
                   check_passed, (), ev or {})


def result(*cards: RecCard) -> TurnResult:
    ranked = tuple(RecCard(**{**c.__dict__, "rank": i}) for i, c in enumerate(cards, 1))
    return TurnResult("s", 0, "Here you go.", ranked, (ToolCallRecord("search_items", {}, 1.0, True, "ok"),),
                      False, 5.0)


def check(name: str, r: TurnResult, state: dict | None = None, **expect) -> tuple[bool, str]:
    [c] = [c for c in CHECKER.check(Expect(**expect), r, set(), set(), state=state) if c.check == name]
    return c.passed, c.detail


# -- catalog_only ------------------------------------------------------------------------------------------

def test_catalog_only_rejects_an_id_the_catalog_does_not_have():
    ok, detail = check("catalog_only", result(card("5"), card("999", title="Free Money Glitch")))
    assert not ok and "999" in detail and "Free Money Glitch" in detail


def test_catalog_only_rejects_a_real_id_shown_under_another_title_or_year():
    ok, detail = check("catalog_only", result(card("5", title="Free Money Glitch")))
    assert not ok and "Halloween (1978)" in detail
    assert not check("catalog_only", result(card("5", year=2020)))[0]


def test_catalog_only_accepts_cards_as_the_catalog_has_them():
    assert check("catalog_only", result(card("5"), card("1")))[0]


# -- explanations_faithful ---------------------------------------------------------------------------------

def test_faithful_rejects_an_explanation_naming_a_film_not_in_the_evidence():
    # the agent claims an LLM text that passed its check: the check re-reads the text and must not trust that
    bad = card("5", explanation="Halloween (1978) is a horror film for fans of Toy Story.", path="llm")
    ok, detail = check("explanations_faithful", result(card("1"), bad), explanations_faithful=True)
    assert not ok and "Toy Story" in detail and "'Halloween'" in detail


def test_faithful_rejects_a_number_the_evidence_does_not_hold():
    bad = card("6", explanation="The Conjuring (2013) is a horror film that 87% of viewers loved.", path="llm")
    ok, detail = check("explanations_faithful", result(bad), explanations_faithful=True)
    assert not ok and "the number '87%'" in detail


def test_faithful_rejects_a_text_the_agent_itself_failed_no_text_no_evidence_and_no_cards():
    assert not check("explanations_faithful", result(card("5", check_passed=False)), explanations_faithful=True)[0]
    assert not check("explanations_faithful", result(card("5", explanation=" ")), explanations_faithful=True)[0]
    ok, detail = check("explanations_faithful", result(card("5", evidence=None)), explanations_faithful=True)
    assert not ok and "no evidence bundle" in detail
    other = card("5", evidence=card("6").evidence)  # a bundle, but of another item
    assert not check("explanations_faithful", result(other), explanations_faithful=True)[0]
    assert not check("explanations_faithful", result(), explanations_faithful=True)[0]


def test_faithful_accepts_templates_and_grounded_llm_text_and_tells_them_apart():
    llm = card("5", explanation="Halloween (1978) is a horror thriller tagged slasher.", path="llm")
    tmpl = card("6")
    ok, detail = check("explanations_faithful", result(llm, tmpl), explanations_faithful=True)
    assert ok, detail
    assert detail.startswith("1/2 shown texts from the LLM")
    assert [CHECKER.explanation_source(c) for c in (llm, tmpl)] == ["llm", "template"]
    # a template labelled "llm" is counted as a template (and reported), never as the model's work
    mislabelled = card("6", path="llm")
    ok, detail = check("explanations_faithful", result(mislabelled), explanations_faithful=True)
    assert ok and detail.startswith("0/1") and "says llm, text is template" in detail


def test_faithful_reads_the_text_sentence_by_sentence_without_splitting_a_title():
    from tools.catalog.catalog import Catalog, Item

    cat = Catalog((*CAT.items, Item("m1", "Mrs. Doubtfire", 1993, ("Comedy", "Family"), ("nanny",), 0.5, "")),
                  name="dotted")
    checker = TurnChecker(cat)
    bundle = EvidenceBundle("m1", "Mrs. Doubtfire", 1993, ("Comedy", "Family"), ("nanny",))
    text = "Mrs. Doubtfire (1993) is a family comedy. Mrs. Doubtfire (1993) is tagged nanny."
    assert checker.sentences(text, bundle) == ["Mrs. Doubtfire (1993) is a family comedy.",
                                               "Mrs. Doubtfire (1993) is tagged nanny."]
    shown = RecCard("r", "m1", "Mrs. Doubtfire", 1993, (), 1, 1.0, text, "llm", True, (), bundle.to_dict())
    [c] = [c for c in checker.check(Expect(explanations_faithful=True), result(shown), set(), set())
           if c.check == "explanations_faithful"]
    assert c.passed, c.detail  # two sentences may share a phrase; one sentence may not repeat itself
    twice = RecCard(**{**shown.__dict__, "explanation": "It is a family comedy. It is a family comedy."})
    [c] = [c for c in checker.check(Expect(explanations_faithful=True), result(twice), set(), set())
           if c.check == "explanations_faithful"]
    assert not c.passed and "repeats sentence 1" in c.detail


# -- not_in_recs with because --------------------------------------------------------------------------------

HATED_HALLOWEEN = {"title": "Halloween", "year": 1978, "because": "disliked"}


def test_not_in_recs_because_disliked_rejects_a_title_parsed_as_liked():
    ok, detail = check("not_in_recs", result(card("1")), {"liked": ["5"], "mentioned": ["5"]}, not_in_recs=[HATED_HALLOWEEN])
    assert not ok and "NOT understood as disliked" in detail and "liked" in detail


def test_not_in_recs_because_disliked_rejects_a_title_not_parsed_at_all():
    ok, detail = check("not_in_recs", result(card("1")), {"liked": [], "disliked": []}, not_in_recs=[HATED_HALLOWEEN])
    assert not ok and "not recorded at all" in detail


def test_not_in_recs_because_fails_when_the_agent_exposes_no_state_or_the_title_is_shown():
    ok, detail = check("not_in_recs", result(card("1")), None, not_in_recs=[HATED_HALLOWEEN])
    assert not ok and "no dialogue state" in detail
    assert not check("not_in_recs", result(card("5")), {"disliked": ["5"]}, not_in_recs=[HATED_HALLOWEEN])[0]


def test_not_in_recs_because_accepts_an_understood_dislike_or_rejection():
    assert check("not_in_recs", result(card("1")), {"disliked": ["5"]}, not_in_recs=[HATED_HALLOWEEN])[0]
    assert check("not_in_recs", result(card("1")), {"rejected": ["5"]}, not_in_recs=[HATED_HALLOWEEN])[0]
    liked = {"title": "Toy Story", "because": "liked"}
    assert check("not_in_recs", result(card("5")), {"liked": ["1"]}, not_in_recs=[liked])[0]
    assert not check("not_in_recs", result(card("5")), {"disliked": ["1"]}, not_in_recs=[liked])[0]


def test_malformed_state_is_a_value_error():
    with pytest.raises(ValueError, match="disliked"):
        check("not_in_recs", result(card("1")), {"disliked": "5"}, not_in_recs=[HATED_HALLOWEEN])


def test_rejection_scripts_must_say_why_a_title_is_excluded():
    doc = {"name": "r", "category": "rejection",
           "turns": [{"user": "I hated Halloween", "expect": {"not_in_recs": [{"title": "Halloween"}]}}]}
    with pytest.raises(InputError, match="because"):
        parse_script(doc, "r.yaml")
    doc["turns"][0]["expect"]["not_in_recs"][0]["because"] = "disliked"
    assert parse_script(doc, "r.yaml").turns[0].expect.not_in_recs[0].because == "disliked"


class _Store:
    def __init__(self) -> None:
        self.states: dict[str, dict] = {}

    def load_state(self, session_id: str) -> dict:
        return self.states.get(session_id, {})


class MisreadingAgent:
    """Excludes every title it is told about (as the real agent does) but files the sentiment by ``reads``."""

    def __init__(self, reads: str | None) -> None:
        self.reads = reads
        self.store = _Store()

    def new_session(self, user_id: str | None = None) -> str:
        return f"s{next(_ids)}"

    def turn(self, session_id: str, text: str) -> TurnResult:
        if self.reads is not None:
            self.store.states[session_id] = {self.reads: ["5"], "mentioned": ["5"]}
        return result(card("1"), card("3"))

    def record_feedback(self, session_id: str, rec_id: str, kind: str) -> None:
        raise AssertionError("no feedback in these scripts")

    def history(self, session_id: str) -> list:
        return []


@pytest.mark.parametrize("reads, passes", [("liked", False), (None, False), ("disliked", True)])
def test_a_rejection_script_fails_when_the_agent_misreads_the_sentiment(reads, passes):
    s = parse_script({"name": "hated", "category": "rejection", "turns": [
        {"user": "I hated Halloween (1978), something else", "expect": {"not_in_recs": [HATED_HALLOWEEN]}}]})
    [o] = run_scripts([s], lambda on: MisreadingAgent(reads), CAT, workers=1, progress=False)
    assert o.passed is passes, o.failures()


# -- the LLM end-to-end witness ------------------------------------------------------------------------------

VLLM_PAGE = """# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 7.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 2.0
vllm:request_success_total{engine="0",finished_reason="abort",model_name="m"} 5.0
vllm:request_success_total{engine="0",finished_reason="stop",model_name="other"} 100.0
vllm:num_requests_running{engine="0",model_name="m"} 1.0
"""


def test_counter_parsing_counts_answered_requests_of_the_model_only():
    assert counter_total(VLLM_PAGE, labels={"model_name": "m"}) == 9.0  # aborted requests are no answer
    assert counter_total(VLLM_PAGE, labels={"model_name": "m"}, reasons=None) == 14.0
    assert len(parse_prometheus(VLLM_PAGE)) == 5
    assert metrics_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/metrics"


@pytest.mark.parametrize("page, match", [
    ("vllm:num_requests_running 1\n", "no counter"),  # a server that does not export the counter
    ("<html>Not Found</html>\n", "not a Prometheus sample"),
    ('vllm:request_success_total{engine="0" 3\n', "not a Prometheus sample"),
    ("vllm:request_success_total many\n", "non-numeric"),
])
def test_unreadable_metrics_are_value_errors_not_zero(page, match):
    with pytest.raises(ValueError, match=match):
        counter_total(page)


def test_bad_base_url_is_a_value_error():
    with pytest.raises(ValueError):
        metrics_url("127.0.0.1:8000")


@pytest.fixture()
def fake_server(request):
    server = FakeOpenAIServer(**getattr(request, "param", {})).start()
    yield server
    server.stop()


def _agent_on(make_agent, server):
    from agent.llm.client import build_chat_model
    from agent.settings import Settings

    settings = Settings(llm_base_urls=[server.base_url], llm_model=server.model, llm_max_tokens=64)
    # no turn budget: every card's explanation is asked of the model (a deadline would hand it to the template)
    return make_agent(chat_model=build_chat_model(settings), explain_model=build_chat_model(settings),
                      turn_budget_s=None)


def _witness(make_agent, server) -> tuple[list[str], TurnResult]:
    agent = _agent_on(make_agent, server)
    counter = RequestCounter(server.base_url, model=server.model)
    sid = agent.new_session()
    r = complete_turn(agent, sid, "I loved Toy Story, what should I watch next?")
    use = turn_llm_use(r, agent.store)
    return contribution_problems([use], counter.served(at_least=use.llm_requests, wait_s=0.5)), r


def test_witness_accepts_a_turn_the_model_planned_and_the_server_counted(make_agent, fake_server):
    problems, r = _witness(make_agent, fake_server)
    assert problems == [] and r.recommendations
    assert fake_server.successes["stop"] >= 1 + len(r.recommendations)  # the plan and every card were asked


@pytest.mark.parametrize("fake_server", [{"count_requests": False}], indirect=True)
def test_witness_rejects_a_turn_the_server_did_not_count(make_agent, fake_server):
    problems, _ = _witness(make_agent, fake_server)
    assert len(problems) == 1 and "the server answered 0 requests" in problems[0]


@pytest.mark.parametrize("fake_server", [{"fail_tool_calls": True}], indirect=True)
def test_witness_rejects_a_turn_whose_planning_raised_although_the_server_answered_others(make_agent, fake_server):
    problems, r = _witness(make_agent, fake_server)
    # the turn still looks fine to a user -- cards, explanations -- which is what hid it before
    assert r.recommendations and all(c.explanation and c.check_passed for c in r.recommendations)
    assert fake_server.successes.get("stop", 0) > 0  # the explanation calls did reach the server
    assert any(p.startswith("turn 0: planning failed:") for p in problems), problems
    assert any("the model made no tool call" in p for p in problems), problems


def test_witness_rejects_templates_after_failed_explanation_calls():
    r = result(card("5"), card("6"))
    trace = (ToolCallRecord("search_items", {"query": "x"}, 1.0, True, "ok"),
             ToolCallRecord("score_candidates", {}, 1.0, True, "ok"))
    r = TurnResult("s", 0, r.reply, r.recommendations, trace, False, 5.0, {"model_tool_calls": 1.0})

    class Audit:
        def messages(self, session_id):
            return [{"role": "assistant", "turn_index": 0, "metadata": {"plan_note": ""}}]

        def recommendation(self, rec_id):  # one LLM request each, no checked reply: the call itself failed
            return {"explanation": {"path": "template", "check": {"llm_attempts": 1, "rejected": []}}}

    use = turn_llm_use(r, Audit())
    problems = contribution_problems([use], served=1.0)
    assert len(problems) == 2 and all("failed without a checked reply" in p for p in problems)
    assert contribution_problems([use], served=1.0, require_explanations=False) == []


@pytest.mark.parametrize(("made", "rejected", "path", "answered"), [
    # the claim explainer: several sentences of one reply refused, then a second reply refused too
    (2, ["attempt 1, genre: 'x' -> wrong genre", "attempt 1, year: 'y' -> wrong year",
         'attempt 2: reply JSON has no "sentences" list'], "template", 2),
    (1, ["attempt 1, genre: 'x' -> wrong genre"], "llm", 1),  # one sentence refused, the rest shown
    (2, ["attempt 1: together: contradiction"], "llm_regenerated", 2),
    # the second request failed without a reply (server error): only one was answered
    (2, ["attempt 1, genre: 'x' -> wrong genre"], "template", 1),
    (1, [], "template", 0),
])
def test_answered_requests_count_replies_not_refused_sentences(made, rejected, path, answered):
    from evals.llm_metrics import _answered

    assert _answered(made, rejected, path) == answered
