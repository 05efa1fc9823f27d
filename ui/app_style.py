"""How the app looks: recommendation cards, the degraded banner, and the page CSS.

Why pure functions returning HTML: the chat handlers and tests can check exactly what a
user will see without a browser. Every piece of text that came from the catalog, the
LLM or the user is escaped here -- an item title or an LLM sentence can never inject
markup into the page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

APP_TITLE = "WhyRec"

#: Page CSS (passed to ``launch(css=...)``: Gradio 6 takes css/theme on launch).
#: Colours come from Gradio's theme variables so light and dark mode both stay readable.
APP_CSS = """
.wr-header h1 { margin-bottom: 0.1em; }
.wr-header p { color: var(--body-text-color-subdued); margin-top: 0; }
.wr-banner { border-radius: 10px; padding: 10px 14px; margin: 4px 0 8px 0;
  background: #fff4e5; color: #7a4100; border: 1px solid #f5c27a; font-weight: 500; }
.wr-notice { border-radius: 10px; padding: 12px 16px; margin: 6px 0;
  background: var(--block-background-fill); border: 1px dashed var(--border-color-primary);
  color: var(--body-text-color); }
.wr-notice code { font-size: 0.95em; }
.wr-cards-title { font-weight: 600; font-size: 1.05em; margin: 6px 2px 2px 2px; }
#wr-banner:not(:has(.wr-banner)) { display: none; }
.wr-card-group { border: 1px solid var(--border-color-primary) !important; border-radius: 14px !important;
  background: var(--block-background-fill) !important; box-shadow: 0 1px 4px rgba(0,0,0,0.07);
  overflow: hidden; margin-bottom: 10px; gap: 0 !important; }
.wr-card-group > * { border: none !important; background: transparent !important; box-shadow: none !important; }
.wr-card { padding: 14px 16px 4px 16px; line-height: 1.45; }
.wr-card-head { display: flex; align-items: flex-start; gap: 10px; }
.wr-rank { flex: none; width: 28px; height: 28px; border-radius: 50%; display: inline-flex;
  align-items: center; justify-content: center; font-weight: 700; font-size: 0.9em;
  background: var(--color-accent-soft); color: var(--color-accent); }
.wr-head-text { flex: 1; min-width: 0; }
.wr-title { font-size: 1.12em; font-weight: 700; color: var(--body-text-color); }
.wr-year { color: var(--body-text-color-subdued); font-weight: 400; margin-left: 4px; }
.wr-badge { flex: none; font-size: 0.78em; padding: 2px 8px; border-radius: 999px; white-space: nowrap; }
.wr-badge-ok { background: #e6f6ea; color: #1e6b34; border: 1px solid #b9e2c4; }
.wr-badge-plain { background: #eef2f7; color: #3b4a5c; border: 1px solid #d5dde8; }
.wr-badge-warn { background: #fff4e5; color: #7a4100; border: 1px solid #f5c27a; }
.wr-badge-pending { background: #f3f0ff; color: #4b3a9a; border: 1px solid #d8cffb; }
.wr-tags { margin: 8px 0 4px 0; display: flex; flex-wrap: wrap; gap: 6px; }
.wr-tag { font-size: 0.8em; padding: 1px 9px; border-radius: 999px;
  background: var(--background-fill-secondary); color: var(--body-text-color-subdued);
  border: 1px solid var(--border-color-primary); }
.wr-expl { margin: 8px 0 6px 0; font-size: 0.98em; color: var(--body-text-color); }
.wr-expl-pending { color: var(--body-text-color-subdued); font-style: italic; }
.wr-why { margin-top: 4px; }
.wr-why summary { cursor: pointer; color: var(--color-accent); font-weight: 600; font-size: 0.92em; }
.wr-why ul { margin: 6px 0 2px 18px; padding: 0; }
.wr-why li { margin: 2px 0; font-size: 0.92em; color: var(--body-text-color); }
.wr-ref { font-size: 0.78em; color: var(--body-text-color-subdued); margin: 4px 0 2px 0; }
.wr-card-actions { gap: 8px !important; padding: 4px 16px 10px 16px !important; justify-content: flex-start; }
.wr-card-actions button { flex: 0 0 auto !important; width: auto !important; min-width: 44px !important;
  border-radius: 999px !important; padding: 2px 12px !important; }
.wr-fb-status { font-size: 0.88em; color: var(--body-text-color-subdued); padding: 0 16px 8px 16px; }
.wr-fb-status:not(:has(p)) { display: none; }
.wr-login-msg { font-size: 0.95em; }
"""

_PATH_LABELS = {
    "llm": ("✓ checked against the evidence", "wr-badge-ok"),
    "llm_regenerated": ("✓ checked (rewritten once)", "wr-badge-ok"),
    "template": ("plain summary of the evidence", "wr-badge-plain"),
}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(card: Mapping[str, Any]) -> tuple[str, str]:
    if not card.get("explanation"):
        return "explaining…", "wr-badge-pending"
    if not card.get("check_passed", False):
        return "⚠ not verified", "wr-badge-warn"
    return _PATH_LABELS.get(str(card.get("explanation_path", "")), ("✓ checked", "wr-badge-ok"))


def card_html(card: Mapping[str, Any]) -> str:
    """One recommendation card (a ``RecCard`` as dict) as escaped HTML.

    The "Why?" expander lists ``evidence_lines`` -- the facts the explanation was
    checked against, in plain words -- so a user can see the grounds, not only the prose.
    """
    title = esc(card.get("title") or card.get("item_id", ""))
    year = card.get("year")
    year_html = f'<span class="wr-year">({esc(year)})</span>' if year else ""
    badge_text, badge_cls = _badge(card)
    tags = [t for t in (card.get("tags") or ()) if str(t).strip()][:8]
    tags_html = "".join(f'<span class="wr-tag">{esc(t)}</span>' for t in tags)
    explanation = str(card.get("explanation") or "").strip()
    if explanation:
        expl_html = f'<p class="wr-expl">{esc(explanation)}</p>'
    else:
        expl_html = '<p class="wr-expl wr-expl-pending">Writing an explanation…</p>'
    lines = [str(x) for x in (card.get("evidence_lines") or ()) if str(x).strip()]
    why_items = "".join(f"<li>{esc(x)}</li>" for x in lines)
    why_list = f"<ul>{why_items}</ul>" if lines else ""
    ref = card.get("rec_id")
    ref_html = f'<div class="wr-ref">Reference for support: <code>{esc(ref)}</code></div>' if ref else ""
    why_html = (f'<details class="wr-why"><summary>Why?</summary>{why_list}{ref_html}</details>'
                if why_list or ref_html else "")
    rank = card.get("rank")
    rank_html = f'<span class="wr-rank">{esc(rank)}</span>' if rank is not None else ""
    return (
        f'<div class="wr-card" data-rec-id="{esc(card.get("rec_id", ""))}">'
        f'<div class="wr-card-head">{rank_html}'
        f'<div class="wr-head-text"><span class="wr-title">{title}</span>{year_html}</div>'
        f'<span class="wr-badge {badge_cls}">{esc(badge_text)}</span></div>'
        f'<div class="wr-tags">{tags_html}</div>{expl_html}{why_html}</div>'
    )


def banner_html(message: str | None) -> str:
    """The "limited mode" banner, or "" when the agent is working normally."""
    if not message:
        return ""
    return f'<div class="wr-banner" role="status">⚠️ {esc(message)}</div>'


def notice_html(text: str, code: str | None = None) -> str:
    """A boxed explanatory notice (a tab that is not available, how to enable it)."""
    extra = f" <code>{esc(code)}</code>" if code else ""
    return f'<div class="wr-notice">{esc(text)}{extra}</div>'


def markdown_table(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> str:
    """A small Markdown table (cells escaped for pipes/newlines)."""

    def cell(v: Any) -> str:
        return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(out)
