"""The Support tab: staff look up why something was recommended, and export the account.

Why the tab has its own login form instead of ``launch(auth=...)``: Gradio's ``auth``
protects the *whole* app, so end users would need a password just to chat. Instead this
tab checks a username/password from settings (``WHYREC_SUPPORT_USERNAME`` /
``WHYREC_SUPPORT_PASSWORD`` or ``whyrec.toml``; never stored in the repo) with
``hmac.compare_digest`` (constant time), keeps "logged in" in a session-scoped
``gr.State`` that lives on the server, and re-checks that state in *every* handler --
hiding the panel is cosmetics, the check is the protection. Failed attempts are
throttled process-wide so the password cannot be guessed quickly. When no credentials
are configured the tab explains how to set them and serves no data at all.
"""

from __future__ import annotations

import collections
import hmac
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tools.errors import WhyRecError
from ui.app_style import notice_html
from ui.cli_common import to_json
from ui.ports import AuditApi, load_default_audit

log = logging.getLogger("whyrec.ui.support")

NOT_CONFIGURED = (
    "The support tab is disabled because no support login is configured. Set the environment "
    "variables WHYREC_SUPPORT_USERNAME and WHYREC_SUPPORT_PASSWORD (or support_username / "
    "support_password in whyrec.toml, which must not be committed) and restart `whyrec ui`."
)
LOOKUP_KINDS = ("rec_id", "session", "user", "item")
#: a session/user/item lookup shows the full account of at most this many recommendations
MAX_FULL_ACCOUNTS = 20


class SupportAuth:
    """Checks the support login; throttles failures (``max_failures`` per ``window_s``, all clients)."""

    def __init__(
        self,
        username: str | None,
        password: Any,
        *,
        max_failures: int = 10,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        secret = password.get_secret_value() if hasattr(password, "get_secret_value") else password
        self._username = username or ""
        self._password = str(secret or "")
        self._failures: collections.deque[float] = collections.deque()
        self._max_failures = max_failures
        self._window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._username and self._password)

    def check(self, username: str | None, password: str | None) -> tuple[bool, str]:
        """(ok, message for the login form)."""
        if not self.configured:
            return False, NOT_CONFIGURED
        now = self._clock()
        with self._lock:
            while self._failures and now - self._failures[0] > self._window_s:
                self._failures.popleft()
            if len(self._failures) >= self._max_failures:
                return False, "Too many failed logins. Wait a minute and try again."
        user_ok = hmac.compare_digest((username or "").encode(), self._username.encode())
        pass_ok = hmac.compare_digest((password or "").encode(), self._password.encode())
        if user_ok and pass_ok:
            return True, "Logged in."
        with self._lock:
            self._failures.append(now)
        log.warning("failed support login")
        return False, "Wrong username or password."


class SupportHandlers:
    """Login, lookup and export for the Support tab (plain methods; the UI only wires them)."""

    def __init__(self, store: Any, auth: SupportAuth, audit: AuditApi | None = None,
                 export_dir: Path | None = None) -> None:
        self.store = store
        self.auth = auth
        self._audit = audit
        self._export_dir = export_dir

    def audit_api(self) -> AuditApi | None:
        if self._audit is None:
            self._audit = load_default_audit()
        return self._audit

    def login(self, username: str, password: str) -> tuple[bool, str]:
        """(logged_in, message). The message never says which of the two fields was wrong."""
        return self.auth.check(username, password)

    def lookup(self, logged_in: bool, kind: str, query: str, since: str = "") -> tuple[str, Any]:
        """(Markdown for people, JSON-ready data for export). A rec_id gives its full account; a
        session/user/item gives one summary line per recommendation, then the full accounts of
        the newest ``MAX_FULL_ACCOUNTS``."""
        if not (logged_in and self.auth.configured):
            return "⚠️ Log in first.", None
        api = self.audit_api()
        if api is None:
            return "⚠️ Audit queries are not installed yet (agent/store/audit.py is missing).", None
        query = (query or "").strip()
        if kind not in LOOKUP_KINDS:
            return f"⚠️ Choose one of: {', '.join(LOOKUP_KINDS)}.", None
        if not query:
            return f"⚠️ Enter a {kind.replace('_', ' ')} to look up.", None
        try:
            if kind == "rec_id":
                data: Any = api.why(self.store, query)
                text = api.render_why_text(data)
            else:
                key = {"session": "session_id", "user": "user_id", "item": "item_id"}[kind]
                rows = api.audit(self.store, **{key: query, "since": (since or "").strip() or None})
                accounts = [api.why(self.store, r["rec_id"]) for r in rows[:MAX_FULL_ACCOUNTS]]
                data = {"rows": rows, "accounts": accounts}
                text = self._render_many(api, rows, accounts)
        except (WhyRecError, ValueError) as exc:
            return f"⚠️ {exc}", None
        except Exception as exc:  # staff see a short line; the log has the traceback
            log.exception("support lookup failed")
            return f"⚠️ Lookup failed ({type(exc).__name__}); see the server log.", None
        return f"```text\n{text}\n```", json.loads(to_json(data))

    @staticmethod
    def _render_many(api: AuditApi, rows: list[dict[str, Any]], accounts: list[dict[str, Any]]) -> str:
        if not rows:
            return "No recommendations match."
        render_rows = getattr(api, "render_audit_text", None)
        summary = render_rows(rows) if callable(render_rows) else "\n".join(str(r.get("rec_id")) for r in rows)
        parts = [f"{len(rows)} recommendation(s)", summary]
        if len(rows) > len(accounts):
            parts.append(f"(full accounts of the newest {len(accounts)} below; look up a rec_id for the others)")
        parts += ["=" * 72 + "\n" + api.render_why_text(a) for a in accounts]
        return "\n\n".join(parts)

    def export(self, logged_in: bool, account: Any, kind: str = "", query: str = "") -> str | None:
        """Write the last lookup to a JSON file and return its path (for a ``gr.File`` download)."""
        if not (logged_in and self.auth.configured) or account is None:
            return None
        directory = self._export_dir or Path(tempfile.mkdtemp(prefix="whyrec_export_"))
        directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"{kind}_{query}")[:60] or "audit"
        path = directory / f"whyrec_{safe}_{datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
        path.write_text(json.dumps({"lookup": {"kind": kind, "query": query}, "account": account},
                                   indent=2, ensure_ascii=False), encoding="utf-8")
        return str(path)


def build_support_tab(gr: Any, handlers: SupportHandlers) -> None:
    """Lay out the Support tab inside the current ``gr.Tab`` context."""
    if not handlers.auth.configured:
        gr.HTML(notice_html(NOT_CONFIGURED))
        return
    logged_in = gr.State(False)
    last_account = gr.State(None)
    with gr.Column(visible=True) as login_box:
        gr.Markdown("### Support login")
        user = gr.Textbox(label="Username", max_lines=1, elem_id="wr-support-user")
        password = gr.Textbox(label="Password", type="password", max_lines=1, elem_id="wr-support-pass")
        login_btn = gr.Button("Log in", variant="primary")
        login_msg = gr.Markdown("", elem_classes="wr-login-msg")
    with gr.Column(visible=False) as panel:
        gr.Markdown("### Why was this recommended?\nLook up one recommendation by its id, or every "
                    "recommendation of a session, user or item.")
        with gr.Row():
            kind = gr.Radio(list(LOOKUP_KINDS), value="rec_id", label="Look up by")
            query = gr.Textbox(label="Id", elem_id="wr-support-query", placeholder="rec_… / session id / user id / item id", scale=2)
            since = gr.Textbox(label="Since (optional)", placeholder="2026-11-01", max_lines=1)
        with gr.Row():
            lookup_btn = gr.Button("Look up", variant="primary")
            export_btn = gr.Button("Export JSON")
            logout_btn = gr.Button("Log out", size="sm")
        account_md = gr.Markdown("")
        export_file = gr.File(label="Export", interactive=False)
        with gr.Accordion("Raw account (JSON)", open=False):
            account_json = gr.JSON()

    def do_login(u: str, p: str) -> tuple:
        ok, message = handlers.login(u, p)
        return ok, message, "", gr.update(visible=not ok), gr.update(visible=ok)

    def do_logout() -> tuple:
        return False, "Logged out.", "", gr.update(visible=True), gr.update(visible=False), "", None, None, None

    def do_lookup(state: bool, k: str, q: str, s: str) -> tuple:
        text, data = handlers.lookup(state, k, q, s)
        return text, data, data, None

    login_outputs = [logged_in, login_msg, password, login_box, panel]
    login_btn.click(do_login, inputs=[user, password], outputs=login_outputs, api_visibility="private")
    password.submit(do_login, inputs=[user, password], outputs=login_outputs, api_visibility="private")
    logout_btn.click(do_logout, outputs=login_outputs + [account_md, account_json, last_account, export_file],
                     api_visibility="private")
    lookup_btn.click(do_lookup, inputs=[logged_in, kind, query, since],
                     outputs=[account_md, account_json, last_account, export_file], api_visibility="private")
    query.submit(do_lookup, inputs=[logged_in, kind, query, since],
                 outputs=[account_md, account_json, last_account, export_file], api_visibility="private")
    export_btn.click(handlers.export, inputs=[logged_in, last_account, kind, query], outputs=[export_file],
                     api_visibility="private")
