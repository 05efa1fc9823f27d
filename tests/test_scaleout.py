"""Scale-out at small scale: two app processes on one PostgreSQL, one Chroma server, two LLM URLs.

The same orchestration as ``python -m evals.bench_scaleout`` (evals/scaleout_run.py): real app
processes (``uvicorn --factory ui.api:app_from_env``), a real throwaway PostgreSQL cluster and a
real Chroma server; the two LLM replicas are ``tests/fake_openai.py`` run as processes (OpenAI wire
format, vLLM's /metrics), because two vLLM servers on CPU take minutes to start — the benchmark
runs the real ones. Phases: a load spread over both processes with replica 0 killed mid-run,
session and turn limits raced across processes, every replica killed (limited mode within 2 s on
each process, the LLM used again after one comes back, no app restart), app process 1 killed
with SIGKILL mid-burst (the store opens intact with every acknowledged turn; its sessions go on on
process 0), then the per-turn audit. Skipped, with the reason, without the PostgreSQL binaries
(``scripts/setup_postgres.sh``).

The one-process deployment gets the SIGKILL fault too (SQLite, no PostgreSQL needed): the app is
killed mid-burst, the store opens intact with every acknowledged turn, a restarted app carries the
sessions on. The audit itself is checked to be able to fail (a duplicated row and a lost turn are
both named), and the benchmark to exit non-zero when a check fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from evals.scaleout_audit import audit_rows
from evals.scaleout_services import postgres_missing, served_requests

REPO = Path(__file__).resolve().parents[1]


# -- the audit can fail --------------------------------------------------------------------------
def test_audit_names_a_duplicated_row_and_a_lost_turn():
    acked = [("s1", 0, "hi", "A0"), ("s1", 1, "more", "A1"), ("s2", 0, "yo", "B0"), ("s4", 1, "again", "D1")]
    stored = [("s1", 0, "user", "hi"), ("s1", 0, "assistant", "A0"),
              ("s1", 1, "user", "more"), ("s1", 1, "assistant", "A1"), ("s1", 1, "assistant", "A1"),  # duplicated
              ("s2", 0, "user", "yo"),  # the answer of s2's turn 0 was lost
              ("s3", 0, "user", "cut"),  # a turn cut off by a kill, never acknowledged: reported, not failed
              ("s4", 1, "user", "cut off"), ("s4", 1, "user", "again"), ("s4", 1, "assistant", "D1")]  # index reused
    r = audit_rows(acked, stored, ["c1", "c2"], ["c1"], [("c1", "like")], [("c1", "like"), ("c1", "like")])
    assert not r["ok"]
    assert r["duplicated_turns"] == [("s1", 1)] and r["lost_turns"] == [("s2", 0)]
    assert r["unacknowledged_turns"] == [("s3", 0)] and r["reused_indexes"] == [("s4", 1)]
    assert r["lost_cards"] == ["c2"] and r["duplicated_feedback"] == [("c1", "like")]

    clean = audit_rows(acked[:2], stored[:4], ["c1"], ["c1"], [("c1", "like")], [("c1", "like")])
    assert clean["ok"] and clean["turns_acknowledged"] == 2
    assert not audit_rows(acked[:1] * 2, stored[:2], [], [], [], [])["ok"]  # one index acknowledged twice


def test_audit_fails_on_a_reused_turn_index():
    """A cut turn's index used again by the next turn fails the audit; a cut turn alone does not."""
    acked = [("s4", 0, "hi", "D0"), ("s4", 1, "again", "D1")]
    cut_then_next = [("s4", 0, "user", "hi"), ("s4", 0, "assistant", "D0"),
                     ("s4", 1, "user", "cut off"), ("s4", 1, "user", "again"), ("s4", 1, "assistant", "D1")]
    r = audit_rows(acked, cut_then_next, [], [], [], [])
    assert not r["ok"] and r["reused_indexes"] == [("s4", 1)]
    assert not r["lost_turns"] and not r["duplicated_turns"] and not r["acknowledged_twice"]

    two_cut = [("s5", 0, "user", "cut once"), ("s5", 0, "user", "cut twice")]  # neither answered: still reused
    assert audit_rows([], two_cut, [], [], [], [])["reused_indexes"] == [("s5", 0)]

    moved_on = [("s4", 0, "user", "hi"), ("s4", 0, "assistant", "D0"), ("s4", 1, "user", "cut off"),
                ("s4", 2, "user", "again"), ("s4", 2, "assistant", "D1")]
    ok = audit_rows([acked[0], ("s4", 2, "again", "D1")], moved_on, [], [], [], [])
    assert ok["ok"] and ok["unacknowledged_turns"] == [("s4", 1)] and ok["reused_indexes"] == []


def test_the_bench_exits_nonzero_when_a_check_fails(monkeypatch, tmp_path, capsys):
    from evals import bench_scaleout

    def fake_run(_args):
        return {"ok": False, "checks": {"0 lost, 0 duplicated rows": {"ok": False, "detail": "lost 1"}}}

    monkeypatch.setattr(bench_scaleout, "run", fake_run)
    monkeypatch.setattr(bench_scaleout, "to_markdown", lambda r, argv=None: "FAIL\n")
    assert bench_scaleout.main(["--no-write"]) == 1
    assert "--sessions" in bench_scaleout.build_parser().format_help()


# -- the orchestration at small scale ------------------------------------------------------------
class FakeReplicas:
    """Two ``tests.fake_openai`` processes; ``kill`` is kill -9, ``restart`` reuses the port."""

    model = "fake-model"

    def __init__(self, n: int = 2) -> None:
        from evals.load_procs import free_port

        self.ports = [free_port() for _ in range(n)]
        self.procs: list[subprocess.Popen | None] = [None] * n
        for i in range(n):
            self.restart(i)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}/v1" for p in self.ports]

    def restart(self, i: int) -> None:
        self.procs[i] = subprocess.Popen([sys.executable, "-m", "tests.fake_openai", "--port", str(self.ports[i]),
                                          "--model", self.model], cwd=REPO, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.ports[i]}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the fake OpenAI server did not start")

    def kill(self, i: int) -> None:
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    def requests_served(self) -> list[float | None]:
        return [served_requests(u) for u in self.urls]

    def stop(self) -> None:
        for i in range(len(self.procs)):
            self.kill(i)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, embedder):
    """A data dir for app processes: the small test catalog, its embedded index, the cached causal effect."""
    from agent.runtime import _causal
    from agent.settings import Settings
    from tests.fixtures_agent import agent_items
    from tests.fixtures_retrieval import small_items
    from tools.catalog.catalog import Catalog, write_catalog
    from tools.retrieval.vector_index import build_index, open_chroma_client

    root = tmp_path_factory.mktemp("scaleout-data")
    items = agent_items(small_items())
    cat_dir = write_catalog(root / "cat", items, meta={"name": "scaleout-test"})
    data = root / "var"
    # the causal effect every process reads (cached on disk; computing it is ~8 s of CPU per process)
    causal = threading.Thread(target=_causal, args=(Settings(data_dir=data), []))
    causal.start()
    catalog = Catalog(tuple(items), name="scaleout-test")
    build_index(catalog, open_chroma_client("embedded", data / "chroma"), "items", embedder, progress=False)
    causal.join(120)
    return SimpleNamespace(data=data, catalog=catalog, env={
        "WHYREC_DATA_DIR": str(data), "WHYREC_CATALOG_PATH": str(cat_dir), "WHYREC_CHROMA_COLLECTION": "items",
        "WHYREC_RECS_PER_TURN": "3"})


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_app_killed_with_sigkill_mid_turns_keeps_every_acknowledged_turn_on_sqlite(tmp_path, tiny_data):
    """The one-process deployment: kill -9 the app while 4 sessions stream turns at it; the SQLite
    store opens intact with every acknowledged turn, and a restarted app carries the sessions on."""
    from agent.store.db import Store
    from evals.load_procs import WorkerProcesses, free_port
    from evals.scaleout_run import RunConfig, app_env, kill_app, run_app_kill_phase

    url = f"sqlite:///{tmp_path}/app.db"
    Store(url).close()
    env = app_env(RunConfig(lease_ttl_s=5.0), url, None) | tiny_data.env | {"WHYREC_CHROMA_MODE": "embedded"}
    apps = [WorkerProcesses("ui.api:app_from_env", free_port(), 1, env, tmp_path / "app0.log").start(150)]

    def restart() -> str:
        apps.append(WorkerProcesses("ui.api:app_from_env", free_port(), 1, env, tmp_path / "app1.log").start(150))
        return apps[-1].url

    try:
        logs, r = run_app_kill_phase([apps[0].url], 0, lambda: kill_app(apps[0]), restart, url, "Toy Story",
                                     timeout_s=60)
    finally:
        for a in apps:
            a.stop()
    assert r["acknowledged_before_kill"] >= 6 and r["audit"]["integrity"] == "ok", r
    assert r["ok"], r
    assert not [e for lg in logs for e in lg.errors], [e for lg in logs for e in lg.errors]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.chroma_server
@pytest.mark.timeout(240)
def test_two_app_processes_on_postgres_chroma_server_and_two_llm_urls(tmp_path, tiny_data, embedder):
    why = postgres_missing()
    if why:
        pytest.skip(why)
    from evals.scaleout_run import RunConfig, run_scaleout
    from evals.scaleout_services import ChromaServer, PostgresCluster
    from tools.retrieval.vector_index import build_index, open_chroma_client

    t0 = time.perf_counter()
    pg = PostgresCluster()
    chroma = ChromaServer(tmp_path / "chroma")
    llm = None
    try:
        pg.start()
        chroma.start()
        build_index(tiny_data.catalog, open_chroma_client("server", host=chroma.host, port=chroma.port), "items",
                    embedder, progress=False)
        llm = FakeReplicas()
        cfg = RunConfig(sessions=4, turns=3, session_limit=3, kill_llm_after=0.25, lease_ttl_s=6.0,
                        request_timeout_s=60, startup_timeout_s=150,
                        env=tiny_data.env | {"WHYREC_LLM_TOOL_MODE": "required", "WHYREC_LLM_CONNECT_TIMEOUT_S": "0.5"})
        report = run_scaleout(store_url=pg.url, chroma_env=chroma.env("items"), llm=llm, cfg=cfg,
                              titles=["Toy Story", "Halloween", "Up", "Alien"], workdir=tmp_path)
    finally:
        if llm is not None:
            llm.stop()
        chroma.stop()
        pg.stop()
    failed = {k: v["detail"] for k, v in report["checks"].items() if not v["ok"]}
    (tmp_path / "report.json").write_text(json.dumps(report, indent=1, default=str))
    assert report["ok"], failed
    assert report["load"]["llm_kill"]["after"]["answered"] > 0
    assert report["llm_down"]["limited_within_2s"] and report["llm_down"]["llm_used_again"]
    assert report["app_kill"]["acknowledged_before_kill"] > 0
    assert report["audit"]["turns_acknowledged"] >= 12 + 4
    print(f"scale-out test: {time.perf_counter() - t0:.1f} s (startup {report['startup_s']} s)")
