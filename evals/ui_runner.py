"""The UI's Evaluation tab adapter (``ui.ports.EvalRunner``): list suites, run one, return the report.

Why an adapter: the tab only knows ``list_suites()`` and ``run(suite, progress_cb)``; the
suites themselves are the same functions ``whyrec eval`` runs (evals/suites.py), against the
app's own agent, so the tab's numbers match the command line's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.dialogue_schema import load_scripts
from evals.suites import DIALOGUES_DIR, run_dialogue_suite, run_redial, run_simulation

ProgressCallback = Callable[[float, str], None]
REDIAL_SUITE = "ReDial benchmark (valid split, first 100 dialogues, all pipelines)"
SIM_SUITE = "User simulator (10 episodes, LLM seeker if up)"


class EvalRunner:
    def __init__(self, settings: Any, agent: Any | None = None, dialogues_dir: Path = DIALOGUES_DIR,
                 runs_dir: Path | None = None) -> None:
        self.settings = settings
        self.agent = agent
        self.dialogues_dir = Path(dialogues_dir)
        self.runs_dir = runs_dir

    def _runtime(self) -> Any | None:
        if self.agent is None:
            return None
        from agent.runtime import Runtime

        a = self.agent
        return Runtime(self.settings, a.services.catalog, a.store, a, a.services, a.chat_model)

    def _categories(self) -> list[str]:
        scripts, _ = load_scripts([self.dialogues_dir])
        return sorted({s.category for s in scripts})

    def list_suites(self) -> list[str]:
        suites = ["Scripted dialogues: all"]
        try:
            suites += [f"Scripted dialogues: {c}" for c in self._categories()]
        except Exception:  # noqa: BLE001 - a broken script folder still leaves the benchmarks
            pass
        return suites + [REDIAL_SUITE, SIM_SUITE]

    def _out(self, name: str) -> Path | None:
        return Path(self.runs_dir) / name if self.runs_dir is not None else None

    def run(self, suite: str, progress_cb: ProgressCallback) -> dict[str, Any]:
        if suite not in self.list_suites():
            raise ValueError(f"unknown suite {suite!r}; pick one of the listed suites")
        progress_cb(0.0, f"starting {suite}")
        if suite.startswith("Scripted dialogues: "):
            cat = suite.split(": ", 1)[1]
            paths = [str(self.dialogues_dir)]
            if cat != "all":
                scripts, _ = load_scripts([self.dialogues_dir])
                paths = [s.source for s in scripts if s.category == cat]
            _, written = run_dialogue_suite(self.settings, paths, use_llm=True, workers=2, name=f"ui-{cat}",
                                            progress=False, progress_cb=progress_cb, runtime=self._runtime(),
                                            out=self._out(f"dialogues-{cat}"))
        elif suite == REDIAL_SUITE:
            from evals.redial_bench import PIPELINES
            from tools.datasets.redial import default_redial_dir

            _, written = run_redial(self.settings, default_redial_dir() / "valid_data.jsonl", pipelines=list(PIPELINES),
                                    limit=100, progress=False, progress_cb=progress_cb, out=self._out("redial"))
        else:
            _, written = run_simulation(self.settings, n=10, max_turns=5, progress=False, progress_cb=progress_cb,
                                        runtime=self._runtime(), out=self._out("simulate"))
        progress_cb(1.0, "done")
        return {"markdown": written["markdown"], "plots": written["plots"], "json_path": written["json_path"]}


def build_eval_runner(settings: Any, agent: Any | None = None) -> EvalRunner:
    """Factory ``ui/cli_ui.py`` calls: ``build_eval_runner(settings, agent)``."""
    return EvalRunner(settings, agent)
