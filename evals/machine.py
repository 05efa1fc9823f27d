"""One description of the machine for every benchmark report.

Why: results are only comparable when they say where and under what load they were
measured (CPU model, cores, load average at start, Python, OS, key package versions).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> tuple[float, float, float]:
    return os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3


def package_versions(packages: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine(packages: Sequence[str] = ("torch",)) -> str:
    """'CPU, N logical CPUs, 1-min load L at start, Python X, OS; pkg a, pkg b'."""
    load = load_average()
    pkgs = ", ".join(f"{k} {v}" for k, v in package_versions(packages).items())
    return (f"{cpu_model()}, {os.cpu_count()} logical CPUs (1-min load {load[0]:.1f} at start), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
            + (f"; {pkgs}" if pkgs else ""))
