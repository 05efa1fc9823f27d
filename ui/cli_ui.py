"""``whyrec ui``: build the real dependencies and launch the Gradio app.

This is the app's composition root: settings -> agent (``agent.runtime.build_agent``, which
also opens the store) -> optional causal study and eval runner -> ``build_app`` ->
``launch_app``. Everything heavy (gradio, torch, chromadb) is imported inside the
command so ``whyrec --help`` stays fast. There is deliberately no ``--share`` option:
WhyRec never opens a public Gradio tunnel.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import typer

from ui.cli_common import friendly_errors, get_settings

log = logging.getLogger("whyrec.ui")


def _optional(module_name: str, factory: str, *args: Any) -> Any:
    """``module.factory(*args)``; None, with a logged reason, when building it fails at run time
    (the tab then says how to enable it). A module that fails to import is an error, never skipped."""
    fn = getattr(importlib.import_module(module_name), factory)
    try:
        return fn(*args)
    except Exception as exc:  # an optional tab must not stop the chat from starting
        log.warning("%s.%s unavailable: %s", module_name, factory, exc)
        return None


def build_dependencies(settings: Any) -> dict[str, Any]:
    """agent, store, causal_provider, eval_runner for ``build_app``, from settings.

    ``agent.runtime.build_agent(settings)`` returns ``(agent, store)`` (or just the agent, whose
    ``store`` attribute is then used); the optional providers come from ``ui.causal_view`` and
    ``evals.ui_runner`` (``build_eval_runner(settings, agent)``) when those modules exist.
    """
    from agent.runtime import build_agent

    built = build_agent(settings)
    agent, store = built if isinstance(built, tuple) else (built, getattr(built, "store", None))
    if store is None:
        from agent.store.db import Store

        store = Store(settings.resolved_store_url)
    return {
        "agent": agent,
        "store": store,
        "causal_provider": _optional("ui.causal_view", "build_causal_provider", settings),
        "eval_runner": _optional("evals.ui_runner", "build_eval_runner", settings, agent),
    }


@friendly_errors
def ui_command(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="Interface to listen on (default: settings ui_host, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port (default: settings ui_port, 7860).", min=1, max=65535),
) -> None:
    """Start the web app: Chat for users, Support (login), Causal and Evaluation tabs.

    Examples:

      whyrec ui                          # http://127.0.0.1:7860

      whyrec ui --host 0.0.0.0 --port 8080

      WHYREC_SUPPORT_USERNAME=staff WHYREC_SUPPORT_PASSWORD='...' whyrec ui   # enable the Support tab

    Start the LLM first (`whyrec llm serve --background`); without it the chat runs in limited
    mode and says so. Stop with Ctrl+C.
    """
    settings = get_settings(ctx)
    host = host or settings.ui_host
    port = port or settings.ui_port
    import uvicorn

    from ui.api import build_api, mount_with_gradio
    from ui.app import build_app, launch_kwargs

    deps = build_dependencies(settings)
    demo = build_app(deps["agent"], deps["store"], settings, causal_provider=deps["causal_provider"],
                     eval_runner=deps["eval_runner"])
    if not settings.support_username or settings.support_password is None:
        typer.echo("note: Support tab disabled (set WHYREC_SUPPORT_USERNAME and WHYREC_SUPPORT_PASSWORD)", err=True)
    # one port for both: the JSON API under /api/v1 (ui/api.py), the Gradio app at /
    app = mount_with_gradio(build_api(deps["agent"], deps["store"], settings), demo, footer_links=[],
                            run_history=False, show_error=False, **launch_kwargs())
    typer.echo(f"WhyRec UI on http://{host}:{port}/  JSON API on http://{host}:{port}/api/v1  (Ctrl+C to stop)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        close = getattr(deps["store"], "close", None)
        if callable(close):
            close()
