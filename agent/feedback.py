"""A user's feedback on a card: stored once, folded into the session state, RL-bounded.

Why a module of its own: feedback is the one write outside a turn that changes both the
session (likes, seen, rejected) and, through the online learner, the shared RL policy; the
rules that keep replayed or toggled clicks from steering that policy belong together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from agent.session_guard import SessionGuard
from agent.state import DialogueState
from agent.types import FEEDBACK_KINDS
from tools.errors import InputError

log = logging.getLogger(__name__)


def record_feedback(store: Any, guard: SessionGuard, online_learner: Callable[[list[dict[str, Any]]], Any] | None,
                    session_id: str, rec_id: str, kind: str) -> None:
    """Store and apply one feedback: rate-limited, counted once per card and kind, RL-bounded.

    Only a card's first feedback reaches the online RL update, within the session's budget
    (agent/session_guard.py): replayed or toggled clicks cannot steer the shared policy.
    """
    if kind not in FEEDBACK_KINDS:
        raise InputError(f"feedback must be one of {', '.join(FEEDBACK_KINDS)}")
    guard.check_feedback(session_id)
    store.add_feedback(rec_id, kind, session_id=session_id, unique=True)
    rec = store.card_for_feedback(rec_id)
    with guard.session_lock(session_id):
        state = DialogueState.from_dict(store.load_state(session_id))
        {"like": state.like, "accept": state.like, "watched": state.mark_seen,
         "dislike": state.reject}[kind](rec["item_id"])
        store.save_state(session_id, state.to_dict())
    first_on_card = rec["n_feedback"] <= 1
    if online_learner is not None and first_on_card and guard.allow_rl_update(session_id):
        try:
            online_learner([{"item_id": rec["item_id"], "kind": kind,
                             "features": rec["features"], "rec_id": rec_id}])
        except Exception:  # noqa: BLE001 - learning must never break feedback
            log.exception("online RL update failed")
