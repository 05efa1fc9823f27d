"""iEvaLM-style user-simulator evaluation: a simulated seeker with a hidden target movie.

The seeker knows the target's genres, tags and decade (from the catalog) and talks to the
agent for up to ``max_turns`` turns; an episode succeeds when the target appears among the
agent's recommendations. The seeker must NEVER name the target: every utterance is checked
against the target's normalised title and with the title resolver; a leaking utterance is
regenerated (LLM seeker) or redacted, and counted, so the leak fraction says how often the
guard had to act (and ``leaked_sent`` proves none got through).

Two seekers: ``LLMSeeker`` (the served model plays the user, as in Wang et al. 2023,
"Rethinking the Evaluation for Conversational Recommendation in the Era of LLMs") and
``RuleSeeker``, a deterministic fallback from the target's attributes, clearly labelled.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tools.catalog.catalog import Catalog, Item
from tools.datasets.redial import iter_dialogues
from tools.resolve.title_resolution import normalise
from tools.resolve.titles import TitleResolver

REDACTED = "that movie"


class Seeker(Protocol):
    label: str

    def utterance(self, history: list[tuple[str, str]], turn: int, attempt: int) -> str: ...


def pick_targets(split: Path, catalog: Catalog, n: int, seed: int = 42) -> list[Item]:
    """``n`` distinct targets: movies seekers liked in ``split`` that have a year and genres or tags."""
    if n < 1:
        raise ValueError("n must be at least 1")
    pool: dict[str, Item] = {}
    by_id = catalog.by_id
    for d in iter_dialogues(split):
        for mid, lab in d.seeker_labels.items():
            it = by_id.get(mid)
            if lab.liked and it is not None and it.year and (it.genres or it.tags):
                pool.setdefault(mid, it)
    ids = sorted(pool)
    random.Random(seed).shuffle(ids)
    return [pool[i] for i in ids[:n]]


def _traits(item: Item) -> list[str]:
    traits = [*dict.fromkeys([*item.genres, *item.tags])]
    return [t for t in traits if normalise(t) not in normalise(item.title)]


class LeakGuard:
    """Does an utterance reveal the target? Normalised title match, then the title resolver."""

    def __init__(self, target: Item, resolver: TitleResolver) -> None:
        self.target = target
        self.resolver = resolver
        self.key = normalise(target.title)
        self.keys = {self.key} | ({self.key[4:]} if self.key.startswith("the ") and len(self.key) > 8 else set())

    def leaks(self, text: str) -> bool:
        norm = f" {normalise(text)} "
        if any(len(k) >= 4 and f" {k} " in norm for k in self.keys):
            return True
        return any(m.item_id == self.target.item_id or normalise(m.title) == self.key for m in self.resolver.find(text))

    def redact(self, text: str) -> str:
        out = text
        for m in sorted(self.resolver.find(text), key=lambda m: -m.span[0]):
            if m.item_id == self.target.item_id or normalise(m.title) == self.key:
                out = out[: m.span[0]] + REDACTED + out[m.span[1]:]
        pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, self.target.title.split())) + r"\b", re.I)
        return pattern.sub(REDACTED, out)


class RuleSeeker:
    """Deterministic seeker: reveals one more attribute of the target each turn."""

    label = "rule-based (LLM not used)"

    def __init__(self, target: Item) -> None:
        self.traits = _traits(target)
        self.decade = (target.year // 10) * 10 if target.year else None

    def utterance(self, history: list[tuple[str, str]], turn: int, attempt: int = 0) -> str:
        shown = self.traits[: turn + 2]
        when = f" from the {self.decade}s" if self.decade and turn >= 1 else ""
        if turn == 0:
            return f"Can you recommend a {' '.join(shown[:2]) or 'good'} movie?"
        return f"Not those. I want something {', '.join(shown)}{when}."


class LLMSeeker:
    """The served LLM plays the seeker; its prompt holds the target's traits, never its title."""

    label = "llm"

    def __init__(self, chat_model: Any, target: Item) -> None:
        self.model = chat_model
        self.target = target
        traits = _traits(target)
        decade = f"{(target.year // 10) * 10}s" if target.year else "any decade"
        self.system = (
            "You are a person chatting with a movie recommender. You have one specific movie in mind but you do "
            f"NOT know or say its title. It is a {', '.join(traits[:5]) or 'popular'} movie from the {decade}. "
            "Describe what you want in one or two short sentences, like a real user. Never mention any movie title. "
            "If the recommendations do not fit, say what is wrong and ask again.")
        self.fallback = RuleSeeker(target)
        #: utterances the rule-based seeker had to supply (the LLM failed or said nothing)
        self.fallbacks = 0

    def utterance(self, history: list[tuple[str, str]], turn: int, attempt: int = 0) -> str:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        msgs: list[Any] = [SystemMessage(self.system)]
        # roles swap: the recommender's words are what the simulated user reads
        for role, text in history[-6:]:
            msgs.append(HumanMessage(text) if role == "assistant" else AIMessage(text))
        if not history:
            msgs.append(HumanMessage("Hi! What kind of movie are you looking for?"))
        try:
            reply = self.model.invoke(msgs)
            text = str(getattr(reply, "content", "") or "").strip()
        except Exception:  # noqa: BLE001 - an LLM hiccup costs one rule-based utterance, not the episode
            text = ""
        text = " ".join(text.split())[:400]
        if not text:
            self.fallbacks += 1
            return self.fallback.utterance(history, turn)
        return text


def run_episode(agent: Any, seeker: Seeker, guard: LeakGuard, target: Item, max_turns: int) -> dict[str, Any]:
    sid = agent.new_session(user_id="eval-simulator")
    history: list[tuple[str, str]] = []
    leaks = leaked_sent = 0
    latencies: list[float] = []
    recommended: list[str] = []
    success_turn: int | None = None
    for turn in range(max_turns):
        text = seeker.utterance(history, turn, 0)
        for attempt in range(1, 3):
            if not guard.leaks(text):
                break
            leaks += 1
            text = seeker.utterance(history, turn, attempt)
        if guard.leaks(text):
            leaks += 1
            text = guard.redact(text)
            if guard.leaks(text):  # redaction could not remove it: fall back to the attribute seeker
                text = RuleSeeker(target).utterance(history, turn)
        leaked_sent += guard.leaks(text)
        r = agent.turn(sid, text)
        latencies.append(r.latency_ms)
        ids = [c.item_id for c in r.recommendations]
        recommended += ids
        titles = "; ".join(c.title for c in r.recommendations)
        history += [("user", text), ("assistant", f"{r.reply} {('Recommended: ' + titles) if titles else ''}".strip())]
        if target.item_id in ids:
            success_turn = turn + 1
            break
    return {"target_id": target.item_id, "target_title": target.display_title, "success": success_turn is not None,
            "turns": success_turn or max_turns, "leaks": leaks, "leaked_sent": leaked_sent,
            "utterances": len([h for h in history if h[0] == "user"]), "transcript": history,
            "rule_fallbacks": getattr(seeker, "fallbacks", 0),
            "latencies_ms": latencies, "recommended": recommended}


def run_episodes(rt: Any, targets: list[Item], *, max_turns: int = 5, simulator: str = "auto", settings: Any = None,
                 progress: bool = True, progress_cb: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Run one episode per target; ``simulator`` is auto | llm | rule."""
    from tqdm import tqdm

    if simulator not in ("auto", "llm", "rule"):
        raise ValueError("simulator must be auto, llm or rule")
    note = ""
    use_llm = simulator in ("auto", "llm") and rt.chat_model is not None
    if use_llm and settings is not None:
        try:
            from agent.llm.client import check_llm

            check_llm(settings)
        except Exception as exc:  # noqa: BLE001
            if simulator == "llm":
                raise
            use_llm, note = False, f"LLM unavailable ({exc}); the rule-based seeker ran instead."
    elif simulator == "llm":
        raise ValueError("the LLM simulator needs a chat model; start `whyrec llm serve --background`")
    resolver = TitleResolver(rt.catalog.items)
    episodes = []
    for n, t in enumerate(tqdm(targets, desc="simulate", unit="episode", file=sys.stderr, disable=not progress), 1):
        seeker: Seeker = LLMSeeker(rt.chat_model, t) if use_llm else RuleSeeker(t)
        episodes.append(run_episode(rt.agent, seeker, LeakGuard(t, resolver), t, max_turns))
        if progress_cb:
            progress_cb(n / len(targets), t.display_title)
    return summarise_episodes(episodes, max_turns, "LLM seeker (served model)" if use_llm else RuleSeeker.label, note)


def summarise_episodes(episodes: list[dict[str, Any]], max_turns: int, simulator: str, note: str = "") -> dict[str, Any]:
    wins = [e for e in episodes if e["success"]]
    utter = sum(e["utterances"] for e in episodes)
    leaks = sum(e["leaks"] for e in episodes)
    return {
        "kind": "simulate", "simulator": simulator, "max_turns": max_turns, "note": note,
        "summary": {
            "episodes": len(episodes),
            "success_rate": len(wins) / len(episodes) if episodes else None,
            "mean_turns_to_success": (sum(e["turns"] for e in wins) / len(wins)) if wins else None,
            "utterances": utter, "leaks": leaks,
            "leak_fraction": leaks / max(1, utter + leaks),
            "leaked_sent": sum(e["leaked_sent"] for e in episodes),
            "rule_fallback_utterances": sum(e.get("rule_fallbacks", 0) for e in episodes),
        },
        "episodes": [{k: v for k, v in e.items() if k not in ("latencies_ms", "recommended")} for e in episodes],
        "latencies_ms": [x for e in episodes for x in e["latencies_ms"]],
        "recommended_ids": [x for e in episodes for x in e["recommended"]],
    }
