"""Every abuse limit must reject, across processes too; the LLM gate must answer at once when busy.

Each test names the case it rejects: duplicate feedback, too-fast feedback, too many sessions
per client, RL influence beyond a session's budget, a rate limit reached through two store
connections (two app processes' worth) on one SQLite file, a session lease held by another
process, a circuit breaker tripped by another process, and a turn that would have to wait for
a busy model. PostgreSQL's version of the cross-process limit is in test_reliability_postgres.py.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from typing import Any

import pytest

from agent.session_guard import SessionGuard
from agent.settings import Settings
from agent.store.db import Store
from agent.store.shared import DuplicateFeedbackError
from tests.fixtures_agent import FakeToolCallingModel, tool_call
from tools.errors import NotFoundError, RateLimitedError

pytestmark = pytest.mark.timeout(240)


@pytest.fixture()
def api(make_agent, store, tmp_path):
    """api(**settings) -> (TestClient over ui.api.build_api, agent) with the LLM off."""
    from fastapi.testclient import TestClient

    from ui.api import build_api

    def factory(**overrides):
        agent = make_agent(chat_model=None, **overrides)
        return TestClient(build_api(agent, store, Settings(data_dir=tmp_path, **overrides)),
                          raise_server_exceptions=False), agent

    return factory


def _cards(agent, sid: str, text: str = "scary haunted house movies") -> list[str]:
    res = agent.turn(sid, text)
    assert res.recommendations, res.reply
    return [c.rec_id for c in res.recommendations]


def test_duplicate_feedback_is_rejected_and_counts_once(make_agent, store):
    agent = make_agent(chat_model=None)
    sid = agent.new_session()
    rec = _cards(agent, sid)[0]
    agent.record_feedback(sid, rec, "like")
    with pytest.raises(DuplicateFeedbackError):
        agent.record_feedback(sid, rec, "like")
    agent.record_feedback(sid, rec, "watched")  # another kind on the same card is new information
    assert [f["kind"] for f in store.feedback(session_id=sid)] == ["like", "watched"]


def test_too_fast_feedback_is_rejected(make_agent, store):
    agent = make_agent(chat_model=None, feedback_per_minute=2)
    sid = agent.new_session()
    recs = _cards(agent, sid)
    agent.record_feedback(sid, recs[0], "like")
    agent.record_feedback(sid, recs[1], "like")
    with pytest.raises(RateLimitedError) as err:
        agent.record_feedback(sid, recs[2], "like")
    assert 0 < err.value.retry_after_s <= 60
    assert len(store.feedback(session_id=sid)) == 2


def test_api_answers_409_for_duplicate_and_429_for_too_fast_feedback(api):
    client, agent = api(feedback_per_minute=2)
    r = client.post("/api/v1/sessions")
    sid, auth = r.json()["session_id"], {"Authorization": f"Bearer {r.json()['token']}"}
    cards = client.post(f"/api/v1/sessions/{sid}/turns", json={"text": "scary movies"}, headers=auth).json()
    recs = [c["rec_id"] for c in cards["recommendations"]]
    assert client.post(f"/api/v1/sessions/{sid}/feedback", json={"rec_id": recs[0], "kind": "like"},
                       headers=auth).status_code == 201
    dup = client.post(f"/api/v1/sessions/{sid}/feedback", json={"rec_id": recs[0], "kind": "like"}, headers=auth)
    assert dup.status_code == 409 and "counts once" in dup.json()["error"]
    fast = client.post(f"/api/v1/sessions/{sid}/feedback", json={"rec_id": recs[1], "kind": "like"}, headers=auth)
    assert fast.status_code == 429 and int(fast.headers["Retry-After"]) >= 1


def test_too_many_sessions_per_client_are_rejected(api):
    client, _agent = api(sessions_per_client_per_minute=3)
    codes = [client.post("/api/v1/sessions").status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]


def test_rl_updates_per_session_are_bounded(make_agent, store):
    updates: list[dict[str, Any]] = []
    agent = make_agent(chat_model=None, learner=lambda evs: updates.extend(evs), rl_updates_per_session=2)
    sid = agent.new_session()
    recs = _cards(agent, sid)
    agent.record_feedback(sid, recs[0], "like")
    agent.record_feedback(sid, recs[0], "watched")  # a second kind on the same card: no second RL step
    assert len(updates) == 1
    agent.record_feedback(sid, recs[1], "dislike")
    agent.record_feedback(sid, recs[2], "like")  # over the session's budget: stored, not learned from
    assert len(updates) == 2 and len(store.feedback(session_id=sid)) == 4


def test_rate_limit_holds_across_two_store_connections_on_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path}/shared.db"
    a, b = Store(url), Store(url)
    settings = Settings(rate_limit_per_minute=5)
    ga, gb = SessionGuard(a, settings), SessionGuard(b, settings)
    allowed = 0
    for i in range(8):
        try:
            (ga if i % 2 else gb).check_turn("s1")
            allowed += 1
        except RateLimitedError:
            pass
    assert allowed == 5
    with pytest.raises(RateLimitedError):
        ga.check_turn("s1")
    gb.check_turn("s2")  # other sessions are not affected
    a.close()
    b.close()


def _proc_hits(url: str, n: int, out: Any) -> None:
    s = Store(url)
    ok = sum(1 for _ in range(n) if s.shared.hit("turn:race", 10, 60.0) == 0.0)
    out.put(ok)
    s.close()


def test_rate_limit_holds_across_processes_racing(tmp_path):
    """Three processes race 10 hits each at a limit of 10: exactly 10 are counted, never more."""
    url = f"sqlite:///{tmp_path}/race.db"
    Store(url).close()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_proc_hits, args=(url, 10, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert sum(out.get(timeout=5) for _ in procs) == 10


def test_session_lease_keeps_a_second_process_out_until_released_or_expired(tmp_path):
    url = f"sqlite:///{tmp_path}/lease.db"
    a, b = Store(url), Store(url)
    settings = Settings(session_lock_wait_s=0.3, session_lock_ttl_s=60)
    ga, gb = SessionGuard(a, settings), SessionGuard(b, settings)
    with ga.session_lock("s1"):
        t0 = time.perf_counter()
        with pytest.raises(RateLimitedError), gb.session_lock("s1"):
            pass
        assert 0.25 < time.perf_counter() - t0 < 5
        with gb.session_lock("s2"):  # other sessions run meanwhile
            pass
    with gb.session_lock("s1"):
        assert b.shared.lease_owner("s1") == gb.owner
    assert a.shared.acquire_lease("s3", "crashed-process", ttl_s=0.05)
    time.sleep(0.1)
    with gb.session_lock("s3"):  # a crashed holder's lease expires
        assert b.shared.lease_owner("s3") == gb.owner
    a.close()
    b.close()


def test_circuit_breaker_tripped_by_one_process_degrades_the_other(tmp_path):
    from agent.llm_gate import LLMGate

    url = f"sqlite:///{tmp_path}/breaker.db"
    a, b = LLMGate(Store(url)), LLMGate(Store(url))
    assert a.down_until() == 0.0 and b.down_until() == 0.0
    a.trip_until(time.monotonic() + 5.0)
    time.sleep(0.3)  # past the other process's cache of the flag
    assert b.down_until() > time.monotonic() + 3.0


def test_after_the_cool_down_the_model_is_warmed_before_any_process_uses_it_again(tmp_path):
    # half-open breaker: a restarted server's first planning call compiles the tool grammar (10-20 s);
    # no user turn may be that call, in this process or another
    from agent.llm_gate import LLMGate

    url = f"sqlite:///{tmp_path}/breaker.db"
    a, b = LLMGate(Store(url)), LLMGate(Store(url))
    release, warmed = threading.Event(), []

    def warm() -> bool:
        warmed.append(1)
        return release.wait(10)

    a.enable_recovery(warm, hold_s=30.0, cooldown_s=5.0)
    a.trip_until(time.monotonic() + 0.3)
    time.sleep(0.6)  # the cool-down is over, and both caches of the flag are stale
    assert a.down_until() > time.monotonic() + 20  # held open while the warm-up runs
    assert b.down_until() > time.monotonic() + 20  # the other process waits for it too
    assert a.down_until() > 0 and warmed == [1]  # one warm-up, not one per read
    release.set()
    deadline = time.monotonic() + 5
    while a.recoveries["succeeded"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert a.down_until() == 0.0 and b.down_until() == 0.0  # closed for every process
    assert a.recoveries == {"started": 1, "succeeded": 1, "failed": 0}


def test_a_failed_warm_up_opens_the_breaker_for_another_cool_down(tmp_path):
    from agent.llm_gate import LLMGate

    gate = LLMGate(Store(f"sqlite:///{tmp_path}/breaker.db"))
    gate.enable_recovery(lambda: False, hold_s=30.0, cooldown_s=2.0)
    gate.trip_until(time.monotonic() + 0.3)
    time.sleep(0.6)
    assert gate.down_until() > 0
    deadline = time.monotonic() + 5
    while gate.recoveries["failed"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    left = gate.down_until() - time.monotonic()
    assert 0.5 < left <= 2.0  # down for one more cool-down, not the 30 s hold


def test_without_recovery_the_breaker_closes_when_the_cool_down_ends(tmp_path):
    from agent.llm_gate import LLMGate

    gate = LLMGate(Store(f"sqlite:///{tmp_path}/breaker.db"))
    gate.trip_until(time.monotonic() + 0.3)
    time.sleep(0.6)
    assert gate.down_until() == 0.0 and gate.recoveries["started"] == 0


class HeldModel(FakeToolCallingModel):
    """The scripted fake, held on its first call until the test lets it answer (a busy model).

    Why an event rather than a delay: the test then proves an order (the second turn was answered
    while the model still held the first) instead of timing a turn on a loaded CI machine."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        _MODEL_HELD.set()
        _MODEL_RELEASE.wait(30)
        return super()._generate(messages, stop, run_manager, **kwargs)


_MODEL_HELD, _MODEL_RELEASE = threading.Event(), threading.Event()


def test_a_turn_that_would_queue_behind_a_busy_llm_is_served_at_once_and_says_so(make_agent):
    _MODEL_HELD.clear()
    _MODEL_RELEASE.clear()
    model = HeldModel(script=[tool_call("search_items", query="scary haunted house")] * 4)
    agent = make_agent(chat_model=model, llm_max_inflight=1, turn_budget_s=3.0)
    agent.plan_timeout_s = 5.0
    first_sid, second_sid = agent.new_session(), agent.new_session()
    first: dict[str, Any] = {}
    t = threading.Thread(target=lambda: first.update(r=agent.turn(first_sid, "scary haunted house movies")))
    t.start()
    try:
        assert _MODEL_HELD.wait(10), "the first turn never reached the model"
        events = list(agent.stream_turn(second_sid, "something funny for kids"))
        # answered while the model still holds the first turn: it did not queue behind it
        assert t.is_alive() and "r" not in first
    finally:
        _MODEL_RELEASE.set()
        t.join(15)
    final = next(e.data for e in events if e.kind == "final")
    # busy, not down: the reply says so and does not claim the model is unavailable
    assert final["degraded"] and final["recommendations"] and "limited mode" not in final["reply"].lower()
    assert "the language model is busy" in final["reply"].lower()
    assert final["llm"] == "busy"
    assert any(e.kind == "status" and e.data.get("reason") == "llm_busy" for e in events)
    assert first["r"].recommendations and not first["r"].degraded  # the admitted turn planned with the model
    assert agent.gate.counts["refused_queue"] == 1 and agent.gate.inflight == 0


def test_a_turn_refused_because_the_model_alone_is_too_slow_does_not_say_busy(make_agent):
    """The demo on two cores said "busy with another request" on every turn from the second on,
    with no other request anywhere: admission refused the planner on its measured latency."""
    from agent import replies

    agent = make_agent(chat_model=FakeToolCallingModel(script=[tool_call("search_items", query="space")] * 4),
                       turn_budget_s=1.5)
    agent.gate.latency_s = 5.0  # measured: the model alone plans slower than a turn may take
    agent.gate.probe_interval_s = 3600.0
    agent.gate._last_probe = time.monotonic()  # the probe was just spent
    final = next(e.data for e in agent.stream_turn(agent.new_session(), "space adventure movies") if e.kind == "final")
    assert final["recommendations"] and final["llm"] == "busy"
    assert replies.SLOW_NOTE in final["reply"] and replies.BUSY_NOTE not in final["reply"]
    assert "limited mode" not in final["reply"].lower()


def test_measured_latency_over_the_budget_refuses_then_probes():
    from agent.llm_gate import LLMGate

    gate = LLMGate(store=None, max_inflight=4, probe_interval_s=0.2, initial_latency_s=3.0)
    slot, why = gate.try_admit(1.0)  # nothing in flight: the first one is a probe
    assert slot is not None and slot.probe
    refused, why = gate.try_admit(1.0)
    # another call (the probe) is in flight: busy, not merely slow
    assert refused is None and "predicted" in why and why.startswith("busy:")
    slot.release(observed=False)
    refused, why = gate.try_admit(1.0)  # within the probe interval: refused at once
    assert refused is None and why.startswith("slow:")  # nothing in flight: the model alone is too slow
    time.sleep(0.25)
    probe, _ = gate.try_admit(1.0)
    assert probe is not None and probe.probe
    gate.latency_s = 0.3
    probe.release(observed=False)
    assert gate.try_admit(1.0)[0] is not None  # the server answers fast again: admitted


def test_probes_that_run_past_their_budget_wait_longer_each_time_and_one_that_fits_resets():
    """A server slower than a turn made every chat turn a probe cut off at its budget (~1.1 s for no plan)."""
    from agent.llm_gate import MAX_PROBE_BACKOFF, LLMGate

    gate = LLMGate(store=None, max_inflight=4, probe_interval_s=0.05, initial_latency_s=3.0)
    waits = []
    for _ in range(3):
        time.sleep(gate.probe_wait_s() + 0.01)
        probe, _ = gate.try_admit(0.02)
        assert probe is not None and probe.probe
        time.sleep(0.03)  # the probe runs past its 0.02 s budget
        probe.release()
        waits.append(gate.probe_wait_s())
    assert waits == [0.1, 0.2, 0.4] and gate.snapshot()["failed_probes"] == 3
    refused, why = gate.try_admit(0.02)  # 0.4 s have not passed: no probe yet
    assert refused is None and why.startswith("slow:")
    time.sleep(0.41)
    probe, _ = gate.try_admit(10.0 + gate.latency_s)  # a roomy budget: admitted outright, not a probe
    assert probe is not None and not probe.probe
    probe.release()
    gate.latency_s = 3.0
    time.sleep(gate.probe_wait_s() + 0.01)
    probe, _ = gate.try_admit(1.0)
    assert probe is not None and probe.probe
    probe.release()  # answered within its budget
    assert gate.probe_wait_s() == 0.05 and gate.failed_probes == 0
    gate.failed_probes = 99
    assert gate.probe_wait_s() == 0.05 * MAX_PROBE_BACKOFF


def test_group_commit_shares_fsyncs_and_isolates_a_failing_write(store):
    sid = store.create_session()
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def writer(n: int) -> None:
        start.wait()
        for i in range(20):
            store.add_message(sid, n, "user", f"w{n}-{i}")
        if n == 0:
            try:
                store.save_state("no-such-session", {})
            except NotFoundError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(store.messages(sid)) == 240 and len(errors) == 1
    w = store._writer
    assert w.writes >= 241 and w.batches < w.writes  # commits were shared


def test_old_rate_events_are_purged(store):
    now = time.time()
    for i in range(3):
        assert store.shared.hit("turn:old", 10, 60.0, now=now - 90_000 + i) == 0.0
    assert store.shared.hit("turn:new", 10, 60.0) == 0.0
    assert store.shared.purge() == 3
    assert store.shared.count("turn:new", 60.0) == 1


def test_optional_llm_work_is_skipped_while_other_turns_run():
    """The explanation follow-up (agent/turn/explain_stage.py) asks ``crowded()``: alone -> it runs;
    with another turn in flight in the process -> the checked templates stand."""
    from agent.admission import TurnAdmission
    from agent.llm_gate import LLMGate

    adm = TurnAdmission(LLMGate(store=None), lambda t0: None)
    assert not adm.crowded()
    inside = threading.Event()
    release = threading.Event()

    def other_turn() -> None:
        with adm.turn(time.perf_counter(), lambda k, d: None):
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other_turn)
    t.start()
    inside.wait(5)
    with adm.turn(time.perf_counter(), lambda k, d: None):
        assert adm.crowded() and adm.turns_in_flight == 2
    release.set()
    t.join(5)
    with adm.turn(time.perf_counter(), lambda k, d: None):
        assert not adm.crowded()
    assert adm.turns_in_flight == 0
