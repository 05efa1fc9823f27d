"""Shared pytest configuration.

Area fixtures live in ``tests/fixtures_<area>.py`` and are loaded as plugins (a missing one
is an error, not a silent skip), so one session-scoped real LLM server (and one small index)
serves every test.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

pytest_plugins = [
    "tests.fixtures_store",
    "tests.fixtures_llm",
    "tests.fixtures_retrieval",
    "tests.fixtures_agent",
]
