"""Session fixture ``llm_server``: the real local vLLM server, started at most once per run.

Why session-scoped and reusing: starting vLLM on CPU takes 30 s to minutes on a busy
machine, so a healthy server already on 127.0.0.1:<port> (``whyrec llm serve
--background``) is reused and left alone; otherwise one is started through
:mod:`agent.llm.server` and stopped at the end. The LLM is the product's core, so a
missing ``.venv-llm`` or model FAILS with the setup command -- set
``WHYREC_SKIP_LLM_TESTS=1`` to skip these tests on purpose (the reason is shown).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def llm_test_settings():
    """Settings for the e2e tests: the repo's data dir (where setup_llm.sh put the model)."""
    from agent.settings import Settings

    data_dir = Path(os.environ.get("WHYREC_DATA_DIR") or REPO / "var")
    port = int(os.environ.get("WHYREC_LLM_PORT", "8000"))
    return Settings(data_dir=data_dir, llm_port=port, llm_base_urls=[f"http://127.0.0.1:{port}/v1"],
                    llm_model="smollm2-135m-instruct", llm_start_timeout_s=600,
                    llm_timeout_s=120)


@pytest.fixture(scope="session")
def llm_settings():
    return llm_test_settings()


@pytest.fixture(scope="session")
def llm_server(llm_settings):
    """Base URL of a healthy vLLM server serving smollm2-135m-instruct."""
    if os.environ.get("WHYREC_SKIP_LLM_TESTS") == "1":
        pytest.skip("WHYREC_SKIP_LLM_TESTS=1: real-LLM tests skipped on request")
    from agent.llm.client import probe_url
    from agent.llm.server import LLMServer
    from agent.llm.spec import find_llm_python, spec_from_settings

    base_url = llm_settings.llm_base_urls[0]
    probe = probe_url(base_url, connect_timeout_s=1.0, read_timeout_s=5.0)
    if probe["healthy"]:
        if llm_settings.llm_model not in probe["models"]:
            pytest.fail(f"{base_url} serves {probe['models']}, not {llm_settings.llm_model}; stop it "
                        "(`whyrec llm stop`) or set WHYREC_LLM_PORT to a free port")
        yield base_url
        return
    try:
        find_llm_python(REPO / ".venv-llm")
        spec = spec_from_settings(llm_settings)
    except Exception as exc:  # ModelNotReadyError: say how to fix, loudly
        pytest.fail(f"the real LLM is not set up ({exc}). Run `scripts/setup_llm.sh` (or set "
                    "WHYREC_SKIP_LLM_TESTS=1 to skip the LLM tests on purpose)")
    server = LLMServer(spec, llm_settings.data_dir / "llm", start_timeout_s=llm_settings.llm_start_timeout_s)
    if server.read_record() is not None:  # another test run is starting it right now: wait, do not own it
        server.wait_healthy()
        yield base_url
        return
    server.start(wait=True)
    try:
        yield base_url
    finally:
        result = server.stop(timeout_s=30)
        if not result.get("stopped") or server.status()["healthy"]:
            raise RuntimeError(f"the LLM server did not shut down cleanly: {result}; see {server.log_file}")
