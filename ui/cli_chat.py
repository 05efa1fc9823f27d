"""``whyrec chat``: talk to the agent from a terminal (REPL), or one message with ``--once``."""

from __future__ import annotations

import sys

import typer

from ui.cli_common import JSON_OPTION, emit, friendly_errors, get_settings


def _render(result: dict) -> str:
    lines = [result["reply"], ""]
    for c in result["recommendations"]:
        year = f" ({c['year']})" if c.get("year") else ""
        lines.append(f"{c['rank']}. {c['title']}{year}  [{c['rec_id']}]")
        if c.get("explanation"):
            check = "checked" if c.get("check_passed") else "UNCHECKED"
            lines.append(f"   {c['explanation']}  ({c['explanation_path']}, {check})")
    if result["tool_trace"]:
        lines.append("")
        lines.append("tools: " + ", ".join(f"{t['tool']}({'ok' if t['ok'] else 'error'}, {t['duration_ms']:.0f} ms)"
                                            for t in result["tool_trace"]))
    lines.append(f"session: {result['session_id']}  latency: {result['latency_ms']:.0f} ms"
                 + ("  [limited mode]" if result["degraded"] else ""))
    return "\n".join(lines)


@friendly_errors
def chat_command(
    ctx: typer.Context,
    once: str = typer.Option(None, "--once", help="Send one message, print the answer and exit."),
    session: str = typer.Option(None, "--session", help="Continue an existing session (id printed by earlier runs)."),
    user: str = typer.Option(None, "--user", help="User id to attach to a new session."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Do not contact the LLM (limited mode, for scripts)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Chat with WhyRec.

    Examples:

      whyrec chat --once "I loved Toy Story and Up, what should I watch next?" --json

      whyrec chat            (interactive; type /new for a new session, /quit to leave)
    """
    from agent.runtime import build_runtime

    settings = get_settings(ctx)
    rt = build_runtime(settings, use_llm=not no_llm)
    sid = session or rt.agent.new_session(user_id=user)
    if once is not None:
        result: dict = {}
        for ev in rt.agent.stream_turn(sid, once):  # to the end: LLM explanations arrive after the answer
            if ev.kind == "final":
                result = dict(ev.data)
            elif ev.kind == "explanation" and result:
                result["recommendations"] = [{**c, **{k: ev.data[k] for k in ("explanation", "explanation_path",
                                                                             "check_passed", "evidence_lines")
                                                      if k in ev.data}}
                                             if c.get("rec_id") == ev.data.get("rec_id") else c
                                             for c in result.get("recommendations", [])]
        emit(result, json_out, _render)
        return
    typer.echo(f"WhyRec chat (session {sid}). Type /new for a new session, /quit to leave.", err=True)
    while True:
        try:
            text = input("you> ")
        except (EOFError, KeyboardInterrupt):
            break
        if text.strip() in ("/quit", "/exit"):
            break
        if text.strip() == "/new":
            sid = rt.agent.new_session(user_id=user)
            typer.echo(f"new session {sid}", err=True)
            continue
        streamed = False
        answered = False
        ranks: dict[str, int] = {}
        for ev in rt.agent.stream_turn(sid, text):
            if ev.kind == "recommendation":
                ranks[ev.data["rec_id"]] = ev.data.get("rank") or len(ranks) + 1
            elif ev.kind == "explanation" and answered and ev.data.get("explanation_path") != "template":
                # the model's checked sentences arrive after the answer and replace that card's template
                typer.echo(f"   card {ranks.get(ev.data['rec_id'], '?')} ({ev.data['explanation_path']}, checked): "
                           f"{ev.data['explanation']}")
            if ev.kind == "text_delta":
                sys.stdout.write(ev.data["text"])
                sys.stdout.flush()
                streamed = True
            elif ev.kind == "final":
                if streamed:
                    sys.stdout.write("\n")
                res = ev.data
                answered = True
                # the reply was streamed already: print what follows it (it may span several lines)
                typer.echo("\n".join(_render(res).split("\n")[len(res["reply"].split("\n")) if streamed else 0:]))
