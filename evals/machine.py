"""One description of the machine for every benchmark report.

Why: results are only comparable when they say where and under what load they were
measured (CPU model, cores, load average at start, Python, OS, key package versions).
"""

from __future__ import annotations

import os
import platform
import sys
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


def gpu_model() -> str:
    """'GPU NVIDIA H200 (CUDA 13.0)' where torch is already imported and sees a GPU; '' otherwise
    (this never imports torch: benchmarks that do not use it stay as they were)."""
    torch = sys.modules.get("torch")
    try:
        if torch is None or not torch.cuda.is_available():
            return ""
        return f"GPU {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    except (AttributeError, RuntimeError):
        return ""


def machine(packages: Sequence[str] = ("torch",)) -> str:
    """'CPU, N logical CPUs, 1-min load L at start, Python X, OS[, GPU g (CUDA c)]; pkg a, pkg b'."""
    load = load_average()
    pkgs = ", ".join(f"{k} {v}" for k, v in package_versions(packages).items())
    gpu = gpu_model()
    return (f"{cpu_model()}, {os.cpu_count()} logical CPUs (1-min load {load[0]:.1f} at start), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
            + (f", {gpu}" if gpu else "") + (f"; {pkgs}" if pkgs else ""))
