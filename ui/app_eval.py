"""The Evaluation tab: pick a scripted-dialogue suite or benchmark, run it, read and download the report.

Why through an injected ``EvalRunner``: ``evals/`` owns suites, metrics and report
writing; this tab only lists suites, forwards progress to Gradio and shows the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.errors import WhyRecError
from ui.app_style import notice_html
from ui.ports import EvalRunner

log = logging.getLogger("whyrec.ui.eval")

NOT_AVAILABLE = "Evaluation is not available in this app: run evaluations from the command line with"
NOT_AVAILABLE_CMD = "whyrec eval --help"


class EvalHandlers:
    def __init__(self, runner: EvalRunner | None) -> None:
        self.runner = runner

    def suites(self) -> list[str]:
        if self.runner is None:
            return []
        try:
            return list(self.runner.list_suites())
        except Exception:
            log.exception("listing eval suites failed")
            return []

    def run(self, suite: str | None, progress: Callable[..., Any] | None = None) -> tuple[str, list[str], str | None]:
        """(report Markdown, plot paths, JSON report path). ``progress(fraction, desc=...)`` is Gradio's."""
        if self.runner is None:
            return f"{NOT_AVAILABLE} `{NOT_AVAILABLE_CMD}`.", [], None
        if not suite:
            return "⚠️ Pick a suite first.", [], None

        def progress_cb(fraction: float, message: str = "") -> None:
            if progress is not None:
                progress(max(0.0, min(1.0, float(fraction))), desc=message or None)

        try:
            report = self.runner.run(suite, progress_cb)
        except (WhyRecError, ValueError, FileNotFoundError) as exc:
            return f"⚠️ {exc}", [], None
        except Exception as exc:
            log.exception("eval run failed")
            return f"⚠️ The run failed ({type(exc).__name__}); see the server log.", [], None
        plots = [str(p) for p in report.get("plots") or () if Path(p).is_file()]
        json_path = report.get("json_path")
        json_path = str(json_path) if json_path and Path(json_path).is_file() else None
        return str(report.get("markdown") or "*(the report is empty)*"), plots, json_path


def build_eval_tab(gr: Any, handlers: EvalHandlers) -> tuple[Any, list[Any], list[Any]] | None:
    """Lay out the tab. Returns (fn, inputs, outputs) that fills the suite list when the tab opens."""
    if handlers.runner is None:
        gr.HTML(notice_html(NOT_AVAILABLE, NOT_AVAILABLE_CMD))
        return None
    with gr.Row():
        suite = gr.Dropdown([], label="Suite or benchmark", scale=3, allow_custom_value=False)
        run_btn = gr.Button("Run", variant="primary", scale=1)
    report_md = gr.Markdown("")
    plots = gr.Gallery(label="Plots", columns=2, height="auto")
    report_file = gr.File(label="Report (JSON)", interactive=False)

    def run(name: str | None, progress: Any = gr.Progress()) -> tuple:
        return handlers.run(name, progress)

    run_btn.click(run, inputs=[suite], outputs=[report_md, plots, report_file], api_visibility="private",
                  concurrency_limit=1)

    def on_open() -> Any:
        names = handlers.suites()
        return gr.update(choices=names, value=names[0] if names else None)

    return on_open, [], [suite]
