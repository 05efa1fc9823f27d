"""Several app processes behind one port for the load harness (uvicorn ``--workers``).

Why: one Python process runs one turn's Python code at a time (the GIL), so on a multi-core
machine a single app process leaves cores idle; a real deployment runs several processes, and
their rate limits, session leases and LLM breaker must then agree through the store
(agent/store/shared.py). This starts ``N`` uvicorn workers over an app factory named by import
string (the caller's: ``ui.api:app_from_env``; evals/ never imports ui/), all on one store URL,
and stops them afterwards. Every worker builds its own runtime from ``WHYREC_*`` variables.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BackgroundServer:
    """uvicorn in a daemon thread on loopback; ``stop()`` asks it to exit."""

    def __init__(self, app: Any, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="load-uvicorn")
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout_s: float = 30.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class WorkerProcesses:
    """``python -m uvicorn --factory APP --workers N`` on loopback; ``stop()`` ends the group."""

    def __init__(self, app_import: str, port: int, workers: int, env: dict[str, str], log_path: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        cmd = [sys.executable, "-m", "uvicorn", "--factory", app_import, "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
        self._log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.workers = workers

    def start(self, timeout_s: float = 300.0) -> WorkerProcesses:
        """Wait until ``workers`` distinct processes have answered /health (each builds its runtime)."""
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app workers exited ({self.proc.returncode}): {self._tail()}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2.0).status_code == 200:
                    time.sleep(2.0)  # uvicorn accepts as soon as one worker is up; give the others their start
                    if self._ready_workers() >= self.workers:
                        return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the app workers did not start within {timeout_s:.0f} s: {self._tail()}")

    def _ready_workers(self) -> int:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return max(text.count("app worker ready"), 1 if self.workers == 1 else 0)

    def warm_up_notes(self) -> list[str]:
        """The planner warm-up each worker printed in its ready line (LLM on), as report notes."""
        found = re.findall(r"^app worker ready \(pid (\d+), planner warm-up (.*)\)$", self._tail_all(), re.M)
        return [f"planner warm-up (pid {pid}): {took}" for pid, took in found]

    def _tail_all(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _tail(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def worker_env(*, store_url: str, data_dir: str | None, use_llm: bool, sessions: int,
               llm_timeout_s: float | None, blas_threads: int | None = None) -> dict[str, str]:
    """The ``WHYREC_*`` settings every worker builds its runtime from (as run_load's in-process one)."""
    env = {"WHYREC_STORE_URL": store_url, "WHYREC_RL_ONLINE_UPDATES": "false", "WHYREC_APP_LLM": "1" if use_llm else "0",
           "WHYREC_SESSIONS_PER_CLIENT_PER_MINUTE": str(max(30, sessions))}
    if data_dir:
        env["WHYREC_DATA_DIR"] = str(data_dir)
    if blas_threads:
        env["WHYREC_BLAS_THREADS"] = str(blas_threads)
    if llm_timeout_s:
        env["WHYREC_LLM_PLAN_TIMEOUT_S"] = env["WHYREC_LLM_TIMEOUT_S"] = str(llm_timeout_s)
    return env


def describe(workers: int, store_url: str) -> Any:
    backend = store_url.split(":", 1)[0]
    if workers == 1:
        return f"the app in a process of its own (uvicorn), the client threads in the harness's; store {backend}"
    return f"{workers} app processes (uvicorn --workers) on one store ({backend})"
