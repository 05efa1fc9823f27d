"""The small interfaces the Gradio app is built against (one per pluggable part).

Why: the app is a thin shell over other areas (agent, audit queries, causal study,
evaluation runs). Each arrives as an argument to ``build_app`` so the app can be built
and tested with fakes, and so nothing heavy happens when ``ui.app`` is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

#: progress callback for long runs: (fraction done in [0, 1], short message)
ProgressCallback = Callable[[float, str], None]


@runtime_checkable
class CausalProvider(Protocol):
    """The causal study of the current dataset, as the Causal tab shows it."""

    def discover(self, method: str, alpha: float) -> tuple[str | None, str, dict[str, Any]]:
        """Run discovery; return (PNG path of the drawn graph, Mermaid text, graph as a dict)."""
        ...

    def effects(self) -> list[dict[str, Any]]:
        """Effect estimates: dicts with treatment, outcome, estimate, ci_low, ci_high, adjustment_set."""
        ...


@runtime_checkable
class EvalRunner(Protocol):
    """Runs a scripted-dialogue suite or benchmark and returns its report."""

    def list_suites(self) -> list[str]: ...

    def run(self, suite: str, progress_cb: ProgressCallback) -> dict[str, Any]:
        """Report dict with "markdown" (str), "plots" (PNG paths) and "json_path" (str)."""
        ...


class AuditApi(Protocol):
    """What the Support tab needs from ``agent.store.audit`` (the module satisfies this; it may also
    offer ``render_audit_text(rows) -> str`` for the one-line-per-recommendation summary)."""

    def why(self, store: Any, rec_id: str) -> dict[str, Any]: ...

    def audit(self, store: Any, **filters: Any) -> list[dict[str, Any]]: ...

    def render_why_text(self, account: dict[str, Any]) -> str: ...


def load_default_audit() -> AuditApi | None:
    """``agent.store.audit``, imported on first use (the UI module stays importable without the agent's deps)."""
    return importlib.import_module("agent.store.audit")  # type: ignore[return-value]
