"""Conversational acts that are answered without a new search.

Why separate: "why the second one?" must be answered from the evidence stored with that
card (what the support view shows), never by searching for films with "second" in the
title; an unknown or ambiguous title gets a question, never a silent substitute.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.state import Constraints
from agent.turn.state_update import StateUpdate, UnresolvedTitle
from tools.explain.feature_words import feature_words

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def why_target(u: StateUpdate, last_slate: Sequence[str]) -> tuple[int, str] | None:
    """(1-based rank, item id) of the card the user asks about, or None when it is not on the last slate."""
    if u.why_item is not None and u.why_item.item_id in last_slate:
        return list(last_slate).index(u.why_item.item_id) + 1, u.why_item.item_id
    if u.why_rank is not None and 1 <= u.why_rank <= len(last_slate):
        return u.why_rank, last_slate[u.why_rank - 1]
    return None


def why_answer(rank: int, rec: dict[str, Any]) -> str:
    """The stored explanation and evidence of one card, in plain words."""
    ev = rec.get("evidence") or {}
    title = rec.get("title") or ev.get("title") or "that film"
    expl = (rec.get("explanation") or {}).get("text") or ""
    lines = [f"I suggested {title} (card {rank}) because: {expl}".rstrip(": ")]
    collab = ev.get("collab") or {}
    if collab.get("contributors"):
        names = ", ".join(c["title"] for c in collab["contributors"])
        lines.append(f"It is close to what you told me about: {names}.")
    contrib = {k.removeprefix("contribution."): v for k, v in (ev.get("scores") or {}).items()
               if k.startswith("contribution.")}
    if contrib:
        top = sorted(contrib.items(), key=lambda kv: -kv[1])[:3]
        lines.append("What lifted it most in my ranking: " + "; ".join(f"{feature_words(n)} (+{v:.2f})"
                                                                      for n, v in top if v > 0) + ".")
    if asked := _asked(ev.get("filters") or {}):
        lines.append(f"It meets what you asked for: {asked}.")
    return " ".join(line for line in lines if not line.endswith(": ."))


def _asked(filters: dict[str, Any]) -> str:
    """The stored request constraints in the words the slate's lead used ("with Edgar Wright")."""
    known = {k: v for k, v in filters.items() if k in Constraints.__dataclass_fields__}
    try:
        return Constraints(**{k: list(v) if isinstance(v, (list, tuple)) else v for k, v in known.items()}).describe()
    except (TypeError, ValueError, KeyError):  # evidence stored by an older version: say it plainly
        return "; ".join(f"{k.replace('_', ' ')} {', '.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                         for k, v in filters.items())


def no_such_card(u: StateUpdate, n_cards: int) -> str:
    if not n_cards:
        return "I haven't suggested anything yet — tell me a movie you loved or what you're in the mood for."
    asked = f"“{u.why_item.title}”" if u.why_item else (ORDINALS[u.why_rank - 1] if u.why_rank and u.why_rank <= 8
                                                          else "that one")
    return f"I can't find {asked} among the {n_cards} films I just suggested — which card do you mean (1–{n_cards})?"


def question_for(unresolved: Sequence[UnresolvedTitle]) -> str:
    """'Which one do you mean?', 'did you mean ...?' for a near-miss typo, or 'I don't know that
    film' with the nearest real titles."""
    parts = []
    plain = [u.surface for u in unresolved if u.reason == "unknown" and not u.candidates]
    if len(plain) > 1:  # one sentence for several films with nothing close: "“Parasite” or “Knives Out”"
        listed = ", ".join(f"“{t}”" for t in plain[:-1]) + f" or “{plain[-1]}”"
        parts.append(f"I don't know films called {listed}. Could you check the titles?")
        unresolved = [u for u in unresolved if u.surface not in plain]
    for u in unresolved:
        names = [c.title for c in u.candidates][:4]
        if u.reason == "typo" and names:
            opts = " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
            parts.append(f"Did you mean {opts}? (You wrote “{u.surface}”.)")
        elif u.reason == "ambiguous":
            opts = " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
            parts.append(f"Which “{u.surface}” do you mean: {opts}?")
        elif len(names) == 1:
            parts.append(f"I don't know a film called “{u.surface}”. Did you mean {names[0]}?")
        elif names:
            opts = ", ".join(names)
            parts.append(f"I don't know a film called “{u.surface}”. Did you mean one of these: {opts}?")
        else:
            parts.append(f"I don't know a film called “{u.surface}”. Could you check the title?")
    return " ".join(parts)
