"""Unit tests of the Gradio app's handlers (no browser): a fake agent over the REAL store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from agent.store import audit as audit_module
from tests.ui_fakes import FakeAgent, small_items
from ui.app_causal import CausalHandlers, effect_rows
from ui.app_chat import ChatHandlers
from ui.app_eval import EvalHandlers
from ui.app_style import banner_html, card_html
from ui.app_support import NOT_CONFIGURED, SupportAuth, SupportHandlers

ROOT = Path(__file__).resolve().parents[1]


def run_turn(handlers: ChatHandlers, text: str, session_id=None, history=None, cards=None):
    snaps = list(handlers.submit(text, history or [], cards or [], session_id))
    return snaps, snaps[-1]


# -- chat: streaming, cards, tool trace -------------------------------------------------------
def test_stream_builds_history_with_tool_trace_and_cards(store):
    agent = FakeAgent(store, small_items())
    snaps, (history, cards, banner, box, sid) = run_turn(ChatHandlers(agent, 4000), "I loved Toy Story and Up")
    assert snaps[0][0] == [{"role": "user", "content": "I loved Toy Story and Up"}]
    # the tool call shows first as pending, then done with its duration in seconds
    pending = [m for h, *_ in snaps for m in h if m.get("metadata", {}).get("status") == "pending"]
    assert pending and pending[0]["metadata"]["title"] == "🔧 search_items"
    tool_msgs = [m for m in history if "metadata" in m]
    assert len(tool_msgs) == 1
    assert tool_msgs[0]["metadata"] == {"title": "🔧 search_items", "status": "done", "duration": 0.013,
                                        "id": "tool-1"}
    assert "Result: 3 items" in tool_msgs[0]["content"]
    assert history[-1] == {"role": "assistant", "content": "Here are a few picks you might enjoy."}
    # cards: first streamed with a pending explanation, finally all explained and checked
    assert any(c["explanation"] == "" for _, cs, *_ in snaps for c in cs)
    assert [c["title"] for c in cards][:2] == ["Toy Story", "Up"]
    assert [c["rank"] for c in cards] == [1, 2, 3]
    assert all(c["check_passed"] and c["explanation"].startswith("Recommended because") for c in cards)
    assert banner == "" and box == ""
    assert store.session(sid)["session_id"] == sid
    assert {r["rec_id"] for r in store.list_recommendations(session_id=sid)} == {c["rec_id"] for c in cards}


def test_second_turn_keeps_session_and_replaces_cards(store):
    handlers = ChatHandlers(FakeAgent(store, small_items()), 4000)
    _, (history, cards, _, _, sid) = run_turn(handlers, "Toy Story please")
    _, (history2, cards2, _, _, sid2) = run_turn(handlers, "Something scary from the 80s", sid, history, cards)
    assert sid2 == sid
    assert history2[: len(history)] == history
    assert cards2[0]["title"] in {"The Shining", "The Thing"}
    assert not {c["rec_id"] for c in cards} & {c["rec_id"] for c in cards2}
    assert store.counts()["sessions"] == 1


def test_degraded_status_shows_banner(store):
    _, (history, cards, banner, _, _) = run_turn(ChatHandlers(FakeAgent(store, small_items(), degraded=True), 4000),
                                                 "anything scary")
    assert 'class="wr-banner"' in banner and "Limited mode" in banner
    assert cards


def test_too_long_message_is_refused_politely_without_calling_agent(store):
    handlers = ChatHandlers(FakeAgent(store, small_items()), 20)
    snaps, (history, cards, _, box, sid) = run_turn(handlers, "x" * 21)
    assert len(snaps) == 1 and sid is None and cards == []
    assert "21 characters" in history[-1]["content"] and "limit is 20" in history[-1]["content"]
    assert box == "x" * 21  # kept so the user can shorten it
    assert store.counts()["sessions"] == 0


def test_empty_message_does_nothing(store):
    snaps, (history, cards, _, _, sid) = run_turn(ChatHandlers(FakeAgent(store, small_items()), 100), "   ")
    assert history == [] and cards == [] and sid is None


def test_agent_error_becomes_one_friendly_line(store, caplog):
    agent = FakeAgent(store, small_items(), fail_with=RuntimeError("boom at /secret/path"))
    _, (history, _, _, _, _) = run_turn(ChatHandlers(agent, 4000), "hello there")
    last = history[-1]["content"]
    assert last.startswith("⚠️ Sorry, something went wrong") and "reference" in last
    assert "boom" not in last and "Traceback" not in last
    assert all(m["metadata"]["status"] == "done" for m in history if "metadata" in m)
    ref = last.rsplit(" ", 1)[-1].rstrip(".")
    assert any(ref in r.getMessage() for r in caplog.records)  # the log has what support needs


def test_unknown_session_asks_for_new_chat(store):
    _, (history, *_) = run_turn(ChatHandlers(FakeAgent(store, small_items()), 4000), "hi", "not-a-session")
    assert "New chat" in history[-1]["content"]


def test_new_chat_clears_everything():
    assert ChatHandlers.new_chat() == ([], [], "", "", None)


# -- feedback --------------------------------------------------------------------------------
def test_feedback_buttons_reach_agent_and_store(store):
    agent = FakeAgent(store, small_items())
    handlers = ChatHandlers(agent, 4000)
    _, (_, cards, _, _, sid) = run_turn(handlers, "Toy Story")
    msg = handlers.feedback(sid, cards[0]["rec_id"], "like")
    assert msg.startswith("👍")
    assert handlers.feedback(sid, cards[1]["rec_id"], "watched").startswith("👁")
    rows = store.feedback(session_id=sid)
    assert [(r["rec_id"], r["kind"]) for r in rows] == [(cards[0]["rec_id"], "like"), (cards[1]["rec_id"], "watched")]
    assert agent.feedback_calls[0] == (sid, cards[0]["rec_id"], "like")


def test_feedback_on_another_sessions_card_is_refused(store):
    handlers = ChatHandlers(FakeAgent(store, small_items()), 4000)
    _, (_, cards, _, _, _) = run_turn(handlers, "Toy Story")
    other = store.create_session()
    msg = handlers.feedback(other, cards[0]["rec_id"], "like")
    assert msg.startswith("⚠️") and "another session" in msg
    assert handlers.feedback(None, cards[0]["rec_id"], "like").startswith("⚠️")
    assert handlers.feedback(other, cards[0]["rec_id"], "love").startswith("⚠️ Unknown feedback")
    assert store.feedback() == []


# -- rendering -------------------------------------------------------------------------------
def test_card_html_escapes_and_shows_evidence():
    card = {"rec_id": "rec_1", "title": "<script>alert(1)</script>", "year": 1999, "tags": ["a&b"], "rank": 1,
            "explanation": "Because <b>you</b> liked it", "explanation_path": "template", "check_passed": True,
            "evidence_lines": ["Liked by 12 people who liked Up"]}
    html = card_html(card)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&amp;b" in html
    assert "&lt;b&gt;you&lt;/b&gt;" in html
    assert "<details" in html and "<li>Liked by 12 people who liked Up</li>" in html
    assert "plain summary of the evidence" in html
    assert "Reference for support: <code>rec_1</code>" in html
    pending = card_html({**card, "explanation": "", "evidence_lines": [], "rec_id": ""})
    assert "Writing an explanation" in pending and "<details" not in pending
    assert "not verified" in card_html({**card, "check_passed": False})
    assert banner_html("") == "" and "<b>" not in banner_html("<b>x</b>")


# -- support ---------------------------------------------------------------------------------
def test_support_refuses_when_credentials_unset(store):
    handlers = SupportHandlers(store, SupportAuth(None, None), audit_module)
    assert handlers.login("admin", "") == (False, NOT_CONFIGURED)
    assert "WHYREC_SUPPORT_USERNAME" in NOT_CONFIGURED and "WHYREC_SUPPORT_PASSWORD" in NOT_CONFIGURED
    # even a forged logged-in state gets no data
    assert handlers.lookup(True, "session", "x") == ("⚠️ Log in first.", None)
    assert handlers.export(True, {"a": 1}) is None


def test_support_login_rejects_wrong_password_and_throttles(store):
    now = [0.0]
    auth = SupportAuth("staff", SecretStr("correct horse"), max_failures=3, window_s=60, clock=lambda: now[0])
    assert auth.check("staff", "wrong") == (False, "Wrong username or password.")
    assert auth.check("other", "correct horse")[0] is False
    assert auth.check("staff", "correct horse") == (True, "Logged in.")
    auth.check("staff", "nope")
    ok, msg = auth.check("staff", "correct horse")  # 3 failures in the window: locked for now
    assert not ok and "Too many" in msg
    now[0] = 61.0
    assert auth.check("staff", "correct horse")[0] is True


def test_support_lookup_shows_full_account_and_exports_json(store, tmp_path):
    handlers_chat = ChatHandlers(FakeAgent(store, small_items()), 4000)
    _, (_, cards, _, _, sid) = run_turn(handlers_chat, "Toy Story")
    rec_id = cards[0]["rec_id"]
    handlers_chat.feedback(sid, rec_id, "like")
    support = SupportHandlers(store, SupportAuth("staff", "pw"), audit_module, export_dir=tmp_path)
    assert support.lookup(False, "rec_id", rec_id) == ("⚠️ Log in first.", None)
    text, account = support.lookup(True, "rec_id", rec_id)
    assert not text.startswith("⚠️"), text
    # the full account: conversation, tool calls, evidence, scores, explanation + check, feedback
    for part in ("Toy Story", "user: Toy Story", "search_items", "Scores: fake=1.0", "Explanation:",
                 "Recommended because", "check: PASSED", "Feedback: like"):
        assert part in text, part
    assert account["rec_id"] == rec_id
    text, data = support.lookup(True, "session", sid, "2000-01-01")
    assert text.startswith("```text\n3 recommendation(s)") and len(data["rows"]) == len(data["accounts"]) == 3
    assert support.lookup(True, "user", "nobody")[0] == "```text\nNo recommendations match.\n```"
    assert support.lookup(True, "rec_id", "rec_missing")[0].startswith("⚠️ unknown rec_id")
    assert support.lookup(True, "item", "78340", "yesterday")[0].startswith("⚠️")
    assert support.lookup(True, "rec_id", "  ")[0] == "⚠️ Enter a rec id to look up."
    path = support.export(True, account, "rec_id", rec_id)
    exported = json.loads(Path(path).read_text())
    assert exported["lookup"] == {"kind": "rec_id", "query": rec_id}
    assert exported["account"] == account
    assert support.export(False, account) is None


# -- causal and eval tabs --------------------------------------------------------------------
class _Causal:
    methods = ("pc",)

    def __init__(self, png):
        self.png = png
        self.calls = []

    def discover(self, method, alpha):
        self.calls.append((method, alpha))
        return self.png, "graph LR\n  A --> B", {"nodes": ["A", "B"], "edges": [["A", "B"]]}

    def effects(self):
        return [{"treatment": "A", "outcome": "B", "estimate": 0.5, "ci_low": 0.25, "ci_high": 0.75,
                 "adjustment_set": ["C", "D"], "method": "backdoor"}]


def test_causal_handlers(tmp_path):
    none = CausalHandlers(None)
    assert "whyrec causal discover" in none.discover("pc", 0.05)[2]
    assert none.effects() == ([], "Causal study not available: run `whyrec causal discover`.")
    png = tmp_path / "g.png"
    png.write_bytes(b"\x89PNG")
    provider = _Causal(str(png))
    handlers = CausalHandlers(provider)
    path, mermaid, status = handlers.discover("pc", 0.01)
    assert path == str(png) and mermaid.startswith("```mermaid\ngraph LR") and "2 variables, 1 edges" in status
    assert handlers.discover("pc", 1.5)[2].startswith("⚠️ alpha")
    assert provider.calls == [("pc", 0.01)]
    rows, msg = handlers.effects()
    assert rows == [["A", "B", "0.500", "[0.250, 0.750]", "C, D", "backdoor"]] and msg == "1 effect estimate(s)."
    assert effect_rows([{"treatment": "T", "outcome": "Y", "estimate": None, "adjustment_set": []}]) == [
        ["T", "Y", "", "", "∅ (none needed)", ""]]
    assert effect_rows([{"treatment": "T", "outcome": "Y", "estimate": 0.1, "adjustment_set": None,
                         "identification": "not_identifiable"}])[0][4] == "none possible (not_identifiable)"


def test_eval_handlers(tmp_path):
    assert "whyrec eval" in EvalHandlers(None).run("x")[0]
    report = tmp_path / "r.json"
    report.write_text("{}")
    plot = tmp_path / "p.png"
    plot.write_bytes(b"\x89PNG")

    class Runner:
        def list_suites(self):
            return ["scripted/basic", "redial/valid"]

        def run(self, suite, progress_cb):
            progress_cb(0.5, "half")
            progress_cb(1.0, "done")
            return {"markdown": f"# {suite}\n| metric | value |", "plots": [str(plot), str(tmp_path / "gone.png")],
                    "json_path": str(report)}

    seen = []
    handlers = EvalHandlers(Runner())
    assert handlers.suites() == ["scripted/basic", "redial/valid"]
    md, plots, json_path = handlers.run("scripted/basic", lambda f, desc=None: seen.append((f, desc)))
    assert md.startswith("# scripted/basic") and plots == [str(plot)] and json_path == str(report)
    assert seen == [(0.5, "half"), (1.0, "done")]
    assert handlers.run(None)[0] == "⚠️ Pick a suite first."


# -- the app as a whole ------------------------------------------------------------------------
def test_importing_the_app_does_no_work():
    code = "import sys, ui.app, ui.cli_ui; print(any(m.startswith('gradio') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_build_app_lays_out_all_tabs(store, tmp_path):
    from agent.settings import Settings
    from ui.app import build_app

    settings = Settings(data_dir=tmp_path, support_username=None, support_password=None)
    demo = build_app(FakeAgent(store, small_items()), store, settings)
    config = json.dumps(demo.get_config_file(), default=str)
    for tab in ("Chat", "Support", "Causal", "Evaluation"):
        assert f'"label": "{tab}"' in config
    assert "WHYREC_SUPPORT_USERNAME" in config  # support disabled: says how to enable it
    assert "whyrec causal discover" in config and "whyrec eval --help" in config
    assert store.counts()["sessions"] == 0  # building does not start a session
