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
}


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


def test_a_block_without_provenance_is_rejected(tmp_path, monkeypatch):
    bad = tmp_path / "evals" / "results"
    bad.mkdir(parents=True)
    (bad / "x.md").write_text("## Some numbers\n\n| a | b |\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(ValueError, match="no '- Commit"):
        stale_paths("evals/results/x.md", ("evals",))
