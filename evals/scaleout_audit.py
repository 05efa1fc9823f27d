"""Clients spread over several app processes, and the audit of the store against what they were told.

Why per turn and not per table: equal row counts can hide a lost turn and a duplicated one that
cancel out. Every turn a client got an HTTP 200 for is *acknowledged*; the audit looks each one up
in the store by ``(session_id, turn_index)`` and wants exactly one user row and one assistant row
(0 = lost, 2+ = duplicated), every card it was shown stored once, and every feedback it was
answered 201 for stored once. Rows with no acknowledgement (a turn cut off by a kill) are counted
and listed, not failed: the client never heard of them; but a cut turn's index used again by a
later turn fails the audit.

Every simulated client sends from its own loopback address (127.0.1.x, Linux routes all of
127/8 to lo) so the per-client limits see distinct users, and alternates processes: its session is
created on one process and its turns go to the other in turn, as a load balancer without
stickiness would send them. The rate-limit probe does the opposite: one address races more
session creations than the limit allows, half at each process, and exactly the limit may pass.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from evals.load import FEEDBACK, PROMPTS  # the same scripted sessions as the single-process load test


@dataclass
class TurnRecord:
    session_id: str
    proc: int
    started: float  # time.monotonic() when the request was sent
    status: int = 0  # 0: no HTTP answer (connection error, timeout)
    latency_ms: float = 0.0
    turn_index: int = -1
    degraded: bool = False
    llm: str = ""
    text: str = ""
    reply: str = ""
    rec_ids: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class ClientLog:
    session_id: str = ""
    created_on: int = -1
    turns: list[TurnRecord] = field(default_factory=list)
    feedback: list[tuple[str, str]] = field(default_factory=list)  # acknowledged (rec_id, kind)
    errors: list[str] = field(default_factory=list)
    token: str = ""


def client_address(index: int) -> str:
    """A distinct loopback source address per simulated client (127.0.1.1, 127.0.1.2, ...)."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def http_client(source: str, timeout_s: float) -> Any:
    import httpx

    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=timeout_s)


def send_turn(client: Any, urls: list[str], proc: int, log: ClientLog, text: str) -> TurnRecord:
    """One turn of ``log``'s session on process ``proc``; the answer is recorded in ``log``."""
    import httpx

    rec = TurnRecord(log.session_id, proc, time.monotonic(), text=text)
    t0 = time.perf_counter()
    try:
        r = client.post(f"{urls[proc]}/api/v1/sessions/{log.session_id}/turns", json={"text": text},
                        headers={"Authorization": f"Bearer {log.token}"})
        rec.status = r.status_code
        rec.latency_ms = (time.perf_counter() - t0) * 1000
        if r.status_code == 200:
            body = r.json()
            rec.turn_index, rec.degraded, rec.llm = body["turn_index"], bool(body["degraded"]), str(body.get("llm"))
            rec.reply = body["reply"]
            rec.rec_ids = [c["rec_id"] for c in body["recommendations"]]
        else:
            rec.error = f"HTTP {r.status_code} {r.text[:160]}"
    except httpx.HTTPError as exc:
        rec.latency_ms = (time.perf_counter() - t0) * 1000
        rec.error = f"{type(exc).__name__}: {exc}"
    log.turns.append(rec)
    if rec.error:
        log.errors.append(f"turn on process {proc}: {rec.error}")
    return rec


def open_session(client: Any, urls: list[str], proc: int, log: ClientLog) -> bool:
    import httpx

    try:
        r = client.post(f"{urls[proc]}/api/v1/sessions")
    except httpx.HTTPError as exc:
        log.errors.append(f"create session: {type(exc).__name__}: {exc}")
        return False
    if r.status_code != 201:
        log.errors.append(f"create session: HTTP {r.status_code} {r.text[:160]}")
        return False
    log.session_id, log.token, log.created_on = r.json()["session_id"], r.json()["token"], proc
    return True


def drive_client(urls: list[str], index: int, turns: int, titles: list[str], *, deadline: float,
                 timeout_s: float, log: ClientLog | None = None,
                 before_turn: Callable[[int], None] | None = None) -> ClientLog:
    """Session ``index``: created on process ``index % n``, turn t on ``(index + 1 + t) % n``.

    ``before_turn(t)`` runs before turn t (the load phase uses it to hold every client at the turn
    where an LLM server is killed, so turns after the kill exist however fast the run goes)."""
    n = len(urls)
    log = ClientLog() if log is None else log
    with http_client(client_address(index), timeout_s) as client:
        if not open_session(client, urls, index % n, log):
            return log
        for t in range(turns):
            if time.monotonic() > deadline:
                log.errors.append(f"turn {t}: not run before the time limit")
                break
            if before_turn is not None:
                before_turn(t)
            text = PROMPTS[(index + t) % len(PROMPTS)].format(t=titles[(index * 7 + t) % len(titles)])
            rec = send_turn(client, urls, (index + 1 + t) % n, log, text)
            if rec.status == 200 and t % 2 == 0 and rec.rec_ids:
                kind = FEEDBACK[(index + t) % len(FEEDBACK)]
                f = client.post(f"{urls[(index + t) % n]}/api/v1/sessions/{log.session_id}/feedback",
                                json={"rec_id": rec.rec_ids[0], "kind": kind},
                                headers={"Authorization": f"Bearer {log.token}"})
                if f.status_code == 201:
                    log.feedback.append((rec.rec_ids[0], kind))
                else:
                    log.errors.append(f"feedback: HTTP {f.status_code} {f.text[:160]}")
    return log


# -- the audit ------------------------------------------------------------------------------------
Turn = tuple[str, int, str, str]  # (session_id, turn_index, the user's text, the reply) as acknowledged
Row = tuple[str, int, str, str]  # (session_id, turn_index, role, content) as stored


def audit_rows(acked_turns: Iterable[Turn], stored_messages: Iterable[Row],
               acked_cards: Iterable[str], stored_cards: Iterable[str],
               acked_feedback: Iterable[tuple[str, str]], stored_feedback: Iterable[tuple[str, str]]
               ) -> dict[str, Any]:
    """Acknowledged turns/cards/feedback vs. stored rows: what was lost, duplicated, or never acknowledged.

    An acknowledged turn is stored once when its index holds exactly one ``user`` row with the text
    the client sent and one ``assistant`` row with the reply it got: none is *lost*, two or more is
    *duplicated*. Other rows are *unacknowledged* (a turn cut off by a kill: the client never got an
    answer); when they sit at an index an acknowledged turn also uses, or an index holds user rows
    with different texts, the index was *reused* (the next turn did not know the cut one had
    started). ``ok`` is False when anything acknowledged is lost or stored more than once, two
    answers were acknowledged under one index, or an index was reused: the store hands out a
    turn's index with its user message in one transaction (``Store.start_turn``), so a reuse is
    a bug, not bad luck.
    """
    acked = list(acked_turns)
    rows = Counter(stored_messages)
    lost, dup = [], []
    for sid, idx, text, reply in acked:
        n_user, n_reply = rows[(sid, idx, "user", text)], rows[(sid, idx, "assistant", reply)]
        if n_user == 0 or n_reply == 0:
            lost.append((sid, idx))
        if n_user > 1 or n_reply > 1:
            dup.append((sid, idx))
    mine = Counter()
    for sid, idx, text, reply in acked:
        mine[(sid, idx, "user", text)] += 1
        mine[(sid, idx, "assistant", reply)] += 1
    acked_idx = Counter((sid, idx) for sid, idx, _t, _r in acked)
    other = {(r[0], r[1]) for r, n in rows.items() if n > mine[r] and mine[r] == 0}
    user_texts = Counter((r[0], r[1]) for r in rows if r[2] == "user")  # distinct texts per index
    reused = (other & set(acked_idx)) | {k for k, n in user_texts.items() if n > 1}
    cards, card_rows = Counter(acked_cards), Counter(stored_cards)
    fb, fb_rows = Counter(acked_feedback), Counter(stored_feedback)
    report = {
        "turns_acknowledged": len(acked), "turns_stored": len({(r[0], r[1]) for r in rows}),
        "lost_turns": sorted(lost), "duplicated_turns": sorted(dup),
        "acknowledged_twice": sorted(k for k, n in acked_idx.items() if n > 1),
        "unacknowledged_turns": sorted(other - set(acked_idx)),
        "reused_indexes": sorted(reused),
        "cards_acknowledged": sum(cards.values()),
        "lost_cards": sorted(c for c in cards if card_rows[c] == 0),
        "duplicated_cards": sorted(c for c, n in card_rows.items() if n > 1),
        "feedback_acknowledged": sum(fb.values()),
        "lost_feedback": sorted(k for k, n in fb.items() if fb_rows[k] < n),
        "duplicated_feedback": sorted(k for k, n in fb_rows.items() if fb[k] and n > fb[k]),
    }
    report["ok"] = not any(report[k] for k in ("lost_turns", "duplicated_turns", "acknowledged_twice",
                                               "reused_indexes", "lost_cards", "duplicated_cards", "lost_feedback",
                                               "duplicated_feedback"))
    return report


def acknowledged(logs: Iterable[ClientLog]) -> tuple[list[Turn], list[str], list[tuple[str, str]]]:
    logs = list(logs)
    turns = [(t.session_id, t.turn_index, t.text, t.reply) for lg in logs for t in lg.turns if t.status == 200]
    cards = [c for lg in logs for t in lg.turns if t.status == 200 for c in t.rec_ids]
    return turns, cards, [f for lg in logs for f in lg.feedback]


def audit_store(store: Any, logs: Iterable[ClientLog]) -> dict[str, Any]:
    """:func:`audit_rows` over the rows of the sessions in ``logs`` (read from ``store``), plus integrity."""
    logs = list(logs)
    sids = sorted({lg.session_id for lg in logs if lg.session_id})
    msgs: list[tuple] = []
    cards: list[str] = []
    fbs: list[tuple] = []
    for sid in sids:  # the store's own read API: the database stays agent.store's business
        msgs += [(r["session_id"], r["turn_index"], r["role"], r["content"]) for r in store.messages(sid)]
        cards += [r["rec_id"] for r in store.list_recommendations(session_id=sid, limit=100_000)]
        fbs += [(r["rec_id"], r["kind"]) for r in store.feedback(session_id=sid)]
    turns, acked_cards, acked_fb = acknowledged(logs)
    report = audit_rows(turns, msgs, acked_cards, cards, acked_fb, fbs)
    report["integrity"] = store.integrity_check()
    report["ok"] = report["ok"] and report["integrity"] == "ok"
    return report


# -- the cross-process rate-limit probe -----------------------------------------------------------------
def probe_session_limit(urls: list[str], limit: int, *, extra: int | None = None, source: str = "127.0.3.7",
                        timeout_s: float = 60.0) -> dict[str, Any]:
    """``limit + extra`` session creations from ONE address, raced at once, alternating processes.

    Exactly ``limit`` may be created (HTTP 201), the rest refused (429), whichever process each
    landed on: the count lives in the store, not in a process.
    """
    extra = limit if extra is None else extra
    n = limit + extra
    statuses: list[tuple[int, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def one(i: int) -> None:
        proc = i % len(urls)
        with http_client(source, timeout_s) as client:
            barrier.wait()
            try:
                code = client.post(f"{urls[proc]}/api/v1/sessions").status_code
            except Exception:  # noqa: BLE001 - counted as "no answer"
                code = 0
        with lock:
            statuses.append((proc, code))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s + 10)
    created = Counter(p for p, c in statuses if c == 201)
    refused = Counter(p for p, c in statuses if c == 429)
    out = {"limit": limit, "attempts": n, "created": sum(created.values()), "refused": sum(refused.values()),
           "created_per_process": [created[p] for p in range(len(urls))],
           "refused_per_process": [refused[p] for p in range(len(urls))],
           "other": sorted(c for _p, c in statuses if c not in (201, 429))}
    out["ok"] = out["created"] == limit and out["refused"] == extra and not out["other"]
    return out


def probe_turn_limit(urls: list[str], limit: int, title: str, *, extra: int = 2, source: str = "127.0.3.8",
                     timeout_s: float = 120.0) -> tuple[dict[str, Any], ClientLog]:
    """One session sends ``limit + extra`` turns, alternating processes: ``limit`` answered, then 429."""
    log = ClientLog()
    with http_client(source, timeout_s) as client:
        if not open_session(client, urls, 0, log):
            return {"ok": False, "error": log.errors[-1]}, log
        for t in range(limit + extra):
            send_turn(client, urls, (t + 1) % len(urls), log, PROMPTS[t % len(PROMPTS)].format(t=title))
    codes = [t.status for t in log.turns]
    out = {"limit": limit, "attempts": len(codes), "answered": codes.count(200), "refused": codes.count(429),
           "statuses": codes}
    out["ok"] = codes == [200] * limit + [429] * extra
    log.errors = [e for e in log.errors if "HTTP 429" not in e]  # the refusals are the point here
    return out, log
