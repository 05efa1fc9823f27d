"""One scale-out run: app processes on one store, a load spread over them, faults, then the audit.

The servers (PostgreSQL, Chroma, the LLM replicas) are handed in, so the benchmark
(evals/bench_scaleout.py: real vLLM replicas) and the test (tests/test_scaleout.py: small scale)
run the same phases:

1. load: ``sessions`` x ``turns`` through the JSON API, every session alternating processes; after
   ``kill_llm_after`` of the turns are answered, LLM replica 0 is killed (``kill -9``);
2. limits: one client address races session creations over both processes, one session sends
   turns over both processes past its per-minute limit;
3. LLM down (``llm_recovery``): every replica killed, the next turn on each process must answer
   in limited mode within 2 s; one replica restarted, the LLM must be used again (its request
   counter rises) with no app restart;
4. app killed (``kill_app``): process 1 is ``kill -9``-ed while it serves a burst of turns; the store
   must open intact with every acknowledged turn, and those sessions must go on on process 0;
5. the audit (evals/scaleout_audit.py) of every client's acknowledgements against the store.
"""

from __future__ import annotations

import math
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evals.load_procs import WorkerProcesses, free_port
from evals.metrics import percentile
from evals.scaleout_audit import (
    ClientLog,
    audit_store,
    drive_client,
    http_client,
    open_session,
    probe_session_limit,
    probe_turn_limit,
    send_turn,
)

#: a turn answered after the LLM died must come within this (the issue's "limited mode within 2 s")
LIMITED_WITHIN_S = 2.0


class LLMBackend(Protocol):
    """The LLM replicas of a run (evals/scaleout_services.py LLMReplicas, or a test's)."""

    urls: list[str]
    model: str

    def kill(self, i: int) -> None: ...
    def restart(self, i: int) -> None: ...
    def requests_served(self) -> list[float | None]: ...


@dataclass
class RunConfig:
    sessions: int = 20
    turns: int = 4
    processes: int = 2
    concurrency: int | None = None
    session_limit: int = 4
    turn_limit: int | None = None  # per session per minute; None = turns + 2
    kill_llm_after: float = 0.4  # share of the load's turns answered before replica 0 is killed
    llm_recovery: bool = True
    kill_app: bool = True
    lease_ttl_s: float = 20.0
    time_limit_s: float = 600.0
    request_timeout_s: float = 120.0
    startup_timeout_s: float = 600.0
    app_import: str = "ui.api:app_from_env"
    env: dict[str, str] = field(default_factory=dict)  # extra WHYREC_* for every app process


def app_env(cfg: RunConfig, store_url: str, llm: LLMBackend | None) -> dict[str, str]:
    turn_limit = cfg.turn_limit or cfg.turns + 2
    env = {"WHYREC_STORE_URL": store_url, "WHYREC_RL_ONLINE_UPDATES": "false",
           "WHYREC_API_SECRET": secrets.token_hex(24),  # one secret: a token from one process works on all
           "WHYREC_SESSIONS_PER_CLIENT_PER_MINUTE": str(cfg.session_limit),
           "WHYREC_RATE_LIMIT_PER_MINUTE": str(turn_limit), "WHYREC_SESSION_LOCK_TTL_S": str(cfg.lease_ttl_s),
           "WHYREC_APP_LLM": "1" if llm else "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false"}
    if llm:
        env |= {"WHYREC_LLM_BASE_URLS": ",".join(llm.urls), "WHYREC_LLM_MODEL": llm.model}
    return env | cfg.env


def _lat(records: list[Any]) -> dict[str, float]:
    ms = [r.latency_ms for r in records]
    if not ms:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    return {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1), "max": round(max(ms), 1)}


def _turn_stats(records: list[Any]) -> dict[str, Any]:
    ok = [r for r in records if r.status == 200]
    return {"requests": len(records), "answered": len(ok), "errors": len(records) - len(ok),
            "limited": sum(r.degraded for r in ok),
            "limited_share": round(sum(r.degraded for r in ok) / len(ok), 3) if ok else 0.0,
            "latency_ms": _lat(ok), "llm": dict(Counter(r.llm for r in ok).most_common()),
            "per_process": [sum(1 for r in ok if r.proc == p) for p in range(2)]}


def run_load_phase(urls: list[str], cfg: RunConfig, titles: list[str], llm: LLMBackend | None
                   ) -> tuple[list[ClientLog], dict[str, Any]]:
    logs = [ClientLog() for _ in range(cfg.sessions)]
    requested = cfg.sessions * cfg.turns
    kill = {"at": None, "served_before": None, "served_after": None}
    done = threading.Event()

    def killer() -> None:
        while not done.wait(0.01):
            answered = sum(1 for lg in logs for t in list(lg.turns) if t.status == 200)
            if answered >= cfg.kill_llm_after * requested:
                kill["served_before"] = llm.requests_served()
                llm.kill(0)
                kill["at"] = time.monotonic()
                return

    watcher = threading.Thread(target=killer, daemon=True) if llm and len(llm.urls) > 1 else None
    # with every session running at once, hold each client before the turn at which the kill is due
    # until it happened: on a fast run all turns could otherwise start before the kill, and "turns keep
    # being answered after a server died" would go unmeasured (never blocks longer than the time limit)
    gate_turn = min(cfg.turns - 1, math.ceil(cfg.kill_llm_after * cfg.turns))
    gated = watcher is not None and gate_turn >= 1 and (cfg.concurrency or cfg.sessions) >= cfg.sessions

    def before_turn(t: int) -> None:
        if gated and t == gate_turn:
            while kill["at"] is None and not done.is_set() and time.monotonic() < deadline:
                time.sleep(0.02)

    if watcher:
        watcher.start()
    deadline = time.monotonic() + cfg.time_limit_s
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=cfg.concurrency or cfg.sessions) as pool:
        list(pool.map(lambda i: drive_client(urls, i, cfg.turns, titles, deadline=deadline,
                                             timeout_s=cfg.request_timeout_s, log=logs[i], before_turn=before_turn),
                      range(cfg.sessions)))
    wall = time.perf_counter() - t0
    done.set()
    if watcher:
        watcher.join(5)
    records = [t for lg in logs for t in lg.turns]
    out = {"requested": requested, "wall_s": round(wall, 1), "all": _turn_stats(records),
           "session_errors": sum(1 for lg in logs if not lg.session_id),
           "error_samples": [e for lg in logs for e in lg.errors][:5]}
    out["turns_per_s"] = round(out["all"]["answered"] / wall, 2) if wall else 0.0
    if kill["at"] is not None:
        kill["served_after"] = llm.requests_served()
        before = [r for r in records if r.started < kill["at"]]
        after = [r for r in records if r.started >= kill["at"]]
        out["llm_kill"] = {"after_turns_answered": sum(r.status == 200 for r in before), "before": _turn_stats(before),
                           "after": _turn_stats(after), "served_before": kill["served_before"],
                           "served_after": kill["served_after"]}
    return logs, out


def _health_llm(client: Any, url: str) -> str:
    try:
        return str(client.get(f"{url}/api/v1/health").json().get("llm"))
    except Exception as exc:  # noqa: BLE001 - reported as the state
        return f"unreachable: {type(exc).__name__}"


def run_llm_down_phase(urls: list[str], llm: LLMBackend, title: str, timeout_s: float,
                       recover_within_s: float = 90.0) -> tuple[list[ClientLog], dict[str, Any]]:
    """Every replica killed: limited mode within 2 s on each process; one back: the LLM is used again.

    "Used again" = once /health of every process says the LLM is up (the shared breaker's cool-down
    is over), one turn on each process is answered without the breaker ("down") and the restarted
    server's request counter has risen; the app processes are never restarted.
    """
    for i in range(len(llm.urls)):
        llm.kill(i)
    down_log, back_log = ClientLog(), ClientLog()
    out: dict[str, Any] = {}
    with http_client("127.0.3.9", timeout_s) as client:
        if not open_session(client, urls, 0, down_log) or not open_session(client, urls, 1 % len(urls), back_log):
            return [down_log, back_log], {"ok": False, "error": (down_log.errors + back_log.errors)[-1]}
        down = [send_turn(client, urls, p, down_log, f"something like {title}") for p in range(len(urls))]
        out["down_turns"] = [{"process": r.proc, "status": r.status, "limited": r.degraded, "llm": r.llm,
                              "seconds": round(r.latency_ms / 1000, 2)} for r in down]
        out["limited_within_2s"] = all(r.status == 200 and r.degraded and r.latency_ms <= LIMITED_WITHIN_S * 1000
                                       for r in down)
        t_restart = time.monotonic()
        llm.restart(0)
        out["restart_s"] = round(time.monotonic() - t_restart, 1)
        served0 = llm.requests_served()[0] or 0.0
        t_back = time.monotonic()
        states: list[str] = []
        while time.monotonic() - t_back < recover_within_s:
            states = [_health_llm(client, u) for u in urls]
            if all(s == "up" for s in states):
                break
            time.sleep(0.5)
        out["health_up_after_s"] = round(time.monotonic() - t_back, 1)
        back = [send_turn(client, urls, p, back_log, ("animated movies", "a thriller please")[p % 2])
                for p in range(len(urls))]
        out["back_turns"] = [{"process": r.proc, "status": r.status, "limited": r.degraded, "llm": r.llm,
                              "seconds": round(r.latency_ms / 1000, 2)} for r in back]
        out["served_by_restarted"] = (llm.requests_served()[0] or 0.0) - served0
        out["llm_used_again"] = (all(s == "up" for s in states) and out["served_by_restarted"] > 0
                                 and all(r.status == 200 and r.llm != "down" for r in back))
    out["ok"] = out["limited_within_2s"] and out["llm_used_again"]
    return [down_log, back_log], out


def run_app_kill_phase(urls: list[str], victim: int, kill: Callable[[], None], resume_url: Callable[[], str],
                       store_url: str, title: str, *, timeout_s: float = 120.0
                       ) -> tuple[list[ClientLog], dict[str, Any]]:
    """``kill -9`` of app process ``victim`` while 4 sessions stream turns at it; then they go on.

    ``kill`` does the killing; ``resume_url`` gives the app the sessions continue on afterwards (the
    other process, or a restarted one on the same store). The store is opened afresh, as a restarted
    app would, and audited before any session continues.
    """
    from agent.store.db import Store

    logs = [ClientLog() for _ in range(4)]
    stop = threading.Event()

    def burst(i: int) -> None:
        with http_client(f"127.0.4.{i + 1}", timeout_s) as client:
            if not open_session(client, urls, 0, logs[i]):
                return
            for t in range(50):
                if stop.is_set() or send_turn(client, urls, victim, logs[i], f"more like {title}, take {t}").status == 0:
                    return

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + timeout_s
    while sum(t.status == 200 for lg in logs for t in lg.turns) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    acked_before = sum(t.status == 200 for lg in logs for t in lg.turns)
    kill()  # mid-burst: turns of the victim are being written right now
    stop.set()
    for th in threads:
        th.join(timeout_s + 10)
    cut = sum(1 for lg in logs for t in lg.turns if t.status == 0)
    for lg in logs:  # connection errors from the kill are the fault under test, not client errors
        lg.errors = [e for e in lg.errors if f"on process {victim}" not in e]
    store = Store(store_url, create=False)  # "the store opens": a fresh engine, as a restarted app would
    try:
        audit = audit_store(store, logs)
    finally:
        store.close()
    t0 = time.monotonic()
    url = resume_url()
    cont = []
    with http_client("127.0.4.9", timeout_s) as client:
        for lg in logs:
            if lg.session_id:
                cont.append(send_turn(client, [url], 0, lg, "something funny instead"))
    out = {"acknowledged_before_kill": acked_before, "turns_cut_by_kill": cut, "audit": audit,
           "continued": sum(r.status == 200 for r in cont), "sessions": len(cont),
           "continue_s": round(time.monotonic() - t0, 1)}
    out["ok"] = audit["ok"] and out["continued"] == len(cont) > 0 and acked_before > 0
    return logs, out


def kill_app(app: WorkerProcesses) -> None:
    """SIGKILL the app's process group (uvicorn and its worker): a crash, nothing flushed."""
    os.killpg(app.proc.pid, signal.SIGKILL)
    app.proc.wait(timeout=30)


def run_scaleout(*, store_url: str, chroma_env: dict[str, str], llm: LLMBackend | None, cfg: RunConfig,
                 titles: list[str], workdir: Path) -> dict[str, Any]:
    """All phases; returns the report (``checks``: name -> {ok, detail}; ``ok``: all passed)."""
    from agent.store.db import Store

    Store(store_url).close()  # create the schema once, before several processes race to
    env = app_env(cfg, store_url, llm) | chroma_env
    t0 = time.perf_counter()
    apps = [WorkerProcesses(cfg.app_import, free_port(), 1, env, Path(workdir) / f"app{p}.log")
            for p in range(cfg.processes)]
    report: dict[str, Any] = {"config": {k: v for k, v in vars(cfg).items() if k != "env"},
                              "llm_urls": llm.urls if llm else [], "store": store_url.split(":", 1)[0]}
    try:
        for a in apps:
            a.start(timeout_s=cfg.startup_timeout_s)
        report["startup_s"] = round(time.perf_counter() - t0, 1)
        urls = [a.url for a in apps]
        logs, report["load"] = run_load_phase(urls, cfg, titles, llm)
        report["session_limit"] = probe_session_limit(urls, cfg.session_limit)
        report["turn_limit"], tlog = probe_turn_limit(urls, cfg.turn_limit or cfg.turns + 2, titles[0])
        logs.append(tlog)
        if llm and cfg.llm_recovery:
            more, report["llm_down"] = run_llm_down_phase(urls, llm, titles[1 % len(titles)], cfg.request_timeout_s)
            logs += more
        if cfg.kill_app and len(apps) > 1:
            more, report["app_kill"] = run_app_kill_phase(urls, 1, lambda: kill_app(apps[1]), lambda: urls[0], store_url,
                                                          titles[2 % len(titles)], timeout_s=cfg.request_timeout_s)
            logs += more
        store = Store(store_url, create=False)
        try:
            report["audit"] = audit_store(store, logs)
        finally:
            store.close()
        report["errors"] = [e for lg in logs for e in lg.errors]
    finally:
        for a in apps:
            a.stop()
    report["checks"] = checks(report, cfg, llm is not None)
    report["ok"] = all(c["ok"] for c in report["checks"].values())
    return report


def checks(r: dict[str, Any], cfg: RunConfig, llm_on: bool) -> dict[str, dict[str, Any]]:
    load, a = r["load"], r["audit"]
    out = {
        "every turn answered": (load["all"]["answered"] == load["requested"] and not r["errors"],
                                f"{load['all']['answered']}/{load['requested']}, {len(r['errors'])} client errors"),
        "both processes served": (min(load["all"]["per_process"]) > 0, f"turns per process {load['all']['per_process']}"),
        "0 lost, 0 duplicated rows": (a["ok"], f"{a['turns_acknowledged']} acknowledged turns: lost "
                                      f"{len(a['lost_turns'])}, duplicated {len(a['duplicated_turns'])}; cards lost "
                                      f"{len(a['lost_cards'])}; feedback lost {len(a['lost_feedback'])}, duplicated "
                                      f"{len(a['duplicated_feedback'])}; integrity {a['integrity']}"),
        "session limit across processes": (r["session_limit"]["ok"], f"{r['session_limit']['created']}/"
                                           f"{r['session_limit']['attempts']} created at limit {cfg.session_limit} "
                                           f"(per process {r['session_limit']['created_per_process']})"),
        "turn limit across processes": (r["turn_limit"]["ok"], f"statuses {r['turn_limit'].get('statuses')}"),
    }
    if llm_on and len(r["llm_urls"]) > 1:
        k = load.get("llm_kill")
        out["turns answered after one LLM server was killed"] = (
            bool(k) and k["after"]["answered"] > 0 and k["after"]["errors"] == 0,
            "replica 0 never killed (the run ended first)" if not k else
            f"{k['after']['answered']} answered after the kill, {k['after']['errors']} errors")
    if "llm_down" in r:
        d = r["llm_down"]
        out["LLM down: limited mode within 2 s, used again after it returns"] = (
            d["ok"], "; ".join(f"process {t['process']}: limited {t['limited']} in {t['seconds']} s"
                               for t in d.get("down_turns", [])) + f"; restarted server up in {d.get('restart_s')} s, "
            f"every process back on the LLM {d.get('health_up_after_s')} s later: used again {d.get('llm_used_again')} "
            f"({d.get('served_by_restarted')} requests, turns {[t['llm'] for t in d.get('back_turns', [])]})")
    if "app_kill" in r:
        k = r["app_kill"]
        out["app SIGKILL: store intact, acknowledged turns kept, sessions go on"] = (
            k["ok"], f"{k['audit']['turns_acknowledged']} acknowledged, lost {len(k['audit']['lost_turns'])}, "
                     f"integrity {k['audit']['integrity']}, {k['turns_cut_by_kill']} cut by the kill, "
                     f"{k['continued']}/{k['sessions']} continued on process 0 in {k['continue_s']} s; "
                     f"{len(k['audit']['reused_indexes'])} turn indexes reused after a cut turn")
    return {name: {"ok": bool(ok), "detail": detail} for name, (ok, detail) in out.items()}
