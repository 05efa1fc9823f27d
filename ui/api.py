"""A small JSON HTTP API beside the Gradio app, for programmatic clients and load tests.

Routes (all under ``/api/v1``):

- ``POST /sessions`` -> ``{session_id, token}``; every later call on that session sends
  ``Authorization: Bearer <token>``, so a session can read and write only its own data.
  Throttled per client address (``sessions_per_client_per_minute``): 429 beyond it.
- ``POST /sessions/{id}/turns`` ``{"text": ...}`` -> the TurnResult JSON (cards without the large
  evidence bundle unless ``?evidence=1``); 429 with a friendly message when rate limited.
- ``POST /sessions/{id}/feedback`` ``{"rec_id", "kind"}`` -> ``{"ok": true, ...}``; 429 when a session
  rates too fast, 409 when the same kind on the same card was already recorded (it counts once).
- ``GET /sessions/{id}/history`` -> ``{"session_id", "messages": [...]}``.
- ``GET /support/recommendations/{rec_id}`` -> the audit record; HTTP Basic with the support
  login (``support_username``/``support_password``), refused (401/403/503) otherwise.
- ``GET /health`` -> ``{"status": "ok", "store": "ok", "llm": "up"|"limited"|"off"}``.

Why HMAC tokens (not a token table): ``token = HMAC-SHA256(api_secret, session_id)`` needs no
schema change and no lookup, survives restarts, and is as unguessable as the secret. The
secret is ``settings.api_secret`` or, when unset, 32 random bytes generated once into
``<data_dir>/api_secret`` (mode 0600). Session ids themselves are 128-bit ``secrets`` values.

Errors are JSON ``{"error": message}`` with a 4xx status for anything the client did wrong
(400 bad input, 401 missing token, 403 wrong token/other session, 404 unknown, 409 duplicate feedback,
429 rate limit, with ``Retry-After``);
5xx only for server faults (503 when the store cannot be written).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

import fastapi
from pydantic import BaseModel, ConfigDict, Field

from agent.store.shared import DuplicateFeedbackError
from tools.errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    RateLimitedError,
    StoreError,
    WhyRecError,
)

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
_FEEDBACK_KINDS = ("like", "dislike", "accept", "watched")


class TurnIn(BaseModel):
    """Body of POST /sessions/{id}/turns (module level: FastAPI resolves annotations by name)."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="The user's message.")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rec_id: str = Field(..., min_length=1, max_length=64)
    kind: str


def resolve_api_secret(settings: Any) -> bytes:
    """``settings.api_secret`` or the key in ``<data_dir>/api_secret`` (created on first use)."""
    configured = getattr(settings, "api_secret", None)
    if configured is not None:
        value = configured.get_secret_value() if hasattr(configured, "get_secret_value") else str(configured)
        if len(value) < 16:
            raise InputError("api_secret is too short: use at least 16 characters (or unset it to generate one)")
        return value.encode()
    path = Path(settings.data_dir) / "api_secret"
    existing = _read_secret(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    # Several app processes may start at once on a fresh data dir: write the key to a private temp
    # file and hard-link it into place, which fails if another process won the race; then every
    # process reads the one key that landed (a plain O_TRUNC write let two processes disagree).
    tmp = path.with_name(f"api_secret.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32))
    try:
        if (landed := _read_secret(path)) is not None:  # another process won while we wrote ours
            return landed
        if path.exists():  # present but unusable (truncated by hand; a linked key is always whole): replace it
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
    finally:
        tmp.unlink(missing_ok=True)
    key = _read_secret(path)
    if key is None:
        raise InputError(f"could not create a usable session secret at {path}: delete the file and restart")
    return key


def _read_secret(path: Path) -> bytes | None:
    """The stored key, or None when the file is missing or too short to be one of ours."""
    if not path.is_file():
        return None
    key = path.read_text(encoding="utf-8").strip()
    return key.encode() if len(key) >= 32 else None


class SessionTokens:
    """token(session_id) = hex HMAC-SHA256(secret, session_id); verify in constant time."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the session-token secret must be at least 16 bytes")
        self._secret = secret

    def token(self, session_id: str) -> str:
        return hmac.new(self._secret, session_id.encode(), hashlib.sha256).hexdigest()

    def verify(self, session_id: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.token(session_id), str(token))


def build_api(agent: Any, store: Any, settings: Any, *, support_auth: Any = None, secret: bytes | None = None) -> Any:
    """The FastAPI app. ``support_auth`` defaults to ``ui.app_support.SupportAuth`` from settings."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from ui.app_support import SupportAuth

    tokens = SessionTokens(secret or resolve_api_secret(settings))
    auth = support_auth or SupportAuth(getattr(settings, "support_username", None),
                                       getattr(settings, "support_password", None))
    max_chars = int(getattr(settings, "max_message_chars", 4000))

    app = fastapi.FastAPI(title="WhyRec API", version="1", docs_url=f"{API_PREFIX}/docs",
                          openapi_url=f"{API_PREFIX}/openapi.json", redoc_url=None)

    class ApiError(Exception):
        def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            super().__init__(message)
            self.status, self.message, self.headers = status, message, headers

    @app.exception_handler(ApiError)
    async def _api_error(_req: Any, exc: ApiError) -> Any:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_req: Any, exc: RequestValidationError) -> Any:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"error": "bad request: " + "; ".join(parts)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Any, exc: StarletteHTTPException) -> Any:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _server_error(_req: Any, exc: Exception) -> Any:
        log.exception("API request failed")
        return JSONResponse({"error": "internal error; the server log has the details"}, status_code=500)

    def _error_for(exc: Exception) -> ApiError:
        if isinstance(exc, RateLimitedError):
            return ApiError(429, str(exc), {"Retry-After": str(max(1, round(getattr(exc, "retry_after_s", 10))))})
        if isinstance(exc, DuplicateFeedbackError):
            return ApiError(409, str(exc))
        if isinstance(exc, AccessDeniedError):
            return ApiError(403, str(exc))
        if isinstance(exc, NotFoundError):
            return ApiError(404, str(exc))
        if isinstance(exc, (InputError, ValueError)):
            return ApiError(400, str(exc))
        if isinstance(exc, StoreError):
            return ApiError(503, f"the store is unavailable: {exc}")
        if isinstance(exc, WhyRecError):
            return ApiError(400, str(exc))
        raise exc

    def _authorize(session_id: str, authorization: str | None) -> None:
        if not authorization:
            raise ApiError(401, "missing session token: send 'Authorization: Bearer <token>' "
                                "(the token comes from POST /api/v1/sessions)", {"WWW-Authenticate": "Bearer"})
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "the Authorization header must be 'Bearer <token>'", {"WWW-Authenticate": "Bearer"})
        if len(session_id) > 64 or not tokens.verify(session_id, token.strip()):
            raise ApiError(403, "this token does not grant access to that session")
        try:
            store.session(session_id)
        except NotFoundError as exc:
            raise ApiError(404, str(exc)) from exc

    @app.get(f"{API_PREFIX}/health")
    def health() -> dict[str, Any]:
        try:
            store.get_meta("schema_version")
            store_status = "ok"
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            store_status = f"error: {exc}"
        if getattr(agent, "chat_model", None) is None:
            llm = "off"
        else:
            llm = "limited" if time.monotonic() < getattr(agent, "_llm_down_until", 0.0) else "up"
        body = {"status": "ok" if store_status == "ok" else "degraded", "store": store_status, "llm": llm}
        gate = getattr(agent, "gate", None)
        if gate is not None and getattr(agent, "chat_model", None) is not None:
            body["llm_admission"] = gate.snapshot()
        if store_status != "ok":
            return JSONResponse(body, status_code=503)  # type: ignore[return-value]
        return body

    @app.post(f"{API_PREFIX}/sessions", status_code=201)
    def create_session(request: fastapi.Request) -> dict[str, Any]:
        client = request.client.host if request.client is not None else "unknown"
        try:
            # the WhyRec agent throttles per client (its limit lives in the store); other ChatAgents have no guard
            sid = agent.new_session(client=client) if hasattr(agent, "guard") else agent.new_session()
        except Exception as exc:  # noqa: BLE001
            raise _error_for(exc) from exc
        return {"session_id": sid, "token": tokens.token(sid), "token_type": "bearer"}

    @app.post(f"{API_PREFIX}/sessions/{{session_id}}/turns")
    def post_turn(session_id: str, body: TurnIn, evidence: int = fastapi.Query(0, ge=0, le=1),
                  authorization: str | None = fastapi.Header(None)) -> dict[str, Any]:
        _authorize(session_id, authorization)
        if not body.text.strip():
            raise ApiError(400, "the message is empty: send some text, e.g. 'something like Toy Story'")
        if len(body.text) > max_chars:
            raise ApiError(400, f"the message has {len(body.text)} characters; the limit is {max_chars}")
        final: dict[str, Any] | None = None
        for ev in agent.stream_turn(session_id, body.text):
            if ev.kind == "final":
                final = dict(ev.data)
                break  # answer now; LLM explanations that follow are stored (GET the audit record for them)
        if final is None:
            raise ApiError(500, "the turn ended without a result")
        if final.get("intent") == "rate_limited":
            raise ApiError(429, final["reply"], {"Retry-After": "10"})
        if not evidence:
            final["recommendations"] = [{k: v for k, v in c.items() if k != "evidence"}
                                        for c in final.get("recommendations", [])]
        return final

    @app.post(f"{API_PREFIX}/sessions/{{session_id}}/feedback", status_code=201)
    def post_feedback(session_id: str, body: FeedbackIn,
                      authorization: str | None = fastapi.Header(None)) -> dict[str, Any]:
        _authorize(session_id, authorization)
        if body.kind not in _FEEDBACK_KINDS:
            raise ApiError(400, f"kind must be one of {', '.join(_FEEDBACK_KINDS)}, got {body.kind!r}")
        try:
            agent.record_feedback(session_id, body.rec_id, body.kind)
        except Exception as exc:  # noqa: BLE001 - mapped to 4xx/503 by type
            raise _error_for(exc) from exc
        return {"ok": True, "rec_id": body.rec_id, "kind": body.kind}

    @app.get(f"{API_PREFIX}/sessions/{{session_id}}/history")
    def get_history(session_id: str, authorization: str | None = fastapi.Header(None)) -> dict[str, Any]:
        _authorize(session_id, authorization)
        return {"session_id": session_id, "messages": agent.history(session_id)}

    @app.get(f"{API_PREFIX}/support/recommendations/{{rec_id}}")
    def support_recommendation(rec_id: str, request: fastapi.Request) -> dict[str, Any]:
        import base64
        import binascii

        if not auth.configured:
            raise ApiError(503, "the support login is not configured (set WHYREC_SUPPORT_USERNAME and "
                                "WHYREC_SUPPORT_PASSWORD)")
        header = request.headers.get("authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise ApiError(401, "support login required (HTTP Basic)", {"WWW-Authenticate": 'Basic realm="whyrec"'})
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError(401, "malformed Basic credentials") from exc
        ok, message = auth.check(user, password)
        if not ok:
            raise ApiError(403, message)
        try:
            return store.recommendation(rec_id)
        except Exception as exc:  # noqa: BLE001
            raise _error_for(exc) from exc

    return app


def app_from_env() -> Any:
    """An app process's entry point for ``uvicorn --factory ui.api:app_from_env`` (several workers).

    Settings come from ``WHYREC_*`` as in every entry point; ``WHYREC_APP_LLM=0`` serves without
    the LLM (the load harness's fast mode). Every worker shares the store at ``WHYREC_STORE_URL``,
    and with it the rate limits, session leases and the LLM breaker (agent/store/shared.py).
    """
    import sys

    from agent.runtime import build_runtime
    from agent.settings import apply_runtime_settings, load_settings

    settings = load_settings()
    apply_runtime_settings(settings)
    use_llm = os.environ.get("WHYREC_APP_LLM", "1") != "0"
    rt = build_runtime(settings, use_llm=use_llm)
    warm = ""
    if use_llm:
        took = rt.agent.warm_up()
        warm = ", planner warm-up " + ("failed (server down?)" if took is None else f"{took:.2f} s")
    print(f"app worker ready (pid {os.getpid()}{warm})", file=sys.stderr, flush=True)
    return build_api(rt.agent, rt.store, rt.settings)


def mount_with_gradio(api: Any, blocks: Any, **gradio_kwargs: Any) -> Any:
    """Serve the Gradio app at ``/`` of the API app (one port for both); returns the FastAPI app."""
    import gradio as gr

    return gr.mount_gradio_app(api, blocks, path="/", **gradio_kwargs)
