"""Store round-trips, append-only audit rows, concurrent writers, clear errors."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from agent.store.db import Store
from tools.errors import AccessDeniedError, InputError, NotFoundError, StoreError


def _rec(store: Store, sid: str, item: str = "42", rank: int = 1) -> str:
    return store.add_recommendation(
        session_id=sid, turn_index=0, item_id=item, rank=rank, title="Toy Story",
        scores={"lightgcn": 0.5}, evidence={"item.title": "Toy Story"}, versions={"catalog": "demo-1"},
    )


def test_session_roundtrip_and_state(store: Store) -> None:
    sid = store.create_session(user_id="alice")
    assert len(sid) >= 20  # unguessable
    store.save_state(sid, {"liked": ["1"], "constraints": {"year_min": 2000}}, turn_count=1)
    s = store.session(sid)
    assert s["user_id"] == "alice" and s["turn_count"] == 1
    assert s["state"] == {"liked": ["1"], "constraints": {"year_min": 2000}}
    with pytest.raises(NotFoundError, match="unknown session"):
        store.load_state("nope")


def test_messages_tool_calls_recommendations_feedback(store: Store) -> None:
    sid = store.create_session()
    store.add_message(sid, 0, "user", "I loved Toy Story", {"lang": "en"})
    store.add_message(sid, 0, "assistant", "Try Up")
    store.add_tool_call(sid, 0, "search_items", {"query": "toy"}, 12.5, True, "3 hits")
    rec = _rec(store, sid)
    store.add_explanation(rec, "first", "llm", {"passed": False})
    store.add_explanation(rec, "second", "template", {"passed": True})
    fid = store.add_feedback(rec, "like", session_id=sid)
    assert fid > 0
    msgs = store.messages(sid)
    assert [m["role"] for m in msgs] == ["user", "assistant"] and msgs[0]["metadata"] == {"lang": "en"}
    store.add_message(sid, 1, "user", "more please")
    # the last ``limit`` messages, oldest first (the history a turn reads), and ``upto_turn`` with it
    assert [m["content"] for m in store.messages(sid, limit=2)] == ["Try Up", "more please"]
    assert [m["content"] for m in store.messages(sid, limit=5)] == ["I loved Toy Story", "Try Up", "more please"]
    assert [m["content"] for m in store.messages(sid, limit=1, upto_turn=0)] == ["Try Up"]
    assert store.messages(sid, limit=0) == []
    calls = store.tool_calls(sid, turn_index=0)
    assert calls[0]["arguments"] == {"query": "toy"} and calls[0]["ok"] is True
    full = store.recommendation(rec)
    # append-only: both explanations are kept, the latest is the one shown
    assert [e["text"] for e in full["explanations"]] == ["first", "second"]
    assert full["explanation"]["path"] == "template"
    assert full["feedback"][0]["kind"] == "like" and full["feedback"][0]["item_id"] == "42"
    assert store.list_recommendations(session_id=sid)[0]["rec_id"] == rec
    assert store.list_recommendations(item_id="42")[0]["rec_id"] == rec
    assert store.list_recommendations(since=datetime.now(UTC) + timedelta(days=1)) == []
    assert store.counts() == {"sessions": 1, "messages": 3, "tool_calls": 1, "recommendations": 1,
                              "explanations": 2, "feedback": 1}


def test_a_turns_explanations_and_its_end_are_one_write_each(store: Store) -> None:
    sid = store.create_session()
    a, b = _rec(store, sid, "1", 1), _rec(store, sid, "2", 2)
    before = store._writer.writes if store._writer is not None else None
    ids = store.add_explanations([(a, "A fits.", "template", {"passed": True}), (b, "B fits.", "template", {})])
    assert len(ids) == 2 and store.recommendation(b)["explanation"]["text"] == "B fits."
    store.end_turn(sid, 0, {"liked": ["1"]}, 1, [
        {"tool": "recommend", "arguments": {"k": 40}, "duration_ms": 4.0, "ok": True, "result_summary": "40 ranked"}],
        "Here are 2 picks.", {"rec_ids": [a, b]})
    if before is not None:
        assert store._writer.writes == before + 2
    assert store.session(sid)["turn_count"] == 1 and store.load_state(sid) == {"liked": ["1"]}
    assert store.tool_calls(sid, 0)[0]["arguments"] == {"k": 40}
    assert store.messages(sid)[-1]["metadata"] == {"rec_ids": [a, b]}
    counts = store.counts()
    # all or nothing: one unknown card or session leaves every row of the batch out
    with pytest.raises(NotFoundError, match="unknown rec_id 'rec_nope'"):
        store.add_explanations([(a, "again", "template", {}), ("rec_nope", "x", "template", {})])
    with pytest.raises(NotFoundError, match="unknown session"):
        store.end_turn("nope", 1, {}, 2, [{"tool": "t", "arguments": {}, "duration_ms": 1, "ok": True,
                                           "result_summary": ""}], "reply")
    assert store.counts() == counts


def test_a_slate_is_one_write_in_rank_order_and_feedback_reads_its_card(store: Store) -> None:
    sid = store.create_session(user_id="bob")
    before = store._writer.writes if store._writer is not None else None
    cards = [{"item_id": str(i), "rank": i, "title": f"T{i}", "scores": {"features": {"content": i / 10}},
              "evidence": {"n": i}, "versions": {"v": 1}} for i in (1, 2, 3)]
    ids = store.add_recommendations(sid, 0, cards)
    if before is not None:
        assert store._writer.writes == before + 1
    assert len(set(ids)) == 3 and all(i.startswith("rec_") for i in ids)
    stored = {r["rec_id"]: r for r in store.list_recommendations(session_id=sid)}
    assert [stored[i]["item_id"] for i in ids] == ["1", "2", "3"]
    assert stored[ids[2]]["user_id"] == "bob" and stored[ids[2]]["evidence"] == {"n": 3}
    brief = store.card_for_feedback(ids[1])
    assert brief == {"item_id": "2", "features": {"content": 0.2}, "n_feedback": 0}
    store.add_feedback(ids[1], "like", session_id=sid)
    store.add_feedback(ids[1], "watched", session_id=sid)
    assert store.card_for_feedback(ids[1])["n_feedback"] == 2
    with pytest.raises(NotFoundError, match="unknown rec_id"):
        store.card_for_feedback("rec_nope")
    counts = store.counts()
    with pytest.raises(NotFoundError, match="unknown session"):  # nothing of the slate is stored
        store.add_recommendations("nope", 0, cards)
    assert store.counts() == counts and store.add_recommendations(sid, 1, []) == []


def test_bad_input_is_rejected_clearly(store: Store) -> None:
    sid = store.create_session()
    other = store.create_session()
    rec = _rec(store, sid)
    with pytest.raises(InputError, match="feedback kind"):
        store.add_feedback(rec, "love")
    with pytest.raises(AccessDeniedError):
        store.add_feedback(rec, "like", session_id=other)
    with pytest.raises(NotFoundError):
        store.add_feedback("rec_missing", "like")
    with pytest.raises(InputError, match="role"):
        store.add_message(sid, 0, "robot", "x")
    with pytest.raises(NotFoundError):
        store.recommendation("rec_missing")
    assert store.counts()["feedback"] == 0


def test_start_turn_hands_out_each_index_once(store: Store) -> None:
    """The turn index comes with the stored user message, even when the saved count lags behind."""
    sid = store.create_session()
    assert store.start_turn(sid, "hi") == 0
    assert store.session(sid)["turn_count"] == 1
    assert store.start_turn(sid, "cut off") == 1  # turn 0 never saved its state: the index still moves on
    store.save_state(sid, {}, turn_count=1)  # a late save with an older count cannot roll it back
    assert store.start_turn(sid, "again") == 2
    old = store.create_session()
    store.add_message(old, 0, "user", "written by an older WhyRec that then crashed")
    assert store.start_turn(old, "next") == 1  # a log written before start_turn existed is respected
    assert [(m["turn_index"], m["content"]) for m in store.messages(sid)] == [(0, "hi"), (1, "cut off"), (2, "again")]
    with pytest.raises(NotFoundError):
        store.start_turn("nope", "x")

    threads = [threading.Thread(target=lambda: [store.start_turn(sid, "t") for _ in range(10)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(m["turn_index"] for m in store.messages(sid)) == list(range(83))


def test_survives_reopen(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    a = Store(url)
    sid = a.create_session("bob")
    rec = _rec(a, sid)
    a.add_feedback(rec, "dislike")
    a.close()
    b = Store(url)
    assert b.recommendation(rec)["feedback"][0]["kind"] == "dislike"
    assert b.integrity_check() == "ok"


def test_concurrent_threads_lose_nothing(store: Store) -> None:
    sid = store.create_session()
    rec = _rec(store, sid)

    def work(n: int) -> None:
        for i in range(25):
            store.add_message(sid, n, "user", f"{n}-{i}")
            store.add_feedback(rec, "like")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.counts()["messages"] == 200
    assert store.counts()["feedback"] == 200
    assert len({m["content"] for m in store.messages(sid)}) == 200


def _proc_writer(url: str, rec: str, n: int) -> None:
    s = Store(url)
    for _ in range(n):
        s.add_feedback(rec, "accept")
    s.close()


def test_concurrent_processes_lose_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/p.db"
    s = Store(url)
    rec = _rec(s, s.create_session())
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_proc_writer, args=(url, rec, 30)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert s.counts()["feedback"] == 90
    assert s.integrity_check() == "ok"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_dir_gives_clear_error(tmp_path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(StoreError, match="writable|read-only|cannot open"):
        Store(f"sqlite:///{ro}/sub/x.db")


def test_read_only_database_file_gives_clear_error_and_keeps_rows(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/ro.db"
    s = Store(url)
    sid = s.create_session()
    s.close()
    import sqlite3

    import sqlalchemy as sa

    # open the same file through SQLite's read-only URI mode (as a read-only mount would)
    eng = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{tmp_path}/ro.db?mode=ro", uri=True))
    r = Store.__new__(Store)
    from agent.store.writer import GroupCommitWriter

    r.url, r.is_sqlite, r.engine, r._writer = url, True, eng, GroupCommitWriter(eng)
    with pytest.raises(StoreError, match="read-only"):
        r.add_message(sid, 0, "user", "x")
    assert Store(url).messages(sid) == []
