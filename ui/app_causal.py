"""The Causal tab: the discovered graph of the current dataset, the effect table, and a rerun button.

Why through an injected ``CausalProvider``: discovery lives in ``causal/`` and the study
that feeds it real data lives in ``tools/``; the tab only draws what the provider
returns. Nothing runs until someone opens the tab (discovery can take seconds).
"""

from __future__ import annotations

import logging
from typing import Any

from tools.errors import WhyRecError
from ui.app_style import notice_html
from ui.ports import CausalProvider

log = logging.getLogger("whyrec.ui.causal")

NOT_AVAILABLE = "Causal study not available: run"
NOT_AVAILABLE_CMD = "whyrec causal discover"
DEFAULT_METHODS = ("pc", "ges")
EFFECT_HEADERS = ["treatment", "outcome", "estimate", "interval", "adjustment set", "method"]


def _fmt(x: Any, digits: int = 3) -> str:
    try:
        return f"{float(x):.{digits}f}"
    except (TypeError, ValueError):
        return "" if x is None else str(x)


def effect_rows(effects: list[dict[str, Any]]) -> list[list[str]]:
    """Provider effect dicts -> table rows (interval as "[lo, hi]", adjustment set joined)."""
    rows = []
    for e in effects:
        lo = e.get("ci_low", (e.get("interval") or (None, None))[0])
        hi = e.get("ci_high", (e.get("interval") or (None, None))[-1])
        interval = f"[{_fmt(lo)}, {_fmt(hi)}]" if lo is not None and hi is not None else ""
        adj = e.get("adjustment_set")
        if adj is None:
            adj_text = "none possible" + (f" ({e['identification']})" if e.get("identification") else "")
        elif isinstance(adj, list | tuple | set | frozenset):
            adj_text = ", ".join(map(str, adj)) or "∅ (none needed)"
        else:
            adj_text = str(adj)
        rows.append([str(e.get("treatment", "")), str(e.get("outcome", "")), _fmt(e.get("estimate")),
                     interval, adj_text, str(e.get("method", ""))])
    return rows


class CausalHandlers:
    def __init__(self, provider: CausalProvider | None) -> None:
        self.provider = provider

    @property
    def methods(self) -> list[str]:
        return list(getattr(self.provider, "methods", DEFAULT_METHODS) or DEFAULT_METHODS)

    @property
    def defaults(self) -> tuple[str, float]:
        """(method, alpha) of the graph shown first: the provider's current choice when it says."""
        method, alpha = getattr(self.provider, "current", (self.methods[0], 0.05))
        return (method if method in self.methods else self.methods[0]), float(alpha)

    def discover(self, method: str, alpha: float) -> tuple[str | None, str, str]:
        """(PNG path, Mermaid source as Markdown, status line)."""
        if self.provider is None:
            return None, "", f"{NOT_AVAILABLE} `{NOT_AVAILABLE_CMD}`."
        try:
            alpha = float(alpha)
            if not 0.0 < alpha < 1.0:
                return None, "", "⚠️ alpha must be between 0 and 1 (e.g. 0.05)."
            png, mermaid, graph = self.provider.discover(method, alpha)
        except (WhyRecError, ValueError) as exc:
            return None, "", f"⚠️ {exc}"
        except Exception as exc:
            log.exception("causal discovery failed")
            return None, "", f"⚠️ Discovery failed ({type(exc).__name__}); see the server log."
        nodes = graph.get("nodes") or graph.get("variables") or []
        edges = graph.get("edges") or []
        status = f"{method} (alpha={alpha:g}): {len(nodes)} variables, {len(edges)} edges."
        return png, f"```mermaid\n{mermaid}\n```" if mermaid else "", status

    def effects(self) -> tuple[list[list[str]], str]:
        if self.provider is None:
            return [], f"{NOT_AVAILABLE} `{NOT_AVAILABLE_CMD}`."
        try:
            rows = effect_rows(self.provider.effects())
        except (WhyRecError, ValueError) as exc:
            return [], f"⚠️ {exc}"
        except Exception as exc:
            log.exception("causal effects failed")
            return [], f"⚠️ Effect estimation failed ({type(exc).__name__}); see the server log."
        return rows, f"{len(rows)} effect estimate(s)."


def build_causal_tab(gr: Any, handlers: CausalHandlers) -> tuple[Any, list[Any], list[Any]] | None:
    """Lay out the Causal tab. Returns (fn, inputs, outputs) for the tab's select event -- the first
    look runs discovery with the defaults -- or None when no provider is configured."""
    if handlers.provider is None:
        gr.HTML(notice_html(f"{NOT_AVAILABLE}", NOT_AVAILABLE_CMD))
        return None
    gr.Markdown("### What causes what in this dataset?\nThe graph is learned from the data (causal "
                "discovery); the table estimates how much one variable changes another, adjusting for "
                "the listed confounders.")
    with gr.Row():
        first_method, first_alpha = handlers.defaults
        method = gr.Dropdown(handlers.methods, value=first_method, label="Method")
        alpha = gr.Slider(0.001, 0.2, value=first_alpha, step=0.001, label="Significance level (alpha)")
        rerun = gr.Button("Run discovery", variant="primary")
    status = gr.Markdown("")
    with gr.Row():
        image = gr.Image(label="Discovered graph", type="filepath", interactive=False, height=460)
    with gr.Accordion("Graph as Mermaid", open=False):
        mermaid = gr.Markdown("")
    effects_table = gr.Dataframe(headers=EFFECT_HEADERS, value=[], label="Effect estimates", interactive=False,
                                 wrap=True)
    effects_status = gr.Markdown("")
    rerun.click(handlers.discover, inputs=[method, alpha], outputs=[image, mermaid, status],
                api_visibility="private", concurrency_limit=1).then(
        handlers.effects, outputs=[effects_table, effects_status], api_visibility="private", concurrency_limit=1)

    def on_open(current: Any) -> tuple:
        if current:  # already drawn in this browser session: keep it
            return tuple(gr.skip() for _ in range(5))
        png, mer, st = handlers.discover(*handlers.defaults)
        rows, est = handlers.effects()
        return png, mer, st, rows, est

    return on_open, [image], [image, mermaid, status, effects_table, effects_status]
