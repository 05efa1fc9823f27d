"""The JSON API (ui/api.py) against the real agent (deterministic plan), real store and index.

Access rules proven here: a session token opens only its own session, ids and tokens are
unguessable, the audit endpoint needs the support login, rate limits answer 429 with a
friendly message, and no user error becomes a 5xx.
"""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

pytestmark = pytest.mark.timeout(180)


@pytest.fixture()
def api(make_agent, store, tmp_path):
    from fastapi.testclient import TestClient

    from agent.settings import Settings
    from ui.api import build_api

    def factory(**overrides):
        agent = make_agent(chat_model=None, **overrides)
        settings = Settings(data_dir=tmp_path, support_username="staff",
                            support_password=SecretStr("correct horse battery"), **overrides)
        return TestClient(build_api(agent, store, settings), raise_server_exceptions=False), agent

    return factory


def _session(client):
    r = client.post("/api/v1/sessions")
    assert r.status_code == 201, r.text
    body = r.json()
    return body["session_id"], {"Authorization": f"Bearer {body['token']}"}


def test_turn_feedback_history_round_trip(api, store):
    client, _agent = api()
    assert client.get("/api/v1/health").json() == {"status": "ok", "store": "ok", "llm": "off"}
    sid, auth = _session(client)
    r = client.post(f"/api/v1/sessions/{sid}/turns", json={"text": "I loved Toy Story, something like it"},
                    headers=auth)
    assert r.status_code == 200, r.text
    turn = r.json()
    assert turn["session_id"] == sid and turn["turn_index"] == 0 and turn["recommendations"]
    assert all("evidence" not in c for c in turn["recommendations"])  # small by default
    ids = [c["item_id"] for c in turn["recommendations"]]
    assert set(ids) <= {r["item_id"] for r in store.list_recommendations(session_id=sid)}

    full = client.post(f"/api/v1/sessions/{sid}/turns?evidence=1", json={"text": "more like Up"}, headers=auth)
    assert full.status_code == 200 and all(c["evidence"] for c in full.json()["recommendations"])

    rec = turn["recommendations"][0]["rec_id"]
    fb = client.post(f"/api/v1/sessions/{sid}/feedback", json={"rec_id": rec, "kind": "like"}, headers=auth)
    assert fb.status_code == 201 and fb.json()["ok"] is True
    assert [(f["rec_id"], f["kind"]) for f in store.feedback(session_id=sid)] == [(rec, "like")]

    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth).json()["messages"]
    assert [m["role"] for m in hist] == ["user", "assistant", "user", "assistant"]
    assert hist[0]["content"] == "I loved Toy Story, something like it"


def test_tokens_isolate_sessions(api, store):
    client, _ = api()
    a, auth_a = _session(client)
    b, auth_b = _session(client)
    assert a != b and len(base64.urlsafe_b64decode(a + "==")) >= 16  # >= 128 bits
    assert len(auth_a["Authorization"].split()[1]) == 64  # 256-bit HMAC
    client.post(f"/api/v1/sessions/{a}/turns", json={"text": "scary haunted house movies"}, headers=auth_a)

    assert client.get(f"/api/v1/sessions/{a}/history").status_code == 401
    assert client.get(f"/api/v1/sessions/{a}/history", headers={"Authorization": "Basic x"}).status_code == 401
    other = client.get(f"/api/v1/sessions/{a}/history", headers=auth_b)
    assert other.status_code == 403 and "error" in other.json() and "scary" not in other.text
    forged = {"Authorization": "Bearer " + "0" * 64}
    assert client.post(f"/api/v1/sessions/{a}/turns", json={"text": "hi"}, headers=forged).status_code == 403
    # b cannot give feedback on a's recommendation even with b's own valid token
    rec_a = store.list_recommendations(session_id=a)[0]["rec_id"]
    r = client.post(f"/api/v1/sessions/{b}/feedback", json={"rec_id": rec_a, "kind": "like"}, headers=auth_b)
    assert r.status_code == 403 and store.feedback(session_id=a) == [] and store.feedback(session_id=b) == []
    # a token is bound to its session id: unknown ids are 403 (no existence oracle), never 5xx
    assert client.get("/api/v1/sessions/nope/history", headers=auth_a).status_code == 403


def test_user_errors_are_clear_4xx(api, store):
    client, _ = api(max_message_chars=500)
    sid, auth = _session(client)
    before = store.counts()
    cases = [
        (f"/api/v1/sessions/{sid}/turns", {"text": "   "}, 400, "empty"),
        (f"/api/v1/sessions/{sid}/turns", {"text": "x" * 100_000}, 400, "limit is 500"),
        (f"/api/v1/sessions/{sid}/turns", {"txt": "hello"}, 400, "bad request"),
        (f"/api/v1/sessions/{sid}/turns", {"text": 42}, 400, "bad request"),
        (f"/api/v1/sessions/{sid}/feedback", {"rec_id": "rec_missing", "kind": "like"}, 404, "unknown rec_id"),
        (f"/api/v1/sessions/{sid}/feedback", {"rec_id": "rec_missing", "kind": "love"}, 400, "kind must be"),
    ]
    for url, body, code, words in cases:
        r = client.post(url, json=body, headers=auth)
        assert r.status_code == code, (body, r.text)
        assert words in r.json()["error"], r.text
    r = client.post(f"/api/v1/sessions/{sid}/turns", content=b"{not json", headers={**auth,
                                                                                    "Content-Type": "application/json"})
    assert r.status_code == 400
    assert client.get("/api/v1/nowhere").status_code == 404
    assert store.counts() == before  # nothing half-written by rejected requests


def test_rate_limit_answers_429_with_friendly_message(api, store):
    client, _ = api(rate_limit_per_minute=2)
    sid, auth = _session(client)
    for _ in range(2):
        assert client.post(f"/api/v1/sessions/{sid}/turns", json={"text": "funny movies"}, headers=auth).status_code == 200
    r = client.post(f"/api/v1/sessions/{sid}/turns", json={"text": "funny movies"}, headers=auth)
    assert r.status_code == 429 and "please wait" in r.json()["error"] and r.headers["Retry-After"]
    # the limit is per session: another session is unaffected
    other, auth2 = _session(client)
    assert client.post(f"/api/v1/sessions/{other}/turns", json={"text": "funny"}, headers=auth2).status_code == 200


def test_audit_endpoint_requires_support_login(api, store):
    client, _ = api()
    sid, auth = _session(client)
    rec = client.post(f"/api/v1/sessions/{sid}/turns", json={"text": "animated movies for kids"},
                      headers=auth).json()["recommendations"][0]["rec_id"]
    url = f"/api/v1/support/recommendations/{rec}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth).status_code == 401  # a session token is not a support login
    bad = base64.b64encode(b"staff:wrong").decode()
    assert client.get(url, headers={"Authorization": f"Basic {bad}"}).status_code == 403
    good = base64.b64encode(b"staff:correct horse battery").decode()
    r = client.get(url, headers={"Authorization": f"Basic {good}"})
    assert r.status_code == 200 and r.json()["rec_id"] == rec and r.json()["evidence"]


def test_api_secret_is_generated_once_and_private(tmp_path):
    from agent.settings import Settings
    from ui.api import SessionTokens, resolve_api_secret

    s = Settings(data_dir=tmp_path)
    k1, k2 = resolve_api_secret(s), resolve_api_secret(s)
    assert k1 == k2 and len(k1) == 64 and (tmp_path / "api_secret").stat().st_mode & 0o077 == 0
    t = SessionTokens(k1)
    assert t.verify("abc", t.token("abc")) and not t.verify("abd", t.token("abc")) and not t.verify("abc", None)
    assert resolve_api_secret(Settings(data_dir=tmp_path, api_secret=SecretStr("s" * 20))) == b"s" * 20


def test_api_secret_processes_starting_together_agree(tmp_path):
    """Processes racing on a fresh data dir all end up with the one key that landed."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    with ctx.Pool(6) as pool:
        keys = pool.map(_secret_for, [str(tmp_path)] * 12)
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert not list(tmp_path.glob("api_secret.*.tmp"))
    (tmp_path / "api_secret").write_text("short")  # a damaged file is replaced, not trusted
    assert len(_secret_for(str(tmp_path))) == 64


def _secret_for(data_dir: str) -> bytes:
    from agent.settings import Settings
    from ui.api import resolve_api_secret

    return resolve_api_secret(Settings(data_dir=data_dir))


def test_api_mounts_beside_gradio(make_agent, store, tmp_path):
    from fastapi.testclient import TestClient

    from agent.settings import Settings
    from ui.api import build_api, mount_with_gradio
    from ui.app import build_app

    agent = make_agent(chat_model=None)
    settings = Settings(data_dir=tmp_path)
    app = mount_with_gradio(build_api(agent, store, settings), build_app(agent, store, settings))
    client = TestClient(app)
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert client.get("/").status_code == 200 and "gradio" in client.get("/").text.lower()


def test_support_handlers_refuse_without_login(store):
    """The Support tab's lookup/export (the audit queries behind it) do nothing for a client that is
    not logged in, even one that forges the UI state; and a wrong login never opens them."""
    from ui.app_support import LOOKUP_KINDS, SupportAuth, SupportHandlers

    sid = store.create_session(user_id="someone")
    handlers = SupportHandlers(store, SupportAuth("staff", SecretStr("correct horse battery")), None)
    for kind in LOOKUP_KINDS:
        text, data = handlers.lookup(False, kind, sid)
        assert "Log in first" in text and data is None
    assert handlers.export(False, {"session_id": sid}, "session", sid) is None
    ok, msg = handlers.login("staff", "wrong")
    assert not ok and msg
    unconfigured = SupportHandlers(store, SupportAuth(None, None), None)
    assert "Log in first" in unconfigured.lookup(True, LOOKUP_KINDS[0], sid)[0]  # forged state, no login set up


def test_one_port_serves_gradio_chat_and_json_api(make_agent, store, tmp_path):
    """What `whyrec ui` runs: uvicorn serving the API app with Gradio mounted at /; both work."""
    import httpx
    from gradio_client import Client

    from agent.settings import Settings
    from evals.load import BackgroundServer, free_port
    from ui.api import build_api, mount_with_gradio
    from ui.app import build_app

    agent = make_agent(chat_model=None)
    settings = Settings(data_dir=tmp_path)
    app = mount_with_gradio(build_api(agent, store, settings), build_app(agent, store, settings), footer_links=[])
    server = BackgroundServer(app, free_port()).start()
    try:
        history, cards, _banner, _box = Client(server.url + "/", verbose=False).predict("I loved Toy Story",
                                                                                         api_name="/chat")
        assert cards and history[0]["role"] == "user"
        body = httpx.post(server.url + "/api/v1/sessions").json()
        r = httpx.post(f"{server.url}/api/v1/sessions/{body['session_id']}/turns", json={"text": "scary movies"},
                       headers={"Authorization": f"Bearer {body['token']}"}, timeout=60)
        assert r.status_code == 200 and r.json()["recommendations"]
        assert store.counts()["sessions"] == 2  # the Gradio chat session and the API session
    finally:
        server.stop()
