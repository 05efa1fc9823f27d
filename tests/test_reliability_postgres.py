"""The scale-out path: the store on a real PostgreSQL server (psycopg 3).

A throwaway cluster is started on loopback for this module (``initdb`` + ``pg_ctl`` in a temp
dir, on a free port, as the ``postgres`` user when we run as root), and removed afterwards.
Skipped, with the reason, when the PostgreSQL binaries are absent: install them with
``scripts/setup_postgres.sh``. The other two scale-out parts are tested elsewhere: Chroma in
server mode (tests/test_retrieval_search.py, ``chroma_server`` param) and the LLM client over
several base URLs (test_llm_clients_round_robin_and_failover below, and tests/test_llm_unit.py).
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from evals.load_procs import free_port

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def pg_url():
    """A throwaway cluster for this module (the same one ``evals.bench_scaleout`` starts)."""
    from evals.scaleout_services import PostgresCluster, postgres_missing

    why = postgres_missing()
    if why:
        pytest.skip(why)
    cluster = PostgresCluster().start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture()
def store(pg_url):
    """Overrides tests/fixtures_store.py's SQLite store for this module: the agent runs on PostgreSQL."""
    import sqlalchemy as sa

    from agent.store.db import Store, metadata

    s = Store(pg_url)
    yield s
    with s.engine.begin() as conn:  # a clean database for the next test
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.text(f'TRUNCATE "{table.name}" CASCADE'))
    s.close()


def test_store_round_trip_on_postgres(store):
    from tools.errors import AccessDeniedError, NotFoundError

    assert not store.is_sqlite and store.integrity_check() == "ok"
    sid = store.create_session(user_id="u1")
    other = store.create_session()
    store.save_state(sid, {"liked": ["1"], "note": "é ✓ 🎬"}, turn_count=1)
    m = store.add_message(sid, 0, "user", "I loved Toy Story 🎬", {"k": [1, 2]})
    store.add_tool_call(sid, 0, "search_items", {"query": "toy"}, 3.5, True, "found 3")
    rec = store.add_recommendation(session_id=sid, turn_index=0, item_id="1", rank=1, scores={"final": 0.9},
                                   evidence={"why": ["a"]}, versions={"catalog": "v1"}, title="Toy Story")
    store.add_explanation(rec, "Because you liked Up.", "template", {"passed": True})
    fid = store.add_feedback(rec, "like", session_id=sid)
    with pytest.raises(AccessDeniedError):
        store.add_feedback(rec, "like", session_id=other)
    with pytest.raises(NotFoundError):
        store.session("nope")

    s = store.session(sid)
    assert s["user_id"] == "u1" and s["turn_count"] == 1 and s["state"]["note"] == "é ✓ 🎬"
    assert store.messages(sid)[0]["id"] == m and store.messages(sid)[0]["metadata"] == {"k": [1, 2]}
    assert store.tool_calls(sid)[0]["arguments"] == {"query": "toy"}
    r = store.recommendation(rec)
    assert r["title"] == "Toy Story" and r["explanation"]["text"] == "Because you liked Up." and r["user_id"] == "u1"
    assert [f["id"] for f in store.feedback(session_id=sid)] == [fid]
    assert store.counts() == {"sessions": 2, "messages": 1, "tool_calls": 1, "recommendations": 1,
                              "explanations": 1, "feedback": 1}


def test_concurrent_writers_on_postgres(store, pg_url):
    """16 threads over two engines (two app processes' worth) write at once: every row, exactly once."""
    from agent.store.db import Store

    second = Store(pg_url)
    sid = store.create_session()
    rec = store.add_recommendation(session_id=sid, turn_index=0, item_id="1", rank=1, scores={}, evidence={},
                                   versions={})
    acked: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def writer(n: int) -> None:
        s = store if n % 2 else second
        start.wait()
        try:
            for i in range(25):
                mid = s.add_message(sid, n, "user", f"w{n}-{i}")
                fid = s.add_feedback(rec, ("like", "dislike", "accept", "watched")[i % 4], session_id=sid)
                with lock:
                    acked.extend([mid, -fid])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    msgs = store.messages(sid)
    assert len(msgs) == 400 and len({m["content"] for m in msgs}) == 400
    assert sorted(m["id"] for m in msgs) == sorted(x for x in acked if x > 0)
    assert len(store.feedback(session_id=sid)) == 400
    assert time.perf_counter() - t0 < 120
    second.close()


def test_rate_limit_and_lease_hold_across_two_engines_on_postgres(store, pg_url):
    """Two engines (two app processes' worth) race 16 threads at a limit of 10: exactly 10 pass."""
    from agent.session_guard import SessionGuard
    from agent.settings import Settings
    from agent.store.db import Store
    from tools.errors import RateLimitedError

    second = Store(pg_url)
    settings = Settings(rate_limit_per_minute=10, session_lock_wait_s=0.3)
    guards = [SessionGuard(store, settings), SessionGuard(second, settings)]
    allowed: list[int] = []
    start = threading.Barrier(16)

    def hit(n: int) -> None:
        start.wait()
        try:
            guards[n % 2].check_turn("pg-s1")
            allowed.append(n)
        except RateLimitedError:
            pass

    threads = [threading.Thread(target=hit, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(allowed) == 10
    with guards[0].session_lock("pg-s1"), pytest.raises(RateLimitedError), guards[1].session_lock("pg-s1"):
        pass
    with guards[1].session_lock("pg-s1"):
        assert second.shared.lease_owner("pg-s1") == guards[1].owner
    second.close()


def test_agent_load_run_on_postgres(make_agent, store, agent_catalog, tmp_path):
    """The whole turn pipeline and the JSON API over PostgreSQL, audited row by row."""
    from agent.settings import Settings
    from evals.load import run_load
    from ui.api import build_api

    agent = make_agent(chat_model=None)
    assert agent.store is store and not store.is_sqlite
    runtime = SimpleNamespace(agent=agent, store=store, settings=Settings(data_dir=tmp_path), catalog=agent_catalog,
                              notes=[])
    report = run_load(sessions=6, turns=2, fast=True, runtime=runtime, titles=[i.title for i in agent_catalog.items],
                      time_limit_s=180, app_factory=build_api)
    assert report["ok"], report
    assert report["store"]["mismatches"] == {} and report["turns_answered"] == 12


def test_a_cut_turn_does_not_reuse_its_index_on_postgres(make_agent, store, monkeypatch):
    """The crash-mid-turn check of tests/test_reliability_faults.py, on PostgreSQL."""
    from tests.test_reliability_faults import cut_turn_then_continue

    cut_turn_then_continue(make_agent, store, monkeypatch)


def test_turn_indexes_are_unique_across_two_engines_on_postgres(store, pg_url):
    """16 threads over two engines start turns of one session at once: every index handed out once."""
    from agent.store.db import Store

    second = Store(pg_url)
    sid = store.create_session()
    got: list[int] = []
    start = threading.Barrier(16)

    def starter(n: int) -> None:
        start.wait()
        for i in range(5):
            got.append((store if n % 2 else second).start_turn(sid, f"t{n}-{i}"))

    threads = [threading.Thread(target=starter, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(got) == list(range(80)) and store.session(sid)["turn_count"] == 80
    second.close()


def test_llm_clients_round_robin_and_failover():
    """Two live OpenAI-compatible servers get turns in round robin; a dead one is skipped."""
    from agent.llm.client import build_chat_model
    from agent.settings import Settings
    from tests.fake_openai import FakeOpenAIServer

    a = FakeOpenAIServer(model="m", tag="A").start()
    b = FakeOpenAIServer(model="m", tag="B").start()
    dead = f"http://127.0.0.1:{free_port()}/v1"
    try:
        model = build_chat_model(Settings(llm_base_urls=[a.base_url, b.base_url], llm_model="m"))
        replies = [model.invoke(f"hi {i}").content for i in range(4)]
        assert sorted(r.split("]")[0] for r in replies) == ["[A", "[A", "[B", "[B"]
        assert len(a.requests) == 2 and len(b.requests) == 2

        model = build_chat_model(Settings(llm_base_urls=[dead, b.base_url], llm_model="m",
                                          llm_connect_timeout_s=0.5))
        assert all(model.invoke(f"x {i}").content.startswith("[B]") for i in range(3))
    finally:
        a.stop()
        b.stop()
