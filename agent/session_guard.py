"""Session plumbing that must hold across app processes: rate limits, session locks, feedback limits.

Why here and not in agent/loop.py: these are the abuse and concurrency rules, not the dialogue;
and why in the store (``store.shared``, agent/store/shared.py) rather than in dicts: behind a load
balancer each app process would otherwise count, lock and limit on its own — a client spreading
requests over N processes would get N times every limit, and two processes could run the same
session's turns at once. Nothing here grows with the number of sessions in memory: limits are
rows in the store (purged as they age), the in-process lock table is a fixed set of stripes.

The rules (all in ``Settings``):

- turns: ``rate_limit_per_minute`` per session;
- sessions: ``sessions_per_client_per_minute`` per client (the API passes the peer address);
- feedback: ``feedback_per_minute`` per session, and the same kind on the same card counts once
  (``Store.add_feedback(unique=True)``);
- online RL: only a card's first feedback updates the policy, at most ``rl_updates_per_session``
  per session (per day), so one session cannot steer the shared policy;
- a session's turn holds a lease in the store (``session_lock_ttl_s``) besides an in-process lock.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from agent.store.shared import RATE_TTL_S
from tools.errors import RateLimitedError

#: in-process lock stripes (sessions hash onto them): bounded, and never evicted while held
LOCK_STRIPES = 1024
#: how often a turn waiting for another process's lease on its session looks again
LEASE_POLL_S = 0.02


class SessionGuard:
    """Limits and locks for one app process, with their state in ``store.shared``."""

    def __init__(self, store: Any, settings: Any, *, owner: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stripes = tuple(threading.Lock() for _ in range(LOCK_STRIPES))

    # -- limits -----------------------------------------------------------------------------------
    def _limit(self, key: str, limit: int, window_s: float, message: str) -> None:
        wait = self.store.shared.hit(key, limit, window_s)
        if wait:
            exc = RateLimitedError(message.format(wait=max(1, round(wait))))
            exc.retry_after_s = wait  # type: ignore[attr-defined] - the API's Retry-After header
            raise exc

    def check_turn(self, session_id: str) -> None:
        self._limit(f"turn:{session_id}", self.settings.rate_limit_per_minute, 60.0,
                    "You're sending messages very quickly — please wait a few seconds and try again.")

    def check_new_session(self, client: str) -> None:
        self._limit(f"session:{client}", self.settings.sessions_per_client_per_minute, 60.0,
                    "Too many new conversations from this address — please wait {wait} s and try again.")

    def check_feedback(self, session_id: str) -> None:
        self._limit(f"feedback:{session_id}", self.settings.feedback_per_minute, 60.0,
                    "That's a lot of feedback at once — please wait {wait} s before rating more cards.")

    def allow_rl_update(self, session_id: str) -> bool:
        """Count one online RL update for the session if its budget allows (False: skip the update)."""
        return self.store.shared.hit(f"rl:{session_id}", self.settings.rl_updates_per_session, RATE_TTL_S) == 0.0

    # -- the session lock ---------------------------------------------------------------------------
    @contextmanager
    def session_lock(self, session_id: str) -> Iterator[None]:
        """Run a block as the only turn (or feedback write) of this session, in any process.

        The stripe lock serialises this process's own turns (no store polling for those); the
        lease keeps other processes out. A lease outlives a crashed holder by at most
        ``session_lock_ttl_s``. Waiting longer than ``session_lock_wait_s`` is refused (429).
        """
        stripe = self._stripes[zlib.crc32(session_id.encode()) % LOCK_STRIPES]
        wait_s = float(self.settings.session_lock_wait_s)
        if not stripe.acquire(timeout=wait_s):
            raise RateLimitedError("Your previous message is still being answered — please wait a moment.")
        try:
            deadline = time.monotonic() + wait_s
            shared = self.store.shared
            while not shared.acquire_lease(session_id, self.owner, self.settings.session_lock_ttl_s):
                if time.monotonic() > deadline:
                    raise RateLimitedError("Your previous message is still being answered — please wait a moment.")
                time.sleep(LEASE_POLL_S)
            try:
                yield
            finally:
                shared.release_lease(session_id, self.owner)
        finally:
            stripe.release()
