"""Run scripted dialogues against any ``ChatAgent`` and check each turn's expectations.

Why a runner separate from the agent: evaluators run the same scripts against different
models and configurations and compare the numbers. A failed expectation (or a turn that
raises) is recorded on that turn and the run goes on; nothing here crashes the run.
Scripts run concurrently (bounded threads): each has its own session, so they share
nothing but the agent, which serialises per session. The checks themselves live in
``evals.turn_checks``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.types import ChatAgent, RecCard, TurnResult
from evals.dialogue_schema import DialogueScript
from evals.turn_checks import Check, TurnChecker
from tools.catalog.catalog import Catalog

#: agent_for(llm_on) -> the agent to run a script with (``llm: off`` scripts get False)
AgentFactory = Callable[[bool], ChatAgent]


@dataclass
class TurnOutcome:
    index: int
    user: str
    reply: str = ""
    rec_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    degraded: bool | None = None
    latency_ms: float | None = None
    #: the act the agent reported for the turn (``intent`` of the final event), when it reports one
    act: str | None = None
    #: per card, by rank: where its shown explanation came from (one of ``evals.turn_checks.SOURCES``), judged from the text
    explanation_sources: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class ScriptOutcome:
    name: str
    category: str
    llm: str
    source: str
    turns: list[TurnOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.turns) and all(t.passed for t in self.turns)

    def failures(self) -> list[str]:
        return [f"turn {t.index + 1}: {c.check}: {c.detail}" for t in self.turns for c in t.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["passed"] = self.passed
        for t, td in zip(self.turns, d["turns"], strict=True):
            td["passed"] = t.passed
        return d


def session_state(agent: ChatAgent, session_id: str) -> Mapping[str, Any] | None:
    """The agent's dialogue state for a session (``WhyRecAgent.store.load_state``), or None.

    Why reach past the ``ChatAgent`` protocol: whether "I hated X" was understood as a dislike is
    only visible in the state; an agent that exposes none cannot pass a ``because`` expectation.
    """
    load = getattr(getattr(agent, "store", None), "load_state", None)
    if not callable(load):
        return None
    state = load(session_id)
    if not isinstance(state, Mapping):
        raise ValueError(f"the agent's dialogue state is a {type(state).__name__}, not a mapping")
    return state


def play_turn(agent: ChatAgent, session_id: str, text: str) -> tuple[TurnResult, str | None]:
    """(result, act) of one turn. The act (``intent``) travels only on the streamed final event --
    ``TurnResult`` has no field for it -- so an agent that streams is read from its stream;
    one that only has ``turn`` reports its act as an ``intent`` attribute, if at all."""
    stream = getattr(agent, "stream_turn", None)
    if not callable(stream):
        r = agent.turn(session_id, text)
        return r, getattr(r, "intent", None) or None
    final: dict[str, Any] | None = None
    for ev in stream(session_id, text):
        if ev.kind == "final":
            final = ev.data
    if final is None:
        raise RuntimeError("the turn ended without a final result")
    return TurnResult.from_dict(final), final.get("intent") or None


def run_script(script: DialogueScript, agent: ChatAgent, checker: TurnChecker) -> ScriptOutcome:
    """Run one script in a fresh session; a turn that raises ends the script with a failed check."""
    out = ScriptOutcome(script.name, script.category, script.llm, script.source)
    t0 = time.perf_counter()
    shown: set[str] = set()
    disliked: set[str] = set()
    previous: list[RecCard] = []
    try:
        sid = agent.new_session(user_id=f"eval-{script.name}")
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        out.turns.append(TurnOutcome(0, "", checks=[Check("session", False, f"{type(exc).__name__}: {exc}")]))
        return out
    for i, st in enumerate(script.turns):
        to = TurnOutcome(i, st.user)
        out.turns.append(to)
        try:
            r, to.act = play_turn(agent, sid, st.user)
        except Exception as exc:  # noqa: BLE001
            to.checks.append(Check("turn_ran", False, f"{type(exc).__name__}: {exc}"))
            break
        recs = sorted(r.recommendations, key=lambda c: c.rank)
        to.reply, to.degraded, to.latency_ms = r.reply, r.degraded, r.latency_ms
        to.rec_ids, to.titles = [c.item_id for c in recs], [c.title for c in recs]
        to.tools = [t.tool for t in r.tool_trace]
        try:
            to.explanation_sources = [checker.explanation_source(c) for c in recs]
            state = session_state(agent, sid) if any(x.because for x in st.expect.not_in_recs) else None
            to.checks = checker.check(st.expect, r, shown, disliked, act=to.act, previous=previous, state=state)
        except Exception as exc:  # noqa: BLE001
            to.checks.append(Check("checker", False, f"{type(exc).__name__}: {exc}"))
        shown.update(to.rec_ids)
        previous = recs
        for fb in st.feedback:
            if fb.rank > len(recs):
                to.checks.append(Check("feedback", False, f"no card at rank {fb.rank} to {fb.kind}"))
                continue
            card = recs[fb.rank - 1]
            try:
                agent.record_feedback(sid, card.rec_id, fb.kind)
                if fb.kind == "dislike":
                    disliked.add(card.item_id)
            except Exception as exc:  # noqa: BLE001
                to.checks.append(Check("feedback", False, f"{fb.kind} on rank {fb.rank}: {type(exc).__name__}: {exc}"))
    out.seconds = round(time.perf_counter() - t0, 3)
    return out


def run_scripts(scripts: list[DialogueScript], agent_for: AgentFactory, catalog: Catalog, *, workers: int = 2,
                progress: bool = True, progress_cb: Callable[[float, str], None] | None = None,
                on_result: Callable[[ScriptOutcome], None] | None = None) -> list[ScriptOutcome]:
    """Run every script (bounded concurrency); results come back in the scripts' order.

    ``on_result`` sees each outcome as it completes (the suite appends it to a JSONL file, so
    an interrupted run still leaves what it finished).
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    checker = TurnChecker(catalog)
    results: dict[int, ScriptOutcome] = {}
    from tqdm import tqdm

    bar = tqdm(total=len(scripts), desc="dialogues", unit="script", file=sys.stderr, disable=not progress)

    def one(idx: int) -> ScriptOutcome:
        s = scripts[idx]
        try:
            return run_script(s, agent_for(s.llm == "on"), checker)
        except Exception as exc:  # noqa: BLE001 - e.g. the agent factory failed
            o = ScriptOutcome(s.name, s.category, s.llm, s.source)
            o.turns.append(TurnOutcome(0, "", checks=[Check("agent", False, f"{type(exc).__name__}: {exc}")]))
            return o

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval-dlg") as pool:
        futures = {pool.submit(one, i): i for i in range(len(scripts))}
        for done, fut in enumerate(as_completed(futures), 1):
            res = fut.result()
            results[futures[fut]] = res
            if on_result is not None:
                try:
                    on_result(res)
                except Exception:  # noqa: BLE001 - a full disk must not lose the in-memory results
                    pass
            bar.update(1)
            bar.set_postfix_str(f"{res.name}: {'pass' if res.passed else 'FAIL'}")
            if progress_cb is not None:
                progress_cb(done / max(1, len(scripts)), res.name)
    bar.close()
    return [results[i] for i in range(len(scripts))]


def summarise(outcomes: list[ScriptOutcome]) -> dict[str, Any]:
    """Pass rates per category and per check kind, turn latencies and every recommended id."""
    cats: dict[str, list[bool]] = {}
    checks: dict[str, list[bool]] = {}
    latencies: list[float] = []
    recs: list[str] = []
    degraded_turns = 0
    turns = 0
    #: per script ``llm`` mark ("on"/"off"): [cards shown with an explanation, of them written by the LLM]
    explained: dict[str, list[int]] = {}
    for o in outcomes:
        cats.setdefault(o.category, []).append(o.passed)
        for t in o.turns:
            turns += 1
            tally = explained.setdefault(o.llm, [0, 0])
            tally[0] += sum(s in ("llm", "template") for s in t.explanation_sources)
            tally[1] += t.explanation_sources.count("llm")
            degraded_turns += bool(t.degraded)
            if t.latency_ms is not None:
                latencies.append(t.latency_ms)
            recs += t.rec_ids
            for c in t.checks:
                checks.setdefault(c.check, []).append(c.passed)
    rate = lambda xs: (sum(xs) / len(xs)) if xs else None  # noqa: E731
    return {
        "scripts": len(outcomes),
        "scripts_passed": sum(o.passed for o in outcomes),
        "pass_rate": rate([o.passed for o in outcomes]),
        "turns": turns,
        "degraded_turns": degraded_turns,
        "per_category": {k: {"scripts": len(v), "passed": sum(v), "pass_rate": rate(v)} for k, v in sorted(cats.items())},
        "per_check": {k: {"checks": len(v), "passed": sum(v), "pass_rate": rate(v)} for k, v in sorted(checks.items())},
        # share of shown explanations the LLM wrote (judged from the text), by the scripts' ``llm`` mark
        # ("on" scripts run with the model when the run has one): an LLM run whose share is 0 measured
        # the templates, not the model
        "explanations": {f"scripts_llm_{k}": {"cards": n, "from_llm": m, "llm_share": (m / n) if n else None}
                         for k, (n, m) in sorted(explained.items())},
        "latencies_ms": latencies,
        "recommended_ids": recs,
    }
