"""The turn's worker thread: its events stream out, and its owner can wait for the follow-up."""

from __future__ import annotations

import threading

import pytest

from agent.turn_thread import Workers, stream_in_worker


def test_the_owner_waits_for_a_follow_up_that_outlives_the_final_event():
    """The load harness closed the store while LLM explanations were still being written to it."""
    release, written = threading.Event(), []
    workers = Workers()

    def run(emit):
        emit("final", {"reply": "ok"})
        return lambda: written.append("explanations")

    def follow_up(job):
        release.wait(5)
        job()

    events = stream_in_worker("s1", run, follow_up, workers)
    assert next(events).kind == "final"  # the caller stops reading here, as agent.turn does
    assert workers.running == 1 and not workers.wait_idle(0.05)
    release.set()
    assert workers.wait_idle(5) and written == ["explanations"] and workers.running == 0


def test_a_failing_turn_still_ends_its_stream_and_is_counted_done():
    workers = Workers()

    def run(emit):
        raise RuntimeError("boom")

    kinds = [ev.kind for ev in stream_in_worker("s2", run, lambda job: None, workers)]
    assert kinds == ["final"] and workers.wait_idle(5)
    with pytest.raises(ValueError, match="timeout_s"):
        workers.wait_idle(-1)
