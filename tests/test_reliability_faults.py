"""Faults: the LLM dies and comes back, the index is missing or damaged, the app is killed
mid-write, the disk is full or read-only. Each fault gets a clear message and loses nothing
that was acknowledged.

The LLM stand-in is ``tests/fake_openai.py`` run as a real process (OpenAI wire format over
HTTP), so ``kill -9`` and restart exercise the real client, failover transport and the
agent's circuit breaker; the agent, store, index and tools are the real ones.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from agent.settings import Settings
from tools.errors import DataError, ModelNotReadyError, StoreError

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(240)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_fake(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_openai", "--port", str(port), "--model", "fake-model"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the fake OpenAI server did not start")


def _kill9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


# -- (a) the LLM server dies mid-conversation and comes back ------------------------------------
def test_llm_killed_degrades_fast_and_recovers(make_agent):
    from agent.llm.client import build_chat_model

    port = _free_port()
    proc = _start_fake(port)
    try:
        model = build_chat_model(Settings(llm_base_urls=[f"http://127.0.0.1:{port}/v1"], llm_model="fake-model",
                                          llm_timeout_s=5, llm_connect_timeout_s=0.5))
        agent = make_agent(chat_model=model)
        sid = agent.new_session()
        first = agent.turn(sid, "scary haunted house movies")
        assert not first.degraded and first.recommendations
        assert any(t.tool == "search_items" for t in first.tool_trace)  # the model's call ran

        _kill9(proc)
        for text in ("something funny for kids", "more like Toy Story"):
            t0 = time.perf_counter()
            res = agent.turn(sid, text)
            assert res.degraded and res.recommendations and "limited mode" in res.reply.lower()
            assert time.perf_counter() - t0 < 2.0

        proc = _start_fake(port)  # same port, as a restarted vLLM would be
        time.sleep(agent.degrade_cooldown_s + 0.1)
        # the cool-down is over: this read starts the warm-up (half-open breaker), held open meanwhile
        assert agent._llm_down_until > time.monotonic()
        deadline = time.monotonic() + 20
        while agent.gate.recoveries["succeeded"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # past the cache of the flag
        back = agent.turn(sid, "animated movies")
        assert not back.degraded and back.recommendations
        rows = agent.store.messages(sid)
        assert [m["role"] for m in rows] == ["user", "assistant"] * 4  # every turn answered and kept
        assert [m["metadata"]["degraded"] for m in rows if m["role"] == "assistant"] == [False, True, True, False]
    finally:
        if proc.poll() is None:
            _kill9(proc)


@pytest.mark.llm
def test_failover_to_the_real_llm_when_the_first_url_is_dead(make_agent, llm_server):
    from agent.llm.client import build_chat_model

    dead = f"http://127.0.0.1:{_free_port()}/v1"
    model = build_chat_model(Settings(llm_base_urls=[dead, llm_server], llm_model="smollm2-135m-instruct",
                                      llm_timeout_s=60, llm_connect_timeout_s=0.5))
    agent = make_agent(chat_model=model, llm_plan_timeout_s=60)
    agent.plan_timeout_s = 60
    sid = agent.new_session()
    for text in ("scary movies please", "something like Toy Story"):
        res = agent.turn(sid, text)
        assert not res.degraded and res.recommendations, res.reply


# -- (b) the Chroma index is missing or damaged -------------------------------------------------
def test_missing_or_corrupt_index_names_the_fix(tmp_path, monkeypatch, embedder):
    from typer.testing import CliRunner

    from agent.runtime import load_active_catalog, open_retriever_from_settings
    from tests.fixtures_retrieval import small_items
    from tools.catalog.catalog import write_catalog

    cat_dir = write_catalog(tmp_path / "cat", small_items(), meta={"name": "tiny"})
    settings = Settings(data_dir=tmp_path / "var", catalog_path=cat_dir)
    catalog = load_active_catalog(settings)
    with pytest.raises(ModelNotReadyError, match=r"whyrec index build"):
        open_retriever_from_settings(settings, catalog)  # what build_runtime / `whyrec ui` call

    monkeypatch.setenv("WHYREC_CATALOG_PATH", str(cat_dir))
    monkeypatch.setenv("WHYREC_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("WHYREC_CHROMA_MODE", raising=False)
    from ui.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["index", "build", "--json"]).exit_code == 0
    assert open_retriever_from_settings(settings, catalog).search("haunted house", k=3)

    (tmp_path / "var" / "chroma" / "chroma.sqlite3").write_bytes(b"not a database" * 400)
    with pytest.raises(DataError, match=r"whyrec index build --rebuild"):
        open_retriever_from_settings(settings, catalog)
    chat = runner.invoke(app, ["search", "haunted house"])
    assert chat.exit_code == 2 and "--rebuild" in chat.stderr and "Traceback" not in chat.stderr

    fixed = runner.invoke(app, ["index", "build", "--rebuild", "--json"])
    assert fixed.exit_code == 0, fixed.stderr
    hits = open_retriever_from_settings(settings, catalog).search("haunted house", k=3)
    assert {h.item_id for h in hits} <= {i.item_id for i in catalog.items} and hits


# -- (b2) the app dies mid-turn: the next turn must not reuse the cut turn's index ---------------
class _Killed(Exception):
    """Stands in for SIGKILL between the user's message being stored and the turn being saved."""


def cut_turn_then_continue(make_agent, store, monkeypatch) -> None:
    """Turn 0 answered; turn 1 cut after its user message was stored; a fresh process goes on.

    Shared with tests/test_reliability_postgres.py (same body on PostgreSQL). On the old code the
    next turn took its index from the turn count saved at the end of a turn, so two user rows
    ended up at index 1.
    """
    import agent.loop as loop
    from agent.loop import WhyRecAgent
    from agent.state import DialogueState
    from agent.store.db import Store

    agent = make_agent(chat_model=None)
    sid = agent.new_session()
    assert agent.turn(sid, "scary haunted house movies").turn_index == 0

    def die(*_a, **_k):
        raise _Killed("process killed mid-turn")

    with monkeypatch.context() as m:  # the pipeline dies once the user's message is stored
        m.setattr(loop, "run_turn", die)
        agent.turn(sid, "something funny for kids")  # the worker answers with an error result
    assert [(r["turn_index"], r["role"]) for r in store.messages(sid)][-1] == (1, "user")

    fresh_store = Store(store.url)  # a new app process over the same database
    try:
        fresh = WhyRecAgent(chat_model=None, services=agent.services, store=fresh_store, settings=agent.settings,
                            explainer=agent.explainer)
        res = fresh.turn(sid, "more like Toy Story")
        assert res.turn_index == 2 and res.recommendations
        again = fresh.turn(sid, "animated movies")
        assert again.turn_index == 3
        users = [(r["turn_index"], r["content"]) for r in fresh_store.messages(sid) if r["role"] == "user"]
        assert users == [(0, "scary haunted house movies"), (1, "something funny for kids"),
                         (2, "more like Toy Story"), (3, "animated movies")]
        history = fresh.history(sid)
        assert [(h["turn_index"], h["role"]) for h in history] == [
            (0, "user"), (0, "assistant"), (1, "user"), (2, "user"), (2, "assistant"), (3, "user"), (3, "assistant")]
        assert fresh_store.session(sid)["turn_count"] == 4
        assert DialogueState.from_dict(fresh_store.load_state(sid)).turn_count == 4
        assert len(fresh_store.messages(sid, upto_turn=1)) == 3  # the cut turn stays in the log, unanswered
    finally:
        fresh_store.close()


def test_a_turn_cut_by_a_crash_does_not_reuse_its_index(make_agent, store, monkeypatch):
    cut_turn_then_continue(make_agent, store, monkeypatch)


# -- (c) kill -9 of a process writing feedback ---------------------------------------------------
_WRITER = textwrap.dedent("""
    import sys
    from agent.store.db import Store
    store = Store(sys.argv[1])
    sid = store.create_session()
    rec = store.add_recommendation(session_id=sid, turn_index=0, item_id="1", rank=1, scores={}, evidence={},
                                   versions={})
    print("REC", rec, flush=True)
    kinds = ("like", "dislike", "accept", "watched")
    i = 0
    while True:
        fid = store.add_feedback(rec, kinds[i % 4], session_id=sid)
        print(fid, flush=True)   # acknowledged only after the commit returned
        i += 1
""")


def test_kill9_during_feedback_burst_loses_nothing_acknowledged(tmp_path):
    from agent.store.db import Store

    url = f"sqlite:///{tmp_path}/burst.db"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, url], cwd=REPO, stdout=subprocess.PIPE, text=True)
    acked: list[int] = []
    try:
        rec = proc.stdout.readline().split()[1]
        while len(acked) < 150:
            line = proc.stdout.readline()
            assert line, "the writer died early"
            acked.append(int(line))
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: it is writing the next rows right now
        proc.wait(timeout=10)
        acked += [int(x) for x in proc.stdout.read().split()]  # acks already in the pipe count too
    finally:
        if proc.poll() is None:
            proc.kill()
    store = Store(url)
    assert store.integrity_check() == "ok"
    stored = {f["id"] for f in store.feedback()}
    assert set(acked) <= stored and len(stored) - len(acked) <= 1  # at most one committed-but-unprinted
    assert {f["rec_id"] for f in store.feedback()} == {rec}
    store.add_feedback(rec, "like")  # and it keeps working
    store.close()


# -- (d) disk full / read-only -------------------------------------------------------------------
def _fill_until_error(store, sid: str) -> tuple[int, StoreError]:
    n = 0
    while True:
        try:
            store.add_message(sid, n, "user", "x" * 4000)
        except StoreError as exc:
            return n, exc
        n += 1
        assert n < 5000, "the store never filled up"


def test_disk_full_gives_clear_error_and_no_partial_rows(tmp_path):
    """SQLite's max_page_count is a hard size cap: writes past it fail exactly like a full disk."""
    import sqlalchemy as sa

    from agent.store.db import Store

    store = Store(f"sqlite:///{tmp_path}/full.db")
    sid = store.create_session()
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @sa.event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn, _rec):
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 20}")

    store.engine.dispose()
    written, err = _fill_until_error(store, sid)
    assert "full" in str(err) and "nothing was written" in str(err)
    before = store.counts()
    with pytest.raises(StoreError, match="full"):
        store.add_recommendation(session_id=sid, turn_index=0, item_id="1", rank=1, scores={},
                                 evidence={"blob": "y" * 200_000}, versions={})
    assert store.counts() == before and len(store.messages(sid)) == written == before["messages"]
    assert store.integrity_check() == "ok"


def _mount(*args: str) -> bool:
    return os.geteuid() == 0 and subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_real_tmpfs_full_and_read_only(tmp_path):
    """A real 1 MiB tmpfs filled up, then remounted read-only (needs root + mount; else skipped)."""
    from agent.store.db import Store

    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)):
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); "
                    "test_disk_full_gives_clear_error_and_no_partial_rows covers disk-full via max_page_count")
    try:
        url = f"sqlite:///{mnt}/whyrec.db"
        store = Store(url)
        sid = store.create_session()
        written, err = _fill_until_error(store, sid)
        assert "full" in str(err) and written > 10
        assert len(store.messages(sid)) == written and store.integrity_check() == "ok"
        store.close()

        assert _mount("-o", "remount,ro", str(mnt))
        ro = Store(url)  # opens for reading
        assert len(ro.messages(sid)) == written
        with pytest.raises(StoreError, match="read-only"):
            ro.create_session()
        assert len(ro.messages(sid)) == written
        ro.close()
        with pytest.raises(StoreError, match="read-only|cannot create"):
            Store(f"sqlite:///{mnt}/sub/new.db")
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_read_only_store_refuses_writes_clearly(tmp_path):
    """Without root: SQLite ``query_only`` makes every write fail as on a read-only file."""
    import sqlalchemy as sa

    from agent.store.db import Store

    store = Store(f"sqlite:///{tmp_path}/ro.db")
    sid = store.create_session()
    store.add_message(sid, 0, "user", "hello")

    @sa.event.listens_for(store.engine, "connect")
    def _ro(dbapi_conn, _rec):
        dbapi_conn.execute("PRAGMA query_only=ON")

    store.engine.dispose()
    with pytest.raises(StoreError, match="read-only"):
        store.add_message(sid, 1, "user", "more")
    with pytest.raises(StoreError, match="read-only"):
        store.save_state(sid, {"liked": ["1"]})
    assert [m["content"] for m in store.messages(sid)] == ["hello"] and store.load_state(sid) == {}
