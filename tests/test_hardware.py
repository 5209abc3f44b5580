"""The emulated-bf16 warning: when it is shown, what it says, and that the CPU check reads the CPU's own flags."""

from pathlib import Path

import pytest

from rlhf import hardware


@pytest.fixture
def cpu_without_bf16(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: False)


@pytest.fixture
def cpu_with_bf16(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: True)


@pytest.mark.parametrize("precision", ["bf16-mixed", "bf16-true", "bf16"])
def test_bf16_on_a_cpu_without_bf16_names_the_override(cpu_without_bf16, precision):
    message = hardware.emulated_bf16_warning(precision, on_cpu=True)
    assert precision in message and "--trainer.precision=32-true" in message


@pytest.mark.parametrize("precision", ["32-true", "32", 32, "16-mixed", None])
def test_no_warning_for_other_precisions(cpu_without_bf16, precision):
    assert hardware.emulated_bf16_warning(precision, on_cpu=True) is None


def test_no_warning_where_bf16_is_native_or_off_the_cpu(cpu_with_bf16, monkeypatch):
    assert hardware.emulated_bf16_warning("bf16-mixed", on_cpu=True) is None
    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: False)
    assert hardware.emulated_bf16_warning("bf16-mixed", on_cpu=False) is None


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="reads Linux's /proc/cpuinfo")
def test_native_bf16_agrees_with_the_cpu_flags():
    flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    flags = set(flags.split(":", 1)[1].split())
    assert hardware.cpu_has_native_bf16() == bool({"avx512_bf16", "amx_bf16"} & flags)


def test_evaluation_commands_warn_too(cpu_without_bf16, recwarn):
    from rlhf.evaluate import _autocast

    _autocast("32-true")
    assert not recwarn.list
    with pytest.warns(UserWarning, match="without bf16 instructions.*pass --precision 32 "):
        _autocast("bf16-mixed")  # the evaluation commands' own override, not the trainer's
