"""Evaluation reports: Markdown + JSON + PNG plots in one run folder, and run-to-run deltas.

Why one writer for every kind of run (dialogues, redial, simulate): each report carries the
same configuration block (model, scorers, catalog version, settings hash) and a flat
``headline`` of numbers, so ``whyrec eval compare RUN_A RUN_B`` can diff any two runs of
the same kind, and a fairness/diversity section so accuracy is never read alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.metrics import percentile

RUNS_DIR = Path(__file__).resolve().parent / "runs"
_SECRET = ("password", "secret", "token", "key")


def new_run_dir(name: str, out: Path | str | None = None) -> Path:
    """``out`` if given, else evals/runs/<UTC timestamp>-<name>/ (git-ignored); created."""
    if out is not None:
        path = Path(out)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = RUNS_DIR / f"{stamp}-{name}"
        n = 1
        while path.exists():
            n += 1
            path = RUNS_DIR / f"{stamp}-{name}-{n}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_hash(settings: Any) -> str:
    """Hash of every setting except secrets: equal hashes mean equal configuration."""
    data = settings.model_dump(mode="json") if hasattr(settings, "model_dump") else dict(settings)
    clean = {k: v for k, v in data.items() if not any(s in k.lower() for s in _SECRET)}
    return hashlib.sha256(json.dumps(clean, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_block(settings: Any | None, **extra: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if settings is not None:
        cfg.update(settings_hash=settings_hash(settings), llm_model=getattr(settings, "llm_model", None),
                   llm_base_urls=[str(u) for u in (getattr(settings, "llm_base_urls", None) or [])],
                   scorer_setting=getattr(settings, "scorer", None), seed=getattr(settings, "seed", None),
                   data_dir=str(getattr(settings, "data_dir", "")))
    cfg.update({k: v for k, v in extra.items() if v is not None})
    return cfg


# -- headline numbers (what compare diffs) -------------------------------------------------------
def headline(report: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    kind = report.get("kind")
    if kind == "dialogues":
        s = report["summary"]
        out["pass_rate"] = s["pass_rate"]
        for cat, v in s["per_category"].items():
            out[f"category.{cat}.pass_rate"] = v["pass_rate"]
        for chk, v in s["per_check"].items():
            out[f"check.{chk}.pass_rate"] = v["pass_rate"]
        out["latency_ms.p50"] = percentile(s["latencies_ms"], 50)
        out["latency_ms.p95"] = percentile(s["latencies_ms"], 95)
    elif kind == "redial":
        for name, r in report["pipelines"].items():
            for m, v in r["metrics"].items():
                if m not in ("n", "samples"):
                    out[f"{name}.{m}"] = v
            out[f"{name}.latency_ms.median"] = r["latency_ms"]["median"]
            for m, v in r["fairness_top10"].items():
                if isinstance(v, int | float):
                    out[f"{name}.fairness.{m}"] = v
    elif kind == "simulate":
        for m in ("success_rate", "mean_turns_to_success", "leak_fraction"):
            out[m] = report["summary"].get(m)
    for m, v in (report.get("fairness") or {}).items():
        if isinstance(v, int | float):
            out[f"fairness.{m}"] = v
    return {k: float(v) for k, v in out.items() if isinstance(v, int | float) and not math.isnan(float(v))}


# -- markdown -----------------------------------------------------------------------------------
def _f(v: Any, pct: bool = False) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.1%}" if pct else f"{v:.3f}"
    return str(v)


def fairness_md(f: dict[str, Any], title: str = "Fairness and diversity") -> str:
    if not f:
        return f"## {title}\n\n(no recommendations were made)\n"
    return "\n".join([
        f"## {title}", "",
        "| measure | value |", "|---|---|",
        f"| recommendations (shown items) | {f['n_recommendations']} ({f['distinct_items']} distinct) |",
        f"| mean / median popularity, recommended | {_f(f['mean_popularity_recommended'])} / "
        f"{_f(f['median_popularity_recommended'])} |",
        f"| mean / median popularity, catalog | {_f(f['mean_popularity_catalog'])} / {_f(f['median_popularity_catalog'])} |",
        f"| catalog coverage | {_f(f['catalog_coverage'], True)} |",
        f"| Gini of exposure (0 = even) | {_f(f['exposure_gini'])} |",
        f"| niche rate (bottom 50% popularity) | {_f(f['niche_rate'], True)} |", "",
    ])


def config_md(cfg: dict[str, Any]) -> str:
    lines = ["## Configuration", "", "| key | value |", "|---|---|"]
    lines += [f"| {k} | `{json.dumps(v, default=str) if not isinstance(v, str) else v}` |" for k, v in cfg.items()]
    return "\n".join(lines) + "\n"


def dialogues_md(report: dict[str, Any]) -> str:
    s = report["summary"]
    lat = s["latencies_ms"]
    lines = [f"# Scripted dialogues — {report.get('name', '')}", "",
             f"**{s['scripts_passed']} / {s['scripts']} scripts passed ({_f(s['pass_rate'], True)})**, "
             f"{s['turns']} turns, {s['degraded_turns']} in limited mode. LLM: {report['config'].get('llm', '?')}. "
             f"Turn latency p50 {_f(percentile(lat, 50))} ms, p95 {_f(percentile(lat, 95))} ms.", "",
             "## Pass rate per category", "", "| category | scripts | passed | pass rate |", "|---|---|---|---|"]
    lines += [f"| {c} | {v['scripts']} | {v['passed']} | {_f(v['pass_rate'], True)} |" for c, v in s["per_category"].items()]
    lines += ["", "## Pass rate per check", "", "| check | checks | passed | pass rate |", "|---|---|---|---|"]
    lines += [f"| {c} | {v['checks']} | {v['passed']} | {_f(v['pass_rate'], True)} |" for c, v in s["per_check"].items()]
    fails = [sc for sc in report["scripts"] if not sc["passed"]]
    lines += ["", f"## Failures ({len(fails)} scripts)", ""]
    for sc in fails:
        lines.append(f"- **{sc['name']}** ({sc['category']}, llm {sc['llm']}):")
        for t in sc["turns"]:
            for c in t["checks"]:
                if not c["passed"]:
                    lines.append(f"  - turn {t['index'] + 1} `{c['check']}`: {c['detail'][:300]}")
    if report.get("load_errors"):
        lines += ["", "## Scripts that did not load", ""] + [f"- {e}" for e in report["load_errors"]]
    return "\n".join(lines) + "\n"


def redial_md(report: dict[str, Any]) -> str:
    from evals.redial_bench import comparison_table

    lines = [f"# ReDial benchmark — {Path(report['split']).name}", "",
             f"{report['dialogues']} dialogues, {report['samples']} recommender turns, {report['targets']} targets; "
             f"{'filtered (He et al. 2023: repeated mentions dropped)' if report['filtered'] else 'unfiltered'}; "
             "ranking over all catalog movies.",
             "", f"> {report['training']['note']}", "", comparison_table(report), "",
             "Published numbers are anchors, not a controlled comparison (full training data, test split).", "",
             f"Skipped: {report['skipped']}. Anchors: {report.get('anchors_protocol', 'as published')}.", "",
             "## Latency per turn (ms)", "", "| pipeline | median | p95 | errors |", "|---|---|---|---|"]
    for name, r in report["pipelines"].items():
        lines.append(f"| {name} | {_f(r['latency_ms']['median'])} | {_f(r['latency_ms']['p95'])} | {r['errors']} |")
    for name, r in report["pipelines"].items():
        lines += ["", fairness_md(r["fairness_top10"], f"Fairness and diversity — {name} (top-10 lists)")]
    return "\n".join(lines) + "\n"


def simulate_md(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [f"# User-simulator evaluation ({report['simulator']})", "",
             f"{s['episodes']} episodes, up to {report['max_turns']} turns each. **Success rate {_f(s['success_rate'], True)}**, "
             f"mean turns to success {_f(s['mean_turns_to_success'])}, leak fraction {_f(s['leak_fraction'], True)} "
             f"({s['leaks']} leaking utterances of {s['utterances']} redacted/regenerated; {s['leaked_sent']} sent); "
             f"{s.get('rule_fallback_utterances', 0)} utterances came from the rule-based fallback.", ""]
    if report.get("note"):
        lines += [f"> {report['note']}", ""]
    lines += ["| target | success | turns | leaks |", "|---|---|---|---|"]
    lines += [f"| {e['target_title']} | {'yes' if e['success'] else 'no'} | {e['turns']} | {e['leaks']} |"
              for e in report["episodes"]]
    return "\n".join(lines) + "\n"


# -- plots -------------------------------------------------------------------------------------
def _plots(report: dict[str, Any], run_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths: list[str] = []

    def save(fig: Any, name: str) -> None:
        p = run_dir / name
        fig.tight_layout()
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(str(p))

    kind = report["kind"]
    lat: list[float] = []
    if kind == "dialogues":
        per = report["summary"]["per_category"]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.barh(list(per), [v["pass_rate"] or 0 for v in per.values()], color="#4c72b0")
        ax.set_xlim(0, 1)
        ax.set_xlabel("pass rate")
        ax.set_title("Scripted dialogues: pass rate per category")
        save(fig, "pass_rates.png")
        lat = report["summary"]["latencies_ms"]
    elif kind == "redial":
        from evals.redial_bench import recall_curve

        fig, ax = plt.subplots(figsize=(6, 4))
        for name, r in report["pipelines"].items():
            ax.plot(range(1, 51), recall_curve(r.get("ranks") or [], range(1, 51)), label=name)
        for name, m in report["anchors"].items():
            pts = [(k, m.get(f"recall@{k}")) for k in (1, 10, 50) if m.get(f"recall@{k}") is not None]
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker="x", label=f"{name} (published)")
        ax.set_xlabel("k")
        ax.set_ylabel("Recall@k")
        ax.set_title("ReDial: Recall@k")
        ax.legend(fontsize=7)
        save(fig, "recall_at_k.png")
        lat = [x for r in report["pipelines"].values() for x in r.get("latencies_ms", [])]
    elif kind == "simulate":
        turns = [e["turns"] for e in report["episodes"] if e["success"]]
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(turns, bins=range(1, report["max_turns"] + 2), color="#55a868", align="left")
        ax.set_xlabel("turns to success")
        ax.set_title("Simulator: turns to success")
        save(fig, "turns_to_success.png")
        lat = report.get("latencies_ms", [])
    if lat:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(lat, bins=30, color="#c44e52")
        ax.set_xlabel("latency per turn (ms)")
        ax.set_title("Latency")
        save(fig, "latency_hist.png")
    return paths


def write_report(report: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Write report.json, report.md and plots; returns {"markdown", "plots", "json_path", "md_path", "run_dir"}."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    report = {**report, "headline": headline(report)}
    render = {"dialogues": dialogues_md, "redial": redial_md, "simulate": simulate_md}[report["kind"]]
    md = render(report)
    if report.get("fairness") is not None or report["kind"] == "dialogues":
        md += "\n" + fairness_md(report.get("fairness") or {})
    md += "\n" + config_md(report.get("config", {}))
    plots = _plots(report, run_dir)
    md += "\n" + "\n".join(f"![{Path(p).stem}]({Path(p).name})" for p in plots) + "\n"
    json_path = run_dir / "report.json"
    json_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    md_path = run_dir / "report.md"
    md_path.write_text(md, encoding="utf-8")
    return {"markdown": md, "plots": plots, "json_path": str(json_path), "md_path": str(md_path), "run_dir": str(run_dir)}


# -- compare -----------------------------------------------------------------------------------
def load_run(path: Path | str) -> dict[str, Any]:
    p = Path(path)
    p = p / "report.json" if p.is_dir() else p
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no report.json there; pass a run folder under evals/runs/ or a report.json")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not a JSON report ({exc})") from None
    if "kind" not in data:
        raise ValueError(f"{p}: not a WhyRec eval report (no 'kind')")
    return data


def compare_runs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per-metric a, b and b - a over the union of headline keys; config keys that differ."""
    ha, hb = a.get("headline") or headline(a), b.get("headline") or headline(b)
    rows = []
    for key in sorted(set(ha) | set(hb)):
        va, vb = ha.get(key), hb.get(key)
        rows.append({"metric": key, "a": va, "b": vb, "delta": (vb - va) if va is not None and vb is not None else None})
    ca, cb = a.get("config", {}), b.get("config", {})
    config_diff = {k: {"a": ca.get(k), "b": cb.get(k)} for k in sorted(set(ca) | set(cb))
                   if ca.get(k) != cb.get(k) and k != "created_at"}
    warn = None if a.get("kind") == b.get("kind") else f"runs are of different kinds ({a.get('kind')} vs {b.get('kind')})"
    return {"kind_a": a.get("kind"), "kind_b": b.get("kind"), "warning": warn, "metrics": rows,
            "config_diff": config_diff}


def render_compare(c: dict[str, Any]) -> str:
    lines = []
    if c.get("warning"):
        lines.append(f"warning: {c['warning']}")
    lines.append(f"{'metric':<48} {'A':>10} {'B':>10} {'B-A':>10}")
    for r in c["metrics"]:
        d = r["delta"]
        lines.append(f"{r['metric']:<48} {_f(r['a']):>10} {_f(r['b']):>10} "
                     f"{('—' if d is None else f'{d:+.3f}'):>10}")
    if c["config_diff"]:
        lines.append("\nconfiguration differences:")
        lines += [f"  {k}: {v['a']!r} -> {v['b']!r}" for k, v in c["config_diff"].items()]
    return "\n".join(lines)
