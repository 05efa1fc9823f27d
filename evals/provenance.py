"""Where a benchmark number came from: the commit (and whether the tree was dirty), the command, the machine.

Why one helper: every result block in ``evals/results/`` must name the code it describes, so a
reader (and a test) can tell when a number is older than the code it measures.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_PREFIX = "evals/results/"


def git_state() -> str:
    """'abc1234 (clean tree)' / 'abc1234 (dirty tree)' / 'unknown (not a git checkout)'."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    # result files rewritten by earlier benchmarks of the same regeneration are output, not code
    code = [line for line in changed if not line[3:].startswith(RESULTS_PREFIX)]
    if changed and not code:
        return f"{commit} (clean tree; only {RESULTS_PREFIX} changed)"
    return f"{commit} ({'dirty tree' if code else 'clean tree'})"


def invocation(module: str, args: Sequence[str] | None = None) -> list[str]:
    """The command that reproduces this run: ``python -m <module>`` and ``args`` (``main(argv)``'s argv;
    None = this process's own arguments), quoted for a shell. For ``header``'s ``argv``: exact also when a
    benchmark's ``main`` is called from Python rather than as ``python -m``."""
    rest = sys.argv[1:] if args is None else list(args)
    return ["python", "-m", module, *(shlex.quote(str(a)) for a in rest)]


def header(title: str, argv: list[str] | None = None, packages: tuple[str, ...] = ("torch",)) -> list[str]:
    """The opening lines of a result block: heading, date, commit, exact command, machine.

    ``argv``: the command's words (``invocation(module, argv)``); None = this process's module and
    arguments. ``packages``: the versions that matter for the numbers (``evals.machine``)."""
    from evals.machine import machine

    script = Path(sys.argv[0]).resolve()
    module = ".".join(script.relative_to(ROOT).with_suffix("").parts) if script.is_relative_to(ROOT) else script.stem
    cmd = "python -m " + module if argv is None else " ".join(argv)
    if argv is None and len(sys.argv) > 1:
        cmd += " " + " ".join(sys.argv[1:])
    return [f"## {title} — {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}", "",
            f"- Commit: {git_state()}", f"- Command: `{cmd}`", f"- Machine: {machine(packages)}", ""]
