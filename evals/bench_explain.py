"""Explanation benchmark: is the checker right, and how often does checked LLM text reach the user?

Run: ``python -m evals.bench_explain [--turns 45] [--json] [--no-write]``; appends to
``evals/results/explain.md``. Part 2 needs the LLM server (``whyrec llm serve --background``);
without it only part 1 runs and the report says so.

1. The checker on its test set (``evals/data/explain_checks.jsonl``, built from real cards by
   ``python -m evals.explain_checkset``): the share of wrong explanations it rejects, per kind of
   mistake, and the share of right ones it accepts.
2. The live turn on ReDial validation requests (the seeker's words up to the first suggestion,
   one fresh session each), twice in the same run: with LLM explanations streaming in after the
   answer, and template-only (``explain_follow_up_s=0``), the baseline. Reported: share of cards
   that end up showing LLM text that passed, first try vs after regeneration, sentence-level
   support of the raw LLM text, time to first card and to the answer (p50/p95) in both modes
   (the difference is what explanation work adds to the turn), and how long after the answer
   each card's LLM text arrives.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.metrics import percentile
from evals.provenance import header

RESULTS = Path(__file__).resolve().parent / "results" / "explain.md"
#: the code these numbers describe
MEASURES = ("tools/explain/claims.py", "tools/explain/claim_check.py", "tools/explain/claim_text.py", "tools/explain/claim_llm.py",
            "tools/explain/faithfulness.py", "tools/explain/faithfulness_titles.py", "tools/explain/faithfulness_lexicon.py",
            "tools/explain/explainer.py", "agent/explaining.py", "agent/turn/explain_stage.py", "agent/turn/evidence.py", "agent/turn/cards.py",
            "evals/explain_checkset.py", "evals/data/explain_checks.jsonl")




def checker_part() -> dict[str, Any]:
    from agent.runtime import load_active_catalog
    from agent.settings import Settings
    from evals.explain_checkset import OUT, load
    from tools.explain.claim_llm import check_claim_sentences
    from tools.explain.faithfulness_titles import TitleIndex

    index = TitleIndex.coerce(load_active_catalog(Settings()))
    per_kind: Counter[tuple[str, str]] = Counter()
    ok: Counter[tuple[str, str]] = Counter()
    misses: list[dict[str, Any]] = []
    for label, kind, bundle, sents in load(OUT):
        passed = check_claim_sentences(sents, bundle, index).passed
        per_kind[(label, kind)] += 1
        if passed == (label == "right"):
            ok[(label, kind)] += 1
        elif len(misses) < 6:
            misses.append({"label": label, "kind": kind, "text": " ".join(s.text for s in sents)})
    wrong = sum(v for (lab, _), v in per_kind.items() if lab == "wrong")
    right = sum(v for (lab, _), v in per_kind.items() if lab == "right")
    return {"wrong": wrong, "right": right,
            "rejects_wrong": sum(v for (lab, _), v in ok.items() if lab == "wrong") / max(1, wrong),
            "accepts_right": sum(v for (lab, _), v in ok.items() if lab == "right") / max(1, right),
            "per_kind": {f"{lab}/{k}": {"n": n, "correct": ok[(lab, k)]} for (lab, k), n in sorted(per_kind.items())},
            "misses": misses}


def requests(n: int, seed: int) -> list[str]:
    """The seeker's words up to the first movie the recommender suggested, from ReDial validation."""
    from agent.runtime import load_active_catalog
    from agent.settings import Settings
    from tools.datasets.redial import default_redial_dir, load_dialogues, render_text

    titles = {it.item_id: it.title for it in load_active_catalog(Settings()).items}
    dialogues = load_dialogues(default_redial_dir() / "valid_data.jsonl")
    random.Random(seed).shuffle(dialogues)
    out = []
    for d in dialogues:
        words: list[str] = []
        seeker_ids: set[str] = set()
        for t in d.turns:
            if not t.is_seeker and any(m not in seeker_ids for m in t.mentions):
                break
            if t.is_seeker:
                words.append(render_text(t.text, titles))
                seeker_ids.update(t.mentions)
        text = " ".join(" ".join(words).split())
        if len(text.split()) >= 6 and seeker_ids:
            out.append(text[:600])
        if len(out) >= n:
            break
    return out


def run_mode(rt: Any, texts: list[str], follow_up_s: float) -> dict[str, Any]:
    agent = rt.agent
    agent.settings = replace(agent.settings, explain_follow_up_s=follow_up_s) if hasattr(
        agent.settings, "__dataclass_fields__") else agent.settings.model_copy(update={"explain_follow_up_s": follow_up_s})
    first_card, final_ms, llm_after, cards, paths = [], [], [], 0, Counter()
    tried = passed_sent = 0
    examples: list[str] = []
    explain_ms: list[float] = []
    planned = 0
    titles: dict[str, str] = {}
    for i, text in enumerate(texts):
        sid = agent.new_session()
        t0 = time.perf_counter()
        t_final = None
        shown: dict[str, str] = {}
        for ev in agent.stream_turn(sid, text):
            now = (time.perf_counter() - t0) * 1000
            if ev.kind == "recommendation" and not shown:
                first_card.append(now)
            if ev.kind == "recommendation":
                shown[ev.data["rec_id"]] = "template"
                titles[ev.data["rec_id"]] = ev.data.get("title", "?")
            elif ev.kind == "explanation" and ev.data.get("explanation_path") != "template":
                shown[ev.data["rec_id"]] = ev.data["explanation_path"]
                if len(examples) < 4 and i % 7 == 0:
                    examples.append(f"{titles.get(ev.data['rec_id'], '?')}: {ev.data['explanation']}")
                if t_final is not None:
                    llm_after.append(now - t_final)
            elif ev.kind == "final":
                t_final = now
                final_ms.append(now)
                explain_ms.append(float((ev.data.get("stage_ms") or {}).get("explain_ms", 0.0)))
                planned += ev.data.get("llm") == "planned"
            elif ev.kind == "explanations_done":
                tried += ev.data.get("sentences_tried", 0)
                passed_sent += ev.data.get("sentences_passed", 0)
        cards += len(shown)
        paths.update(shown.values())
        print(f"  [{'llm' if follow_up_s else 'template'}] turn {i + 1}/{len(texts)}: {len(shown)} cards, "
              f"{sum(p != 'template' for p in shown.values())} with LLM text", flush=True)
    llm_cards = paths["llm"] + paths["llm_regenerated"]
    return {"turns": len(texts), "cards": cards, "paths": dict(paths),
            "llm_share": llm_cards / cards if cards else 0.0,
            "first_try": paths["llm"] / cards if cards else 0.0,
            "after_regen": llm_cards / cards if cards else 0.0,
            "sentences_tried": tried, "sentence_support": passed_sent / tried if tried else None,
            "first_card_ms": {"p50": percentile(first_card, 50), "p95": percentile(first_card, 95)},
            "answer_ms": {"p50": percentile(final_ms, 50), "p95": percentile(final_ms, 95)},
            "llm_text_after_answer_ms": {"p50": percentile(llm_after, 50), "p95": percentile(llm_after, 95)},
            "examples": examples, "planned_share": planned / len(texts) if texts else 0.0,
            "explain_stage_ms": {"p50": percentile(explain_ms, 50), "p95": percentile(explain_ms, 95)}}


def live_part(n: int, seed: int) -> dict[str, Any] | None:
    from agent.llm.server import server_handle
    from agent.runtime import build_runtime
    from agent.settings import Settings

    settings = Settings()
    if not server_handle(settings).status()["healthy"]:
        return None
    rt = build_runtime(settings, use_llm=True)
    texts = requests(n, seed)
    llm = run_mode(rt, texts, settings.explain_follow_up_s or 8.0)
    base = run_mode(rt, texts, 0.0)
    # what explanation work adds to the turn is its stage inside the turn (the LLM follow-up runs after the
    # answer); answer-time differences between the modes also carry whether the planner was admitted
    return {"model": settings.llm_model, "llm": llm, "template_only": base,
            "added_p95_ms": llm["explain_stage_ms"]["p95"] or 0.0}


def _f(v: Any, fmt: str = "{:.0f}") -> str:
    return "—" if v is None else fmt.format(v)


def report(chk: dict[str, Any], live: dict[str, Any] | None) -> list[str]:
    lines = header("Explanations: checker and live turns", None, ("torch", "langchain-openai"))
    lines += [f"### Checker on its test set ({chk['wrong']} wrong, {chk['right']} right explanations of real cards)", "",
              f"- rejects wrong: **{chk['rejects_wrong']:.1%}** (target >= 98%)",
              f"- accepts right: **{chk['accepts_right']:.1%}** (target >= 95%)", "",
              "| case | n | judged correctly |", "|---|---|---|"]
    lines += [f"| {k} | {v['n']} | {v['correct'] / v['n']:.0%} |" for k, v in chk["per_kind"].items()]
    lines.append("")
    if live is None:
        return lines + ["Live turns: not run (no LLM server; `whyrec llm serve --background`).", ""]
    a, b = live["llm"], live["template_only"]
    lines += [f"### Live turns: {a['turns']} ReDial validation requests, {a['cards']} cards, model {live['model']}", "",
              "| | LLM explanations streamed in | template only (baseline) |", "|---|---|---|",
              f"| cards showing checked LLM text | {a['llm_share']:.1%} | 0% |",
              f"| … passed first try / after one regeneration | {a['first_try']:.1%} / {a['after_regen']:.1%} | — |",
              f"| LLM sentences passing the claim check | {_f(a['sentence_support'], '{:.1%}')} of "
              f"{a['sentences_tried']} | — |",
              f"| first card p50 / p95 ms | {_f(a['first_card_ms']['p50'])} / {_f(a['first_card_ms']['p95'])} | "
              f"{_f(b['first_card_ms']['p50'])} / {_f(b['first_card_ms']['p95'])} |",
              f"| answer (turn) p50 / p95 ms | {_f(a['answer_ms']['p50'])} / {_f(a['answer_ms']['p95'])} | "
              f"{_f(b['answer_ms']['p50'])} / {_f(b['answer_ms']['p95'])} |",
              f"| explanation stage inside the turn p50 / p95 ms | {_f(a['explain_stage_ms']['p50'])} / "
              f"{_f(a['explain_stage_ms']['p95'])} | {_f(b['explain_stage_ms']['p50'])} / "
              f"{_f(b['explain_stage_ms']['p95'])} |",
              f"| turns the LLM planner ran in (admission control decides) | {a['planned_share']:.0%} | "
              f"{b['planned_share']:.0%} |",
              f"| LLM text arrives after the answer, p50 / p95 ms | {_f(a['llm_text_after_answer_ms']['p50'])} / "
              f"{_f(a['llm_text_after_answer_ms']['p95'])} | — |", "",
              f"Explanation work inside the turn, p95: {live['added_p95_ms']:.0f} ms (target <= 500 ms added). "
              "The LLM text is written after the answer (outside the turn) and replaces the card's template "
              "when it passes.", "", "Examples of LLM text that passed (card: text):", ""]
    lines += [f"- {e}" for e in a["examples"]] + [""]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--turns", type=int, default=45, help="live turns per mode (5 cards each)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--checker-only", action="store_true", help="skip the live turns")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    chk = checker_part()
    live = None if args.checker_only else live_part(args.turns, args.seed)
    lines = report(chk, live)
    if args.json:
        print(json.dumps({"checker": chk, "live": live}, indent=2))
    else:
        print("\n".join(lines))
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
