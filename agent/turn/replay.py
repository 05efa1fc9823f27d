"""Replay a stored dialogue into the state a live turn would have built.

Why a module of its own: the ReDial benchmark, the ranker's training table
(``agent/recommender_assets.py``) and the live turn must read a conversation the same way;
this is the one place that walks a transcript through the same stages (understand, fold in,
remember the wish) that agent/turn/runner.py runs one message at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agent.state import DialogueState
from agent.turn.dialogue import apply_update, era_reference, liked_the_slate_fits, note_wish, updates_wish
from agent.turn.state_update import StateUpdate


def replay(history: Sequence[tuple[str, str]], understand: Callable[[str], StateUpdate],
           titles_in: Callable[[str], Sequence[str]], shown_years: Callable[[Sequence[str]], Sequence[int]]
           = lambda ids: ()) -> tuple[DialogueState, list[str]]:
    """Replay a dialogue ``[(role, text)]`` exactly as live turns would have built the state.

    User messages go through ``understand`` and, when a live turn would fold them in
    (``updates_wish``), ``apply_update`` and ``note_wish``; the assistant's messages only mark the
    titles it named as mentioned (and as its last slate). Returns the state and the words of its
    wish (newest last), which ``request_for`` reads for the content query.
    """
    state = DialogueState()
    for role, text in history:
        if role == "user":
            update = understand(text)
            if updates_wish(update):
                fresh = apply_update(state, update, shown_years(era_reference(state, update)),
                                     question=text.rstrip().endswith("?"))
                note_wish(state, text, fresh, update)
                state.slate_liked = liked_the_slate_fits(state, update, fresh)
        else:
            named = list(titles_in(text))
            for i in named:
                state.mention(i)
            state.record_shown(named)
    return state, list(state.wish_text)
