"""The WhyRec Gradio app: Chat (end users), Support (staff, own login), Causal, Evaluation.

Why everything is injected: ``build_app`` receives the agent, the store, the settings and
the optional parts (causal study, eval runner, audit queries) from the composition root
(``ui/cli_ui.py``) or from a test. Importing this module does no work and imports no
Gradio; building the app only lays out components; work happens in event handlers.

Gradio 6 takes ``theme``/``css`` on ``launch()``, so use ``launch_app`` (or pass
``launch_kwargs()`` yourself) to get the WhyRec look.
"""

from __future__ import annotations

import os
from typing import Any

from agent.types import ChatAgent
from ui.app_causal import CausalHandlers, build_causal_tab
from ui.app_chat import ChatHandlers, build_chat_tab
from ui.app_eval import EvalHandlers, build_eval_tab
from ui.app_style import APP_CSS, APP_TITLE
from ui.app_support import SupportAuth, SupportHandlers, build_support_tab
from ui.ports import AuditApi, CausalProvider, EvalRunner

HEADER_MD = (
    "# 🎬 WhyRec\n"
    "Movie recommendations that come with their reasons. Tell me what you liked (or did not), "
    "and open **Why?** on any card to see the evidence."
)


def build_app(
    agent: ChatAgent,
    store: Any,
    settings: Any,
    *,
    causal_provider: CausalProvider | None = None,
    eval_runner: EvalRunner | None = None,
    audit: AuditApi | None = None,
) -> Any:
    """Build (not launch) the app. ``settings`` needs ``max_message_chars``, ``support_username``
    and ``support_password``; ``audit`` defaults to ``agent.store.audit`` imported on first lookup."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    chat = ChatHandlers(agent, settings.max_message_chars)
    support = SupportHandlers(store, SupportAuth(settings.support_username, settings.support_password), audit)
    causal = CausalHandlers(causal_provider)
    evals = EvalHandlers(eval_runner)

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        gr.Markdown(HEADER_MD, elem_classes="wr-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                build_chat_tab(gr, chat)
            with gr.Tab("Support", id="support"):
                build_support_tab(gr, support)
            with gr.Tab("Causal", id="causal") as causal_tab:
                causal_open = build_causal_tab(gr, causal)
            with gr.Tab("Evaluation", id="evaluation") as eval_tab:
                eval_open = build_eval_tab(gr, evals)
        if causal_open is not None:
            fn, inputs, outputs = causal_open
            causal_tab.select(fn, inputs=inputs, outputs=outputs, api_visibility="private")
        if eval_open is not None:
            fn, inputs, outputs = eval_open
            eval_tab.select(fn, inputs=inputs, outputs=outputs, api_visibility="private")
    demo.queue(default_concurrency_limit=4)
    return demo


def launch_kwargs() -> dict[str, Any]:
    """Look-and-feel arguments for ``Blocks.launch`` (Gradio 6 takes them there)."""
    import gradio as gr

    # local system fonts only: the stock themes would make every browser fetch Google Fonts
    theme = gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=("ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"),
        font_mono=("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"),
    )
    return {"theme": theme, "css": APP_CSS}


def launch_app(demo: Any, *, host: str = "127.0.0.1", port: int | None = 7860,
               prevent_thread_lock: bool = False, **extra: Any) -> Any:
    """Launch on ``host:port`` locally: never a share link, no tracebacks to users, no analytics."""
    kwargs: dict[str, Any] = {
        "server_name": host,
        "server_port": port,
        "share": False,
        "show_error": False,
        "prevent_thread_lock": prevent_thread_lock,
        "quiet": True,
        "footer_links": [],
        "run_history": False,  # do not keep chats in the browser's storage
        **launch_kwargs(),
    }
    kwargs.update(extra)
    return demo.launch(**kwargs)
