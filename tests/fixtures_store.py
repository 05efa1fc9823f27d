"""A fresh real SQLite store per test."""

from __future__ import annotations

import pytest

from agent.store.db import Store


@pytest.fixture()
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()
