"""Shared pytest configuration.

Area fixtures live in ``tests/fixtures_<area>.py`` and are loaded as plugins when they
exist, so one session-scoped real LLM server (and one small index) serves every test.
"""

from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_FIXTURE_MODULES = (
    "tests.fixtures_store",
    "tests.fixtures_llm",
    "tests.fixtures_retrieval",
    "tests.fixtures_scorers",
    "tests.fixtures_agent",
)
pytest_plugins = [m for m in _FIXTURE_MODULES if importlib.util.find_spec(m) is not None]
