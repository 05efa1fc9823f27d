"""The Causal tab: the discovered graph of the current dataset, the effect table, the
per-segment effect table, and a rerun button.

Why through an injected ``CausalProvider``: discovery lives in ``causal/`` and the study
that feeds it real data lives in ``tools/``; the tab only draws what the provider
returns. Nothing runs until someone opens the tab (discovery can take seconds).

The per-segment table (effect of being suggested on being liked, per genre and popularity
bucket) is what decides which recommendation cards may carry a causal claim, so the tab
shows it beside the population effect. It is read, never computed, here: from a
``segments`` callable when given, else the provider's ``segments()`` when it has one, else
``segment_effects.json`` in the provider's study cache folder (``whyrec causal segments``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.errors import WhyRecError
from ui.app_style import notice_html
from ui.ports import CausalProvider

log = logging.getLogger("whyrec.ui.causal")

NOT_AVAILABLE = "Causal study not available: run"
NOT_AVAILABLE_CMD = "whyrec causal discover"
DEFAULT_METHODS = ("pc", "ges")
EFFECT_HEADERS = ["treatment", "outcome", "estimate", "interval", "adjustment set", "method"]
SEGMENT_HEADERS = ["segment", "films", "estimate", "interval", "n", "adjustment set", "claim on cards"]
SEGMENTS_CMD = "whyrec causal segments"


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


def segment_rows(effects: list[dict[str, Any]]) -> list[list[str]]:
    """Segment-effect dicts (``tools.studies.segment_effects.SegmentEffect.to_dict``) -> table rows, claimable first."""
    ordered = sorted(effects, key=lambda e: (not e.get("excludes_zero"), str(e.get("segment", ""))))
    return [[str(e.get("segment", "")), str(e.get("label", "")), _fmt(e.get("estimate"), 4),
             f"[{_fmt(e.get('low'), 4)}, {_fmt(e.get('high'), 4)}]", str(e.get("n", "")),
             ", ".join(map(str, e.get("adjustment") or ())) or "∅ (none needed)",
             "yes (interval excludes 0)" if e.get("excludes_zero") else "no (interval covers 0)"]
            for e in ordered]


class CausalHandlers:
    def __init__(self, provider: CausalProvider | None,
                 segments: Callable[[], dict[str, Any] | None] | None = None) -> None:
        self.provider = provider
        self._segments = segments

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

    def _segment_data(self) -> dict[str, Any] | None:
        if self._segments is not None:
            return self._segments()
        if callable(getattr(self.provider, "segments", None)):
            return self.provider.segments()  # type: ignore[union-attr]
        cache_dir = getattr(getattr(self.provider, "study", None), "cache_dir", None)
        if cache_dir is None:
            return None
        from tools.studies.segment_effects import FILE_NAME, SegmentEffects

        path = Path(cache_dir) / FILE_NAME
        return SegmentEffects.load(path).to_dict() if path.is_file() else None

    def segments(self) -> tuple[list[list[str]], str]:
        """(rows, status) of the per-segment effect table; says which command computes it when absent."""
        if self.provider is None and self._segments is None:
            return [], f"{NOT_AVAILABLE} `{NOT_AVAILABLE_CMD}`."
        try:
            data = self._segment_data()
        except (WhyRecError, ValueError) as exc:
            return [], f"⚠️ {exc}"
        except Exception as exc:
            log.exception("reading segment effects failed")
            return [], f"⚠️ Reading the segment effects failed ({type(exc).__name__}); see the server log."
        if not data or not data.get("effects"):
            return [], f"Per-segment effects not computed yet: run `{SEGMENTS_CMD}`."
        effects = data["effects"]
        n_ex = sum(1 for e in effects if e.get("excludes_zero"))
        level = float(data.get("level", 0.95))
        return segment_rows(effects), (
            f"{n_ex} of {len(effects)} segments have a {level:.0%} interval that excludes zero (about "
            f"{len(effects) * (1 - level):.1f} would by chance alone); a recommendation card may name only "
            f"those segments' effects. Intervals: {data.get('n_boot', '?')} bootstrap resamples of whole dialogues.")


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
    gr.Markdown("#### Does being suggested make a seeker like a film? By genre and popularity\nEach row is the "
                "adjusted effect (risk difference) within one segment; a card names a segment's effect only when "
                "its interval excludes zero.")
    segments_table = gr.Dataframe(headers=SEGMENT_HEADERS, value=[], label="Effect of being suggested on being "
                                  "liked, per segment", interactive=False, wrap=True)
    segments_status = gr.Markdown("")
    rerun.click(handlers.discover, inputs=[method, alpha], outputs=[image, mermaid, status],
                api_visibility="private", concurrency_limit=1).then(
        handlers.effects, outputs=[effects_table, effects_status], api_visibility="private", concurrency_limit=1)

    def on_open(current: Any) -> tuple:
        if current:  # already drawn in this browser session: keep it
            return tuple(gr.skip() for _ in range(7))
        png, mer, st = handlers.discover(*handlers.defaults)
        rows, est = handlers.effects()
        seg_rows, seg_st = handlers.segments()
        return png, mer, st, rows, est, seg_rows, seg_st

    return on_open, [image], [image, mermaid, status, effects_table, effects_status, segments_table, segments_status]
