"""Settings: precedence (defaults < whyrec.toml < WHYREC_* env < explicit overrides), frozen,
comma-separated URLs, clear errors for bad URLs and a missing WHYREC_CONFIG file."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic
import pytest

from agent.settings import Settings, load_settings


@pytest.fixture()
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in [k for k in os.environ if k.startswith("WHYREC_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults(clean: Path) -> None:
    s = load_settings()
    assert s.data_dir == Path("var") and s.catalog_path is None
    assert s.llm_base_urls == ["http://127.0.0.1:8000/v1"] and s.llm_port == 8000
    assert s.resolved_store_url == "sqlite:///var/whyrec.db"
    assert s.chroma_path == Path("var/chroma") and s.models_dir == Path("var/models")


def test_precedence_defaults_toml_env_overrides(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "whyrec.toml").write_text('seed = 7\nllm_port = 9001\nui_port = 7000\nrecs_per_turn = 3\n')
    s = load_settings()
    assert (s.seed, s.llm_port, s.ui_port, s.recs_per_turn) == (7, 9001, 7000, 3)
    monkeypatch.setenv("WHYREC_LLM_PORT", "9002")
    monkeypatch.setenv("WHYREC_UI_PORT", "7001")
    s = load_settings()
    assert (s.seed, s.llm_port, s.ui_port) == (7, 9002, 7001)  # env beats toml, toml beats default
    s = load_settings(ui_port=7002, seed=None)  # None overrides are ignored, not applied
    assert (s.seed, s.llm_port, s.ui_port) == (7, 9002, 7002)  # explicit beats env
    assert Settings().max_tool_calls_per_turn == 6  # untouched fields keep their defaults


def test_whyrec_config_names_another_file(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = clean / "conf" / "prod.toml"
    cfg.parent.mkdir()
    cfg.write_text('llm_model = "other-model"\n')
    (clean / "whyrec.toml").write_text('llm_model = "ignored"\n')
    monkeypatch.setenv("WHYREC_CONFIG", str(cfg))
    assert load_settings().llm_model == "other-model"


def test_missing_whyrec_config_is_a_clear_error(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHYREC_CONFIG", str(clean / "missing.toml"))
    with pytest.raises(ValueError, match=r"WHYREC_CONFIG points to .*missing\.toml.*does not exist"):
        load_settings()


def test_frozen(clean: Path) -> None:
    s = load_settings()
    with pytest.raises(pydantic.ValidationError):
        s.seed = 1  # type: ignore[misc]
    assert s.model_copy(update={"seed": 1}).seed == 1 and s.seed == 42


def test_comma_separated_base_urls_from_env(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHYREC_LLM_BASE_URLS", "http://a:8000/v1, http://b:8000/v1")
    assert load_settings().llm_base_urls == ["http://a:8000/v1", "http://b:8000/v1"]
    monkeypatch.setenv("WHYREC_LLM_BASE_URLS", '["http://c/v1"]')
    assert load_settings().llm_base_urls == ["http://c/v1"]


@pytest.mark.parametrize("urls", ["ftp://x/v1", "127.0.0.1:8000", ""])
def test_bad_url_is_a_clear_value_error(clean: Path, urls: str) -> None:
    with pytest.raises(ValueError, match=r"llm_base_urls"):
        load_settings(llm_base_urls=urls)


def test_unknown_field_and_out_of_range_are_rejected(clean: Path) -> None:
    with pytest.raises(ValueError, match="llm_prot"):
        load_settings(llm_prot=1)
    with pytest.raises(ValueError, match="llm_port"):
        load_settings(llm_port=70000)


def test_blas_threads_limits_numpy_blas_only_when_set(clean: Path) -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    from agent.settings import apply_runtime_settings

    def blas_threads() -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    with threadpool_limits():  # restores the process's limits afterwards
        before = blas_threads()
        apply_runtime_settings(Settings(blas_threads=None))
        assert blas_threads() == before
        apply_runtime_settings(Settings(blas_threads=1))
        assert blas_threads() == {1}
    with pytest.raises(pydantic.ValidationError):
        Settings(blas_threads=0)
