"""The planner stage: the LLM's strict tool calls nominate candidates, within the turn's budget.

Input: the turn's text, state, history and the planner's candidate bus; output: a
:class:`PlanOutcome` (did the turn run without the model's plan, and why; the planning note;
stage timings). The stage never raises: an unavailable server trips the shared breaker and the
turn runs degraded, a bad reply only costs this turn's plan. The nominations land in the bus,
which the recommender reads as one more candidate source (agent/turn/runner.py).

Why a module of its own: the admission rules (how much of the turn budget a plan may take,
when a timeout is "over budget" rather than "server down") are the subtle part of the turn and
are easier to check read alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent import replies
from agent.llm_gate import REFUSED_SLOW
from agent.prompts import planning_messages, state_summary
from agent.state import DialogueState
from agent.turn.events import ObservedToolbox
from tools.errors import LLMUnavailableError
from tools.toolbox.agent_tools import Toolbox, ToolOutcome
from tools.toolbox.candidate_bus import CandidateBus

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]
#: seconds of the turn budget kept for ranking, the slate, template explanations and persisting
PLAN_RESERVE_S = 0.35


@dataclass
class PlanOutcome:
    #: this turn ran without the model's plan
    degraded: bool = False
    #: ... because the server is unavailable (the reply says "limited mode")
    model_down: bool = False
    #: ... because the server was busy with other calls (admission refused; the reply says so, not "limited mode")
    model_busy: bool = False
    #: ... and why: "busy" (other calls hold it) or "slow" (alone, it would not plan within the turn's budget)
    refusal: str = ""
    note: str = ""
    stage: dict[str, float] = field(default_factory=dict)


def run_planner(agent: Any, text: str, state: DialogueState, history: list[tuple[str, str]], bus: CandidateBus,
                query_text: str, emit: Emit, on_outcome: Callable[[ToolOutcome], None], t0: float) -> PlanOutcome:
    """Let the model nominate candidates into ``bus`` (when it is on and not marked down)."""
    out = PlanOutcome()
    stage = out.stage
    if agent.strategy is not None and time.monotonic() >= agent._llm_down_until:
        calls = 0

        def counted(o: ToolOutcome) -> None:
            nonlocal calls
            calls += 1
            on_outcome(o)

        t1 = time.perf_counter()
        toolbox = Toolbox(agent.services, state, bus, default_query=query_text or text, user_text=text)
        # admission control: the planner gets what the turn budget leaves after ranking and templates
        # (PLAN_RESERVE_S); a plan cut off by that limit is skipped, not counted as a server failure
        budget = agent.settings.turn_budget_s
        limit = agent.plan_timeout_s if budget is None else max(0.1, min(agent.plan_timeout_s,
                                                                          budget - PLAN_RESERVE_S - (t1 - t0)))
        try:
            emit("status", {"degraded": False, "message": "thinking"})
            result = agent.strategy.plan(planning_messages(text, state_summary(state, agent.services.catalog), history),
                                         ObservedToolbox(toolbox, counted, emit), limit)
            out.note = result.message or ""
            stage["llm_plan_requests"] = float(getattr(result, "steps", 0) or 0)
        except LLMUnavailableError as exc:
            if limit < agent.plan_timeout_s and time.perf_counter() - t1 >= 0.9 * limit:
                out.note = f"planning skipped: the model did not answer within the turn's {limit:.2f} s"
                stage["llm_over_budget"] = 1.0
                emit("status", {"degraded": False, "message": "answering without the planner (over time)"})
            else:
                log.warning("LLM unavailable, degrading: %s", exc)
                out.degraded = out.model_down = True
                agent._llm_down_until = time.monotonic() + agent.degrade_cooldown_s
        except Exception as exc:  # noqa: BLE001 - a bad model reply must not crash the turn
            # the server answered, so it is not marked down; but this turn ran without the model's plan
            log.warning("planning failed: %s", exc)
            out.note = f"planning failed: {type(exc).__name__}"
            out.degraded = True
            stage["plan_failed"] = 1.0
        stage["llm_plan_ms"] = (time.perf_counter() - t1) * 1000
        stage["model_tool_calls"] = float(calls)
    elif agent.strategy is None:  # no model configured (`--no-llm`): switched off, not "unavailable right now"
        out.degraded = True
        out.note = "no language model configured"
    elif getattr(agent, "_llm_busy", False):  # admission refused: the server is up but busy (status sent)
        out.degraded = out.model_busy = True
        out.refusal = agent.admission.refusal()
        out.note = ("the model would not plan within the turn's time budget" if out.refusal == REFUSED_SLOW
                    else "the model was busy with other calls")
    else:
        out.degraded = out.model_down = True
    if out.degraded:
        state.degraded_turns += 1
    if out.degraded and not out.model_busy:
        emit("status", {"degraded": True, "message": replies.LIMITED_MODE_NOTE if out.model_down else
                        replies.NO_LLM_NOTE if agent.strategy is None else
                        "the model's plan failed this turn; answering with the built-in recommender"})
    return out


def warm_up(strategy: Any, services: Any, timeout_s: float, replicas: int = 1) -> float | None:
    """Throwaway planning calls (no session, nothing stored), one per LLM replica; the slowest one's
    seconds, or None when no call was answered.

    Why: a server compiles the tool grammar and prefills the system prompt and few-shot examples
    on the first planning request it sees (measured ~2 s instead of ~0.6 s; 15 s and more on 2
    cores shared with a second server); a long-running entry point pays that at start-up instead
    of on its first user's first turn. Why one call per replica: requests go round robin over the
    base URLs (agent/llm/failover.py), so ``replicas`` calls in a row reach every server once; a
    single call warmed only the first, and the other's first planning requests timed out under
    load and opened the shared breaker for every process (bench_scaleout: 98% limited mode).
    """
    if strategy is None:
        return None
    slowest: float | None = None
    for _ in range(max(1, replicas)):
        t0 = time.perf_counter()
        toolbox = Toolbox(services, DialogueState(), CandidateBus(services.catalog), default_query="a good movie",
                          user_text="a good movie")
        try:
            strategy.plan(planning_messages("a good movie", "", []), toolbox, timeout_s)
        except Exception as exc:  # noqa: BLE001 - a cold or absent server only means no warm-up
            log.info("planner warm-up skipped: %s", exc)
            continue
        slowest = max(slowest or 0.0, time.perf_counter() - t0)
    return slowest
