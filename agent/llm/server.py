"""Start, watch and stop the local vLLM server (OpenAI-compatible HTTP).

Why a manager: a vLLM server takes ~30 s to start on CPU, so it is started once, in its
own process session (``setsid``) so it outlives the CLI, and every test run / UI / agent
reuses it over HTTP. A JSON pid file ``<data_dir>/llm/server-<port>.json`` records pid,
command and start time; a stale one (process gone, or the pid reused by another program)
is cleaned up; a live one makes a second start refuse. Output goes to
``<data_dir>/llm/server-<port>.log``, which every timeout message points to.

What is launched (argv, environment, CPU or GPU build) is decided in agent/llm/spec.py;
this module only runs and watches it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

from agent.llm.client import probe_url
from agent.llm.spec import SETUP_HINT, ServerSpec, spec_from_settings
from agent.settings import Settings
from tools.errors import InputError, LLMUnavailableError, ModelNotReadyError


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [p.decode(errors="replace") for p in raw.split(b"\0") if p]


def process_matches(pid: int, argv: list[str]) -> bool:
    """True when ``pid`` is alive and still runs ``argv`` (guards against pid reuse and zombies)."""
    cmd = _cmdline(pid)
    if not cmd:
        return False
    # vLLM renames its main process title; compare the argument tail, which it keeps.
    return cmd[-len(argv[1:]):] == argv[1:] if len(argv) > 1 else cmd[0] == argv[0]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class LLMServer:
    """One managed server: ``start`` / ``status`` / ``stop``, state in ``run_dir``."""

    def __init__(self, spec: ServerSpec, run_dir: Path, *, start_timeout_s: float = 180.0) -> None:
        self.spec = spec
        self.run_dir = Path(run_dir)
        self.start_timeout_s = start_timeout_s
        self.pid_file = self.run_dir / f"server-{spec.port}.json"
        self.log_file = self.run_dir / f"server-{spec.port}.log"
        self.proc: subprocess.Popen | None = None

    # -- pid file ------------------------------------------------------------
    def read_record(self) -> dict | None:
        """The live server's record, or None; a stale pid file is deleted on the way."""
        try:
            record = json.loads(self.pid_file.read_text())
            pid = int(record["pid"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.pid_file.unlink(missing_ok=True)
            return None
        if not process_matches(pid, list(record.get("argv") or [])):
            self.pid_file.unlink(missing_ok=True)
            return None
        return record

    # -- lifecycle -------------------------------------------------------------
    def start(self, *, wait: bool = True) -> dict:
        """Launch in a new session; with ``wait`` block until /health and /v1/models answer."""
        record = self.read_record()
        if record:
            raise InputError(
                f"an LLM server is already running on port {self.spec.port} (pid {record['pid']}, "
                f"{record['base_url']}); use it, or stop it first with `whyrec llm stop`"
            )
        if port_in_use(self.spec.host, self.spec.port):
            raise InputError(
                f"port {self.spec.port} on {self.spec.host} is already in use by another program (no pid file at "
                f"{self.pid_file}); pick another with --port or stop that program"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1",
               "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}
        for key, value in self.spec.env.items():
            env.setdefault(key, value)
        with self.log_file.open("a") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {' '.join(self.spec.argv)}\n")
            log.flush()
            try:
                self.proc = subprocess.Popen(
                    self.spec.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env=env, start_new_session=True, cwd=os.getcwd(),
                )
            except FileNotFoundError as exc:
                raise ModelNotReadyError(f"cannot run {self.spec.argv[0]!r} ({exc}); {SETUP_HINT}") from exc
        record = {"pid": self.proc.pid, "pgid": self.proc.pid, "argv": self.spec.argv, "port": self.spec.port,
                  "host": self.spec.host, "base_url": self.spec.base_url, "model": self.spec.served_model_name,
                  "model_path": self.spec.model, "started_at": time.time(), "log": str(self.log_file)}
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(self.pid_file)
        if wait:
            self.wait_healthy()
        return self.status()

    def wait_healthy(self, timeout_s: float | None = None) -> dict:
        """Poll /health then /v1/models; raise with the log's tail if it dies or times out."""
        deadline = time.monotonic() + (timeout_s or self.start_timeout_s)
        while True:
            probe = probe_url(self.spec.base_url, connect_timeout_s=0.5, read_timeout_s=2.0)
            if probe["healthy"] and self.spec.served_model_name in probe["models"]:
                return probe
            if self.proc is not None and self.proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LLMUnavailableError(
                    f"the LLM server exited with code {self.proc.returncode} while starting; see {self.log_file}:\n"
                    + self.log_tail()
                )
            if time.monotonic() > deadline:
                raise LLMUnavailableError(
                    f"the LLM server on port {self.spec.port} was not healthy after "
                    f"{timeout_s or self.start_timeout_s:.0f} s (it is still starting or stuck); see "
                    f"{self.log_file}, wait and run `whyrec llm status`, or `whyrec llm stop`:\n" + self.log_tail()
                )
            time.sleep(0.5)

    def status(self) -> dict:
        """``{healthy, managed, model, url, pid, uptime_s, log, models, error}``; never raises."""
        record = self.read_record()
        probe = probe_url(self.spec.base_url, connect_timeout_s=0.5, read_timeout_s=2.0)
        return {
            "healthy": bool(probe["healthy"]),
            "managed": record is not None,
            "model": (record or {}).get("model") or (probe["models"][0] if probe["models"] else None),
            "models": probe["models"],
            "url": self.spec.base_url,
            "pid": record["pid"] if record else None,
            "uptime_s": round(time.time() - record["started_at"], 1) if record else None,
            "model_path": (record or {}).get("model_path"),
            "log": str(self.log_file),
            "error": probe["error"],
        }

    def stop(self, *, timeout_s: float = 30.0) -> dict:
        """SIGTERM the server's process group, SIGKILL after ``timeout_s``; remove the pid file."""
        record = self.read_record()
        if record is None:
            serving = port_in_use(self.spec.host, self.spec.port)
            return {"stopped": False, "port": self.spec.port,
                    "reason": ("something serves this port but was not started by `whyrec llm serve` (no pid "
                               f"file {self.pid_file}); stop it where it was started") if serving
                    else "no server running"}
        pid, pgid = int(record["pid"]), int(record.get("pgid") or record["pid"])
        started = time.monotonic()
        self._signal_group(pgid, signal.SIGTERM)
        killed = False
        while self._alive(pid, record["argv"]):
            if time.monotonic() - started > timeout_s:
                self._signal_group(pgid, signal.SIGKILL)
                killed = True
                time.sleep(0.2)
                break
            time.sleep(0.2)
        self._reap()
        self.pid_file.unlink(missing_ok=True)
        return {"stopped": True, "pid": pid, "port": self.spec.port, "forced": killed,
                "seconds": round(time.monotonic() - started, 1)}

    def serve_foreground(self) -> int:
        """Block until the server exits; Ctrl-C stops it cleanly."""
        if self.proc is None:
            raise InputError("serve_foreground() needs a server started by this process")
        try:
            return self.proc.wait()
        except KeyboardInterrupt:
            self.stop()
            return 130

    # -- helpers ----------------------------------------------------------------
    def _alive(self, pid: int, argv: list[str]) -> bool:
        if self.proc is not None and self.proc.pid == pid:
            return self.proc.poll() is None
        return process_matches(pid, argv)

    def _reap(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> None:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log yet)"

    def describe(self) -> dict:
        return asdict(self.spec) | {"base_url": self.spec.base_url}


def server_for_settings(settings: Settings, **overrides) -> LLMServer:
    """The :class:`LLMServer` to *start* for ``settings`` (``overrides`` as in :func:`spec_from_settings`)."""
    return LLMServer(spec_from_settings(settings, **overrides), settings.data_dir / "llm",
                     start_timeout_s=settings.llm_start_timeout_s)


def server_handle(settings: Settings, *, port: int | None = None, host: str = "127.0.0.1") -> LLMServer:
    """An :class:`LLMServer` for ``status``/``stop`` only: needs no venv or model, the pid file has the rest."""
    port = port or settings.llm_port
    spec = ServerSpec(argv=[], host=host, port=port, served_model_name=settings.llm_model, model="")
    return LLMServer(spec, settings.data_dir / "llm", start_timeout_s=settings.llm_start_timeout_s)
