"""Result files must describe the code as it is: a block names its commit, command and machine,
and no measured path changed after that commit (regenerate with the benchmark, then commit)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: result file -> the code its numbers describe (the benchmark module lists the same paths)
MEASURED = {
    "evals/results/redial.md": "evals.bench_redial",
    "evals/results/understanding.md": "evals.bench_understanding",
    "evals/results/causal.md": "evals.bench_causal",
    "evals/results/effects.md": "evals.bench_effects",
    "evals/results/load.md": "evals.load",
    "evals/results/debias.md": "evals.bench_debias",
    "evals/results/explain.md": "evals.bench_explain",
    "evals/results/agent.md": "evals.bench_agent",
    "evals/results/gcn.md": "evals.bench_gcn",
    "evals/results/retrieval.md": "evals.bench_retrieval",
    "evals/results/llm.md": "evals.bench_llm",
    "evals/results/rl.md": "evals.bench_rl",
    "evals/results/injection.md": "evals.injection",
    "evals/results/scaleout.md": "evals.bench_scaleout",
}
#: how ``make bench`` runs a module that is not an evals/bench_*.py (load needs the app from ui/)
MAKE_RUNS = {"evals.load": "ui.cli_eval load"}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def stale_paths(result: str, paths: tuple[str, ...]) -> list[str]:
    """Measured paths changed after the commit of the newest block of ``result``."""
    text = (ROOT / result).read_text(encoding="utf-8")
    commits = re.findall(r"^- Commit: ([0-9a-f]{7,40})", text, re.M)
    if not commits:
        raise ValueError(f"{result}: no '- Commit: <sha>' line; regenerate it with its benchmark")
    if not re.search(r"^- Command: `python -m ", text, re.M) or not re.search(r"^- Machine: ", text, re.M):
        raise ValueError(f"{result}: a block must name its command and machine")
    # the newest block by commit time (sectioned files such as load.md replace blocks in place, so the
    # last block in the file is not always the newest)
    newest = max(commits, key=lambda c: int(_git("show", "-s", "--format=%ct", c) or 0))
    changed = _git("diff", "--name-only", f"{newest}..HEAD", "--", *paths)
    return [p for p in changed.splitlines() if p]


def _in_git_checkout() -> bool:
    try:
        return bool(_git("rev-parse", "--is-inside-work-tree"))
    except (OSError, subprocess.CalledProcessError):
        return False


@pytest.mark.skipif(not _in_git_checkout(), reason="needs the git history")
@pytest.mark.parametrize("result", sorted(MEASURED))
def test_result_files_are_not_older_than_the_code_they_measure(result):
    import importlib

    paths = tuple(importlib.import_module(MEASURED[result]).MEASURES)
    stale = stale_paths(result, paths)
    assert not stale, (f"{result} was measured before {', '.join(stale)} changed; rerun "
                       f"`python -m {MEASURED[result]}` and commit the result")


def test_every_result_file_is_checked():
    results = {str(p.relative_to(ROOT)) for p in (ROOT / "evals" / "results").glob("*.md")}
    assert results == set(MEASURED), "each result file needs a MEASURED entry (and its benchmark a MEASURES)"


@pytest.mark.parametrize("module", sorted(set(MEASURED.values())))
def test_make_bench_regenerates_every_result_file(module):
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("bench:"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith("\t")), len(lines))
    recipe = "\n".join(lines[start:end])
    runs = (module.startswith("evals.bench_") and "evals/bench_*.py" in recipe) or re.search(
        rf"python -m {re.escape(MAKE_RUNS.get(module, module))}\b", recipe)
    assert runs, f"`make bench` does not run {module}"


@pytest.mark.parametrize("module", sorted(set(MEASURED.values())))
def test_measured_paths_exist(module):
    import importlib

    missing = [p for p in importlib.import_module(module).MEASURES if not (ROOT / p).exists()]
    assert not missing, f"{module}.MEASURES names paths that do not exist: {missing}"


def test_a_block_without_provenance_is_rejected(tmp_path, monkeypatch):
    bad = tmp_path / "evals" / "results"
    bad.mkdir(parents=True)
    (bad / "x.md").write_text("## Some numbers\n\n| a | b |\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(ValueError, match="no '- Commit"):
        stale_paths("evals/results/x.md", ("evals",))


@pytest.mark.parametrize(("status", "expected"), [
    ("", "abc1234 (clean tree)"),
    (" M evals/results/redial.md\n", "abc1234 (clean tree; only evals/results/ changed)"),
    # a changed code file marks the tree dirty even beside regenerated results: the check must be able to say so
    (" M evals/results/redial.md\n M tools/recsys/ranker.py\n", "abc1234 (dirty tree)"),
    (" M agent/loop.py\n", "abc1234 (dirty tree)"),
])
def test_git_state_tells_code_changes_from_regenerated_results(monkeypatch, status, expected):
    import subprocess
    from types import SimpleNamespace

    from evals import provenance

    def fake_run(args, **_kw):
        return SimpleNamespace(stdout="abc1234\n" if "rev-parse" in args else status)

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert provenance.git_state() == expected
