"""Reports write md/json/png; `whyrec eval compare` prints deltas; the simulator never leaks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from evals.dialogue_runner import run_scripts, summarise
from evals.dialogue_schema import parse_script
from evals.llm_simulator import LeakGuard, RuleSeeker, run_episode, summarise_episodes
from evals.metrics import fairness_diversity
from evals.report import compare_runs, headline, write_report
from tests.fixtures_retrieval import small_catalog
from tests.test_eval_dialogues import FakeAgent
from tools.resolve.titles import TitleResolver
from ui.cli_eval import eval_app

CAT = small_catalog()
POP = {i.item_id: float(i.popularity) for i in CAT.items}


def _dialogue_report(agent: FakeAgent, name: str) -> dict:
    scripts = [parse_script({"name": "a", "category": "cold_start", "turns": [{"user": "scary"}]}),
               parse_script({"name": "b", "category": "off_topic", "turns": [{"user": "pixar",
                                                                              "expect": {"max_recs": 0}}]})]
    out = run_scripts(scripts, lambda on: agent, CAT, workers=1, progress=False)
    s = summarise(out)
    return {"kind": "dialogues", "name": name, "config": {"llm": "fake", "settings_hash": name},
            "summary": s, "fairness": fairness_diversity(s["recommended_ids"], POP),
            "scripts": [o.to_dict() for o in out], "load_errors": []}


def test_dialogue_report_files_and_compare_cli(tmp_path: Path):
    a = write_report(_dialogue_report(FakeAgent(), "A"), tmp_path / "A")
    rep_b = _dialogue_report(FakeAgent(), "B")
    rep_b["summary"]["per_category"]["off_topic"]["pass_rate"] = 1.0  # B fixed off-topic
    write_report(rep_b, tmp_path / "B")
    for f in ("report.md", "report.json", "pass_rates.png", "latency_hist.png"):
        assert (tmp_path / "A" / f).is_file()
    assert all(Path(p).read_bytes()[:4] == b"\x89PNG" for p in a["plots"])
    md = (tmp_path / "A" / "report.md").read_text()
    assert "Pass rate per category" in md and "Fairness and diversity" in md and "niche rate" in md
    assert "| off_topic | 1 | 0 | 0.0% |" in md and "Configuration" in md
    data = json.loads((tmp_path / "A" / "report.json").read_text())
    assert data["headline"]["category.off_topic.pass_rate"] == 0.0

    res = CliRunner().invoke(eval_app, ["compare", str(tmp_path / "A"), str(tmp_path / "B")])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("category.off_topic.pass_rate"))
    assert line.split()[-1] == "+1.000"
    assert "settings_hash" in res.output  # configuration differences are listed
    res = CliRunner().invoke(eval_app, ["compare", str(tmp_path / "A"), str(tmp_path / "B"), "--json"])
    c = json.loads(res.output)
    row = next(r for r in c["metrics"] if r["metric"] == "category.off_topic.pass_rate")
    assert row == {"metric": "category.off_topic.pass_rate", "a": 0.0, "b": 1.0, "delta": 1.0}
    res = CliRunner().invoke(eval_app, ["compare", str(tmp_path / "A"), str(tmp_path / "nope")])
    assert res.exit_code == 2 and "report.json" in res.output


def test_redial_and_simulate_reports(tmp_path: Path):
    redial = {"kind": "redial", "split": "valid_data.jsonl", "dialogues": 2, "samples": 2, "targets": 3,
              "skipped": {}, "filtered": False, "k": 50,
              "training": {"note": "trained on train_partial.jsonl only: 1,355 of the 10,006"},
              "overlap": {"evaluated_dialogues_that_contributed_catalog_tags": 0, "note": "n"},
              "anchors": {"UniCRS": {"recall@1": 0.05, "recall@10": 0.215, "recall@50": 0.413}},
              "pipelines": {"gcn": {"metrics": {"recall@1": 1 / 3, "recall@10": 2 / 3, "recall@50": 2 / 3, "mrr": 0.4},
                                    "ranks": [1, 5, None], "latencies_ms": [1.0, 2.0], "errors": 0,
                                    "latency_ms": {"median": 1.5, "p95": 2.0}, "fairness_top10":
                                    fairness_diversity(["1", "2"], POP)}},
              "config": {"llm": "off"}}
    w = write_report(redial, tmp_path / "r")
    assert {Path(p).name for p in w["plots"]} == {"recall_at_k.png", "latency_hist.png"}
    assert "1,355 of the 10,006" in w["markdown"] and "UniCRS (published)" in w["markdown"]
    assert headline(json.loads(Path(w["json_path"]).read_text()))["gcn.recall@10"] == 2 / 3
    assert compare_runs(redial, redial)["metrics"][0]["delta"] == 0.0


def test_rule_simulator_episode_and_leak_guard(tmp_path: Path):
    resolver = TitleResolver(CAT.items)
    target = CAT.get("8")  # The Shining
    guard = LeakGuard(target, resolver)
    assert guard.leaks("I want something like The Shining please")
    assert guard.leaks("maybe the shining?")
    assert not guard.leaks("a scary haunted hotel movie")
    assert not guard.leaks(guard.redact("is it The Shining?"))

    class LeakySeeker(RuleSeeker):
        def utterance(self, history, turn, attempt=0):
            return "just give me The Shining" if attempt == 0 else super().utterance(history, turn, attempt)

    class HorrorAgent(FakeAgent):
        ANSWERS = {"Horror": ["5", "8", "6"]}

    assert RuleSeeker(target).utterance([], 0) == "Can you recommend a Horror Drama movie?"
    ep = run_episode(HorrorAgent(), LeakySeeker(target), guard, target, max_turns=2)
    assert ep["success"] and ep["turns"] == 1
    assert ep["leaks"] == 1 and ep["leaked_sent"] == 0
    assert "Shining" not in ep["transcript"][0][1]
    rep = summarise_episodes([ep], 2, RuleSeeker.label)
    assert rep["summary"]["success_rate"] == 1.0 and rep["summary"]["leak_fraction"] == 0.5
    rep["fairness"] = fairness_diversity(rep.pop("recommended_ids"), POP)
    rep["config"] = {}
    w = write_report(rep, tmp_path / "s")
    assert "rule-based" in w["markdown"] and Path(w["json_path"]).is_file()
