"""``whyrec why`` and ``whyrec audit``: support-staff views of the append-only audit trail.

Why in the CLI: the CLI is an operator tool (whoever can run it can read the store file
anyway); the web UI guards the same queries behind the support login. Both only read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ui.cli_common import JSON_OPTION, emit, fail, friendly_errors, get_settings


def _open_store(ctx: typer.Context) -> Any:
    from agent.store.db import Store

    url = get_settings(ctx).resolved_store_url
    if url.startswith("sqlite:///"):
        path = Path(url.split("sqlite:///", 1)[1])
        if str(path) != ":memory:" and not path.exists():
            fail(f"no store at {path}: nothing has been recommended with this data dir yet "
                 "(chat first with `whyrec chat`, or pass --data-dir / WHYREC_STORE_URL)")
    return Store(url)


@friendly_errors
def why_command(
    ctx: typer.Context,
    rec_id: str = typer.Argument(..., help="The rec_id shown on the recommendation card or by `whyrec audit`."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Reconstruct one recommendation: conversation, tools run, evidence, scores, explanation, check, feedback.

    Examples:

      whyrec why rec_3f2a9c1b0d4e5f60

      whyrec --data-dir /srv/whyrec why rec_3f2a9c1b0d4e5f60 --json
    """
    from agent.store.audit import render_why_text, why

    store = _open_store(ctx)
    try:
        account = why(store, rec_id)
    finally:
        store.close()
    emit(account, json_out, render_why_text)


@friendly_errors
def audit_command(
    ctx: typer.Context,
    session: str | None = typer.Option(None, "--session", help="Only this session id."),
    user: str | None = typer.Option(None, "--user", help="Only this user id."),
    item: str | None = typer.Option(None, "--item", help="Only this catalog item id."),
    since: str | None = typer.Option(None, "--since", help="Only recommendations at or after this ISO date/time."),
    limit: int = typer.Option(100, "--limit", min=1, max=10000, help="At most this many rows (newest first)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """List recommendations (newest first) with explanation path, check status and feedback.

    Examples:

      whyrec audit --session 8zQ... --limit 20

      whyrec audit --item 204883 --since 2026-01-01 --json

    Then `whyrec why REC_ID` for the full account of one row.
    """
    from agent.store.audit import audit, render_audit_text

    store = _open_store(ctx)
    try:
        rows = audit(store, session_id=session, user_id=user, item_id=item, since=since, limit=limit)
    finally:
        store.close()
    emit(rows, json_out, render_audit_text)
