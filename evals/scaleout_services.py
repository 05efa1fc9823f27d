"""The servers of a scale-out run, each a real process on loopback: PostgreSQL, Chroma, LLM replicas.

Why real processes: the point of the scale-out run (evals/bench_scaleout.py, tests/test_scaleout.py)
is that state shared between app processes survives the trip through real servers — a PostgreSQL
cluster (``initdb`` + ``pg_ctl`` in a temp dir, on a free port, as the ``postgres`` user when we
run as root; install the binaries with ``scripts/setup_postgres.sh``), Chroma's own server
(``chroma run`` from this venv) and two OpenAI-compatible LLM servers started with the project's
``whyrec llm serve`` machinery (agent/llm/server.py) on two ports, one of which is killed mid-run.
Every class here starts in ``start()``, is idempotent in ``stop()``, and writes its log beside
its data so a failure message can quote it.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evals.load_procs import free_port


class ServiceError(RuntimeError):
    """A server of the run could not be started (the message says which and why)."""


def pg_bindir() -> Path | None:
    """Where ``initdb``/``pg_ctl`` live (PATH, else the newest /usr/lib/postgresql/*/bin), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(cands[-1]).parent if cands else None


def postgres_missing() -> str | None:
    """Why a throwaway PostgreSQL cannot be started here, or None when it can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 3 is not installed (pip install 'psycopg[binary]')"
    if pg_bindir() is None:
        return "PostgreSQL binaries (initdb/pg_ctl) not found: run scripts/setup_postgres.sh"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
    return None


class PostgresCluster:
    """A throwaway cluster (fsync off: it is thrown away) on 127.0.0.1:<free port>, removed by ``stop()``.

    Its directory is a fresh ``/tmp/whyrec-pg-*`` (not under the caller's temp dir: as root, initdb
    runs as ``postgres``, which cannot enter a 0700 directory of root's such as pytest's tmp_path).
    """

    def __init__(self, *, max_connections: int = 100) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="whyrec-pg-"))
        self.port = free_port()
        self.max_connections = max_connections
        self.bindir = pg_bindir()
        self._as_user: list[str] = []
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://whyrec@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        r = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            log = self.root / "pg.log"
            raise ServiceError(f"{Path(args[0]).name} failed: {r.stderr or r.stdout}\n"
                               f"{log.read_text()[-2000:] if log.exists() else ''}")

    def start(self) -> PostgresCluster:
        why = postgres_missing()
        if why:
            raise ServiceError(why)
        if os.geteuid() == 0:  # initdb refuses to run as root
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.root / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "whyrec", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "pg.log"), "-w", "-t", "60",
                  "start", "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                  f"-c max_connections={self.max_connections}")
        self.started = True
        return self

    def stop(self) -> None:
        if self.started:
            subprocess.run([*self._as_user, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                            "immediate", "stop"], capture_output=True, timeout=60)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_http(url: str, proc: subprocess.Popen, log: Path, what: str, timeout_s: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(f"{what} exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise ServiceError(f"{what} did not answer {url} within {timeout_s:.0f} s: "
                       f"{log.read_text(errors='replace')[-2000:]}")


def _end(proc: subprocess.Popen | None, *, group: bool = False) -> None:
    if proc is None or proc.poll() is not None:
        return
    (os.killpg if group else os.kill)(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        (os.killpg if group else os.kill)(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class ChromaServer:
    """``chroma run --path PATH`` (this venv's chromadb) on 127.0.0.1:<free port>.

    ``copy_from``: an embedded index directory (e.g. ``var/chroma``) copied to ``PATH`` first, so
    the server serves the same collections without touching the original.
    """

    def __init__(self, path: Path, *, copy_from: Path | None = None) -> None:
        self.path = Path(path)
        self.copy_from = copy_from
        self.host, self.port = "127.0.0.1", free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.path.parent / f"{self.path.name}.log"

    def start(self, timeout_s: float = 90.0) -> ChromaServer:
        chroma_bin = Path(sys.executable).parent / "chroma"
        if not chroma_bin.exists():
            raise ServiceError(f"{chroma_bin} is missing: reinstall chromadb in the venv")
        if self.copy_from is not None:
            if not (Path(self.copy_from) / "chroma.sqlite3").is_file():
                raise ServiceError(f"no Chroma index at {self.copy_from}: run `whyrec index build`")
            shutil.copytree(self.copy_from, self.path, dirs_exist_ok=True)
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(chroma_bin), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
        _wait_http(f"http://{self.host}:{self.port}/api/v2/heartbeat", self.proc, self.log, "the Chroma server",
                   timeout_s)
        return self

    def env(self, collection: str) -> dict[str, str]:
        """The app settings that point at this server."""
        return {"WHYREC_CHROMA_MODE": "server", "WHYREC_CHROMA_HOST": self.host,
                "WHYREC_CHROMA_PORT": str(self.port), "WHYREC_CHROMA_COLLECTION": collection}

    def stop(self) -> None:
        _end(self.proc)


def served_requests(base_url: str) -> float | None:
    """vLLM's ``vllm:request_success_total`` (summed over labels), or None if unreadable."""
    import httpx

    try:
        text = httpx.get(base_url.removesuffix("/v1") + "/metrics", timeout=3.0).text
    except httpx.HTTPError:
        return None
    vals = [float(m.group(1)) for m in re.finditer(r"^vllm:request_success_total(?:\{[^}]*\})? (\S+)$", text, re.M)]
    return sum(vals) if vals else None


class LLMReplicas:
    """Several LLM servers from ``agent.llm.server`` (the ``whyrec llm serve`` machinery), one per port.

    Each replica is an :class:`agent.llm.server.LLMServer` with its pid file and log in ``run_dir``
    (not the data dir's ``llm/``, so a user's own server on the default port is left alone). They
    start together (vLLM on CPU takes 30 s or more each) and ``kill(i)`` is ``kill -9`` of replica
    i's process group: a crash, not a shutdown.
    """

    def __init__(self, settings, run_dir: Path, n: int = 2, *, start_timeout_s: float = 420.0) -> None:
        from agent.llm.server import LLMServer
        from agent.llm.spec import replica_cores, spec_from_settings

        # each replica on its own cores: on one shared core their OpenMP threads take turns (4 prompt tokens/s)
        self.servers = [LLMServer(spec_from_settings(settings, port=free_port(),
                                                     cpu_cores=replica_cores(i, n, os.cpu_count() or 1)),
                                  Path(run_dir), start_timeout_s=start_timeout_s) for i in range(n)]

    @property
    def urls(self) -> list[str]:
        return [s.spec.base_url for s in self.servers]

    @property
    def model(self) -> str:
        return self.servers[0].spec.served_model_name

    def start(self) -> LLMReplicas:
        try:
            for s in self.servers:
                s.start(wait=False)
            for s in self.servers:
                s.wait_healthy()
        except Exception:
            self.stop()
            raise
        return self

    def kill(self, i: int) -> None:
        s = self.servers[i]
        if s.proc is not None and s.proc.poll() is None:
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait(timeout=30)
        s.pid_file.unlink(missing_ok=True)

    def restart(self, i: int) -> None:
        """Start replica ``i`` again on its port (as a supervisor would after a crash); wait until healthy."""
        self.servers[i].start(wait=True)

    def requests_served(self) -> list[float | None]:
        return [served_requests(u) for u in self.urls]

    def stop(self) -> None:
        for s in self.servers:
            if s.proc is not None and s.proc.poll() is None:
                s.stop(timeout_s=20)
            s.pid_file.unlink(missing_ok=True)
