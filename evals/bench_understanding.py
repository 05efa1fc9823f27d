"""Understanding benchmark: the turn parser (and parser + LLM) against hand-checked gold.

Why: the parser's rules and the LLM filler earn their place only by measurement on the
same labelled messages (``evals/data/understanding_gold.jsonl``: ReDial seeker turns and
written cases). Reported: per-slot precision/recall/F1 (titles by catalog id; genres and
people signed, so "no horror" never counts as "horror"; years as ``min``/``max`` values),
a "constraints" group (genres + people + years, micro-averaged), title-sentiment accuracy
(every gold title, with its polarity: liked/more-like, disliked, seen, mentioned -- a
missing or wrong polarity is an error; gold unresolved titles must come back unresolved)
and act accuracy. Targets (default configuration): sentiment >= 90%, constraints F1 >=
0.90, act accuracy >= 90%.

    python -m evals.bench_understanding [--llm URL] [--json] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from agent.turn.state_update import StateUpdate
from agent.turn.understand import parse
from evals.machine import machine
from evals.provenance import git_state
from tools.catalog.catalog import load_catalog
from tools.resolve.people import PeopleIndex
from tools.resolve.title_resolution import normalise
from tools.resolve.titles import TitleResolver

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "data" / "understanding_gold.jsonl"
#: the code this benchmark's numbers describe (tests/test_results_provenance.py checks they are not stale)
MEASURES = ("agent/turn/understand.py", "agent/turn/title_context.py", "agent/turn/state_update.py", "agent/turn/lexicon.py", "agent/turn/polarity.py",
            "agent/turn/message_act.py", "agent/turn/years.py", "agent/turn/title_slots.py",
            "agent/turn/title_typos.py", "agent/turn/understand_llm.py", "tools/resolve/titles.py", "tools/resolve/short_names.py", "tools/resolve/title_resolution.py",
            "tools/resolve/people.py", "evals/data/understanding_gold.jsonl")
RESULTS = ROOT / "evals" / "results" / "understanding.md"
SLOTS = ("liked", "disliked", "seen", "genres", "people", "years")
CONSTRAINT_SLOTS = ("genres", "people", "years")
TARGETS = {"sentiment": 0.90, "constraints_f1": 0.90, "act": 0.90}


def load_gold(path: Path = GOLD) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{path} holds no gold rows")
    return rows


def _sets(update: dict) -> dict[str, set[str]]:
    """Gold or predicted slots as comparable sets (a StateUpdate dict or a gold dict)."""
    def ids(key: str) -> set[str]:
        return {r["item_id"] if isinstance(r, dict) else str(r) for r in update.get(key) or ()}

    years = {f"min={update['year_min']}"} if update.get("year_min") is not None else set()
    years |= {f"max={update['year_max']}"} if update.get("year_max") is not None else set()
    return {
        "liked": ids("liked") | ids("more_like"), "disliked": ids("disliked"), "seen": ids("seen"),
        "genres": {f"+{g}" for g in update.get("genres_liked") or ()} | {f"-{g}" for g in update.get("genres_disliked") or ()},
        "people": {f"+{normalise(p)}" for p in update.get("people_liked") or ()}
        | {f"-{normalise(p)}" for p in update.get("people_disliked") or ()},
        "years": years,
    }


def _polarities(update: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, pol in (("mentioned", "mentioned"), ("seen", "seen"), ("disliked", "disliked"), ("more_like", "liked"),
                     ("liked", "liked")):
        for r in update.get(key) or ():
            out[r["item_id"] if isinstance(r, dict) else str(r)] = pol
    return out


def score(rows: list[dict], predict: Callable[[dict], StateUpdate]) -> dict:
    """Run ``predict`` on every row and compare with the gold; returns the metrics dict."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    sent_ok = sent_n = act_ok = unres_tp = unres_fp = unres_fn = 0
    errors: list[dict] = []
    started = time.perf_counter()
    for row in rows:
        pred = predict(row).to_dict()
        gold = row["gold"]
        gs, ps = _sets(gold), _sets(pred)
        for slot in SLOTS:
            tp[slot] += len(gs[slot] & ps[slot])
            fp[slot] += len(ps[slot] - gs[slot])
            fn[slot] += len(gs[slot] - ps[slot])
        gpol, ppol = _polarities(gold), _polarities(pred)
        row_ok = True
        for item_id, pol in gpol.items():
            sent_n += 1
            ok = ppol.get(item_id) == pol
            sent_ok += ok
            row_ok &= ok
        g_un = {normalise(s) for s in gold.get("unresolved") or ()}
        p_un = {normalise(u["surface"]) for u in pred.get("unresolved") or ()}
        sent_n += len(g_un)
        sent_ok += len(g_un & p_un)
        unres_tp, unres_fp, unres_fn = unres_tp + len(g_un & p_un), unres_fp + len(p_un - g_un), unres_fn + len(g_un - p_un)
        act_ok += pred["act"] == gold["act"]
        if not row_ok or pred["act"] != gold["act"] or g_un != p_un or any(gs[s] != ps[s] for s in SLOTS):
            errors.append({"id": row["id"], "text": row["text"], "gold": gold, "pred": pred})
    elapsed = time.perf_counter() - started

    def prf(t: int, p: int, n: int) -> dict:
        prec = t / (t + p) if t + p else 1.0
        rec = t / (t + n) if t + n else 1.0
        return {"p": prec, "r": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "support": t + n}

    slots = {s: prf(tp[s], fp[s], fn[s]) for s in SLOTS}
    slots["constraints"] = prf(*(sum(c[s] for s in CONSTRAINT_SLOTS) for c in (tp, fp, fn)))
    slots["unresolved"] = prf(unres_tp, unres_fp, unres_fn)
    return {"n": len(rows), "slots": slots, "sentiment": sent_ok / sent_n if sent_n else 1.0, "sentiment_n": sent_n,
            "act": act_ok / len(rows), "ms_per_message": 1000 * elapsed / len(rows), "errors": errors}


def _table(name: str, res: dict) -> str:
    lines = [f"**{name}** ({res['n']} messages, {res['ms_per_message']:.1f} ms/message)", "",
             "| slot | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for slot, m in res["slots"].items():
        lines.append(f"| {slot} | {m['p']:.3f} | {m['r']:.3f} | {m['f1']:.3f} | {m['support']} |")
    c = res["slots"]["constraints"]["f1"]
    lines += ["", "| headline | value | target |", "|---|---|---|",
              f"| title sentiment accuracy | {res['sentiment']:.1%} (n={res['sentiment_n']}) | >= 90% |",
              f"| constraints F1 | {c:.3f} | >= 0.90 |", f"| act accuracy | {res['act']:.1%} | >= 90% |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", metavar="URL", help="also run parser + LLM against this OpenAI-compatible server")
    ap.add_argument("--json", action="store_true", help="print the metrics as JSON instead of tables")
    ap.add_argument("--no-write", action="store_true", help=f"do not append to {RESULTS.relative_to(ROOT)}")
    ap.add_argument("--errors", type=int, default=0, help="print the first N mismatching rows")
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--limit", type=int, default=0,
                    help="score an evenly spaced sample of N messages (every configuration on the same sample)")
    args = ap.parse_args(argv)
    load = machine(("rapidfuzz", "langchain-openai"))
    rows = load_gold(args.gold)
    if 0 < args.limit < len(rows):
        rows = [rows[i * len(rows) // args.limit] for i in range(args.limit)]
    catalog = load_catalog()
    resolver = TitleResolver(catalog.items)
    people = PeopleIndex(catalog.items)

    def run_parser(row: dict) -> StateUpdate:
        return parse(row["text"], resolver, people=people, last_slate=(row.get("context") or {}).get("last_slate", ()))

    results = {"parser": score(rows, run_parser)}
    if args.llm:
        from agent.llm.client import build_chat_model
        from agent.settings import Settings
        from agent.turn.understand_llm import understand_with_llm

        model = build_chat_model(Settings(), base_url=args.llm, temperature=0.0, max_tokens=400)

        def run_llm(row: dict) -> StateUpdate:
            slate = (row.get("context") or {}).get("last_slate", ())
            return understand_with_llm(row["text"], model, resolver, people=people, last_slate=slate,
                                       parsed=run_parser(row))

        results["parser+llm"] = score(rows, run_llm)
    for res in results.values():
        for e in res["errors"][: args.errors]:
            print(json.dumps(e, ensure_ascii=False), file=sys.stderr)
    if args.json:
        print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "errors"} for k, v in results.items()}, indent=2))
    else:
        for name, res in results.items():
            print(_table(name, res) + "\n")
    if not args.no_write:
        cmd = "python -m evals.bench_understanding " + " ".join(argv if argv is not None else sys.argv[1:])
        block = [f"## Understanding benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
                 f"- Commit: {git_state()}", f"- Command: `{cmd.strip()}`", f"- Machine: {load}",
                 f"- Gold: {args.gold.name} ({len(rows)} messages; catalog {catalog.name}, {len(people)} people indexed)",
                 ""] + [_table(name, res) + "\n" for name, res in results.items()]
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(block) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
