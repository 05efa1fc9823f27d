"""The machine line of a result block names the GPU torch sees (a GPU run says where it ran), and says
nothing of one where torch is not loaded or sees none."""

from __future__ import annotations

import sys
from types import SimpleNamespace

from evals import machine


def _fake_torch(available: bool):
    cuda = SimpleNamespace(is_available=lambda: available, get_device_name=lambda _i: "NVIDIA H200")
    return SimpleNamespace(cuda=cuda, version=SimpleNamespace(cuda="13.0"))


def test_machine_names_the_gpu_torch_sees(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(True))
    assert machine.gpu_model() == "GPU NVIDIA H200 (CUDA 13.0)"
    assert ", GPU NVIDIA H200 (CUDA 13.0); torch " in machine.machine(("torch",))


def test_machine_without_a_gpu_or_torch_says_nothing_of_one(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(False))
    assert machine.gpu_model() == ""
    monkeypatch.delitem(sys.modules, "torch")
    assert machine.gpu_model() == ""
    assert "GPU" not in machine.machine(())
