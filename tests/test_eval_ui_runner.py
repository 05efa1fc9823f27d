"""The UI adapter runs a real scripted suite through the real agent (fake LLM off, small real index)."""

from __future__ import annotations

from pathlib import Path

from agent.settings import Settings
from evals.ui_runner import REDIAL_SUITE, SIM_SUITE, EvalRunner
from ui.ports import EvalRunner as EvalRunnerPort

SCRIPT = """
name: tiny_more_like
category: more_like
llm: "off"
turns:
  - user: Something like The Shining
    expect:
      degraded: true
      min_recs: 1
      not_in_recs: [{title: The Shining}]
      explanations_faithful: true
    feedback: [{rank: 1, kind: dislike}]
  - user: more scary movies please
    expect:
      min_recs: 1
"""
OFF_TOPIC = """
name: tiny_off_topic
category: off_topic
turns:
  - user: What's the weather in Paris tomorrow?
    expect:
      max_recs: 0
      tool_not_called: [search_items]
"""


def test_eval_runner_protocol_and_real_agent_run(make_agent, tmp_path: Path):
    folder = tmp_path / "dlg"
    folder.mkdir()
    (folder / "a.yaml").write_text(SCRIPT, encoding="utf-8")
    (folder / "b.yaml").write_text(OFF_TOPIC, encoding="utf-8")
    agent = make_agent(chat_model=None)
    runner = EvalRunner(Settings(recs_per_turn=3), agent, dialogues_dir=folder, runs_dir=tmp_path / "runs")
    assert isinstance(runner, EvalRunnerPort)
    suites = runner.list_suites()
    assert suites[:3] == ["Scripted dialogues: all", "Scripted dialogues: more_like", "Scripted dialogues: off_topic"]
    assert REDIAL_SUITE in suites and SIM_SUITE in suites
    calls: list[tuple[float, str]] = []
    out = runner.run("Scripted dialogues: all", lambda f, m: calls.append((f, m)))
    assert calls[0][0] == 0.0 and calls[-1] == (1.0, "done")
    assert Path(out["json_path"]).is_file() and all(Path(p).is_file() for p in out["plots"])
    md = out["markdown"]
    assert "Pass rate per category" in md and "| more_like | 1 |" in md and "| off_topic | 1 | 1 | 100.0% |" in md
    assert "no_disliked" in md and "Fairness and diversity" in md
