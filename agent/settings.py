"""One typed, frozen settings object for the whole application.

Why: every tunable lives in one place, is validated once, and is *built only in entry
points* (the ``whyrec`` CLI, the UI, evals) and passed down. Nothing reads the
environment at import time. Precedence (highest first): explicit keyword overrides,
``WHYREC_*`` environment variables, ``whyrec.toml`` in the working directory (or the
file named by ``WHYREC_CONFIG``), then the defaults below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ToolMode = Literal["auto", "required"]


class Settings(BaseSettings):
    """All configuration. Frozen: build a new one with ``model_copy(update=...)``."""

    model_config = SettingsConfigDict(
        env_prefix="WHYREC_", frozen=True, extra="forbid", env_nested_delimiter="__"
    )

    # -- files --------------------------------------------------------------
    data_dir: Path = Field(Path("var"), description="Where indexes, models, the store and logs live.")
    catalog_path: Path | None = Field(
        None, description="Catalog directory or file; None = the shipped demo catalog."
    )

    # -- LLM (an OpenAI-compatible vLLM server) -----------------------------
    # NoDecode: the env value reaches ``_split_urls`` as text, so "http://a/v1,http://b/v1" works
    llm_base_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000/v1"],
        description="One or more OpenAI-compatible base URLs; several are used round-robin with failover. "
        "Default: the local server on llm_port.",
    )
    llm_model: str = Field("smollm2-135m-instruct", description="Served model name.")
    llm_model_path: Path | None = Field(
        None, description="Local model dir to serve; None = <data_dir>/models/smollm2-135m-instruct."
    )
    llm_port: int = Field(8000, ge=1, le=65535)
    llm_gpu: bool = False
    llm_tensor_parallel_size: int = Field(1, ge=1, le=64)
    llm_tool_mode: ToolMode | None = Field(
        None, description="'required' for small models, 'auto' for capable ones; None = infer from size."
    )
    llm_temperature: float = Field(0.2, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(512, ge=16, le=32768)
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_connect_timeout_s: float = Field(1.0, gt=0)
    llm_max_retries: int = Field(0, ge=0, le=10)
    llm_start_timeout_s: float = Field(180.0, gt=0)

    # -- vectors (Chroma) ---------------------------------------------------
    chroma_mode: Literal["embedded", "server"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = Field(8001, ge=1, le=65535)
    chroma_collection: str = "whyrec_items"
    embed_batch_size: int = Field(64, ge=1, le=4096)

    # -- store --------------------------------------------------------------
    store_url: str | None = Field(None, description="SQLAlchemy URL; None = sqlite:///<data_dir>/whyrec.db")

    # -- compute ------------------------------------------------------------
    seed: int = 42
    torch_threads: int = Field(1, ge=1, le=256)
    blas_threads: int | None = Field(None, ge=1, le=256, description=(
        "Threads numpy's BLAS may use (threadpoolctl); None = the library's default (all cores). 1 suits an "
        "app serving many sessions on few cores: idle OpenBLAS workers spin after each small product, which "
        "doubled a turn's CPU time (89 -> 143 ms on 2 cores), while one conversation alone is ~20% faster "
        "with them (ReDial bench 19.5 vs 14.9 samples/s)."))
    device: Literal["cpu", "cuda"] = "cpu"

    # -- agent --------------------------------------------------------------
    max_tool_calls_per_turn: int = Field(6, ge=1, le=50)
    recs_per_turn: int = Field(5, ge=1, le=20)
    max_message_chars: int = Field(4000, ge=1, le=200_000)
    rate_limit_per_minute: int = Field(30, ge=1, le=100_000, description="Turns per session per minute.")
    # abuse limits and cross-process locks (agent/session_guard.py; their state lives in the store)
    feedback_per_minute: int = Field(20, ge=1, le=100_000, description="Feedback clicks per session per minute.")
    sessions_per_client_per_minute: int = Field(
        30, ge=1, le=1_000_000, description="New sessions per client address per minute (POST /sessions).")
    rl_updates_per_session: int = Field(
        10, ge=0, le=100_000, description="Online RL updates one session may cause per day (a card's first "
        "feedback only): bounds how far one session can move the shared policy.")
    session_lock_ttl_s: float = Field(60.0, gt=0, le=3600, description="A session lease outlives a crashed turn "
                                      "by at most this long.")
    session_lock_wait_s: float = Field(30.0, gt=0, le=3600, description="Longest wait for a session's lease.")
    # LLM admission control (agent/admission.py, agent/llm_gate.py)
    llm_max_inflight: int = Field(
        2, ge=1, le=1024, description="LLM calls in flight per app process; beyond it turns are served at once "
        "by the deterministic path (limited mode) instead of queueing.")
    llm_probe_interval_s: float = Field(
        5.0, gt=0, le=3600, description="When the measured latency refuses every turn, one call per interval is "
        "let through to measure again.")
    scorer: Literal["popularity", "lightgcn", "rl"] = "rl"
    explain_concurrency: int = Field(5, ge=1, le=64, description="Explanations generated at once.")
    llm_warm_up_timeout_s: float = Field(
        60.0, gt=0, le=600, description="Each warm-up planning call (at start-up, one per server, and when the "
        "breaker's cool-down ends) may take this long: a cold server compiles the tool grammar first (10-20 s "
        "measured on 2 cores).")
    explain_follow_up_s: float = Field(
        8.0, ge=0, le=120, description="After the turn has answered with checked templates, LLM explanations "
        "stream in for at most this long, each replacing its card's template once it passes the check; 0 = "
        "templates only.")
    turn_budget_s: float | None = Field(
        1.4, gt=0, description="Whole-turn time budget (the product's target is p95 <= 1.5 s with the LLM on): "
        "the LLM planner gets what is left of it after ranking and the checked templates; LLM explanations "
        "come after the answer (explain_follow_up_s). None = only llm_plan_timeout_s applies."
    )
    rl_online_updates: bool = Field(True, description="Update the RL policy from chat feedback (bounded, seeded).")
    llm_plan_retries: int = Field(
        0, ge=0, le=5, description="Small-model planning: extra tries after a failed tool call (each ~1.6 s on CPU)."
    )
    llm_plan_timeout_s: float = Field(6.0, gt=0, description="Per-call limit for the planning step before degrading.")

    # -- UI -----------------------------------------------------------------
    ui_host: str = "127.0.0.1"
    ui_port: int = Field(7860, ge=1, le=65535)
    support_username: str | None = None
    support_password: SecretStr | None = None
    api_secret: SecretStr | None = Field(
        None, description="HMAC key for JSON API session tokens; None = generated into <data_dir>/api_secret."
    )

    @field_validator("llm_base_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        """Accept a comma-separated string (or a JSON list as text) from the environment."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                try:
                    return json.loads(value)
                except json.JSONDecodeError:
                    pass
            return [u.strip() for u in value.split(",") if u.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if "llm_base_urls" not in self.model_fields_set:
            # not given: follow llm_port, so `WHYREC_LLM_PORT=8010` moves the server and the client together
            object.__setattr__(self, "llm_base_urls", [f"http://127.0.0.1:{self.llm_port}/v1"])
        if not self.llm_base_urls:
            raise ValueError("llm_base_urls is empty: give at least one URL, e.g. http://127.0.0.1:8000/v1")
        for url in self.llm_base_urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"llm_base_urls entry {url!r} must start with http:// or https://")
        return self

    # -- derived values (pure functions of the fields) -----------------------
    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir / 'whyrec.db'}"

    @property
    def resolved_llm_model_path(self) -> Path:
        return self.llm_model_path or self.data_dir / "models" / "smollm2-135m-instruct"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("WHYREC_CONFIG", "whyrec.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Build the settings (entry points only). ``WHYREC_CONFIG`` is read here, not at import."""
    if "WHYREC_CONFIG" in os.environ and not Path(os.environ["WHYREC_CONFIG"]).is_file():
        raise ValueError(
            f"WHYREC_CONFIG points to {os.environ['WHYREC_CONFIG']!r}, which does not exist; "
            "fix the path or unset the variable"
        )
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def apply_runtime_settings(settings: Settings) -> None:
    """Process-wide knobs that libraries read themselves; called once by entry points."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(settings.torch_threads)
    if settings.blas_threads is not None:
        threadpool_limits(limits=settings.blas_threads, user_api="blas")
