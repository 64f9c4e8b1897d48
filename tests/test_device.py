"""`auto` (the default device) is CUDA when it is available, else the CPU; a device name torch
does not know, or CUDA on a machine without it, is one clear error."""

import pytest
import torch

from cpg.config import RunConfig
from cpg.config.source import SourceDataConfig
from cpg.device import AUTO, device_line, resolve_device
from cpg.errors import UserError


def test_auto_is_every_configs_default():
    assert RunConfig().device == AUTO and SourceDataConfig().device == AUTO


@pytest.mark.parametrize("available, expected", [(False, "cpu"), (True, "cuda")])
def test_auto_takes_cuda_when_it_is_available(monkeypatch, available, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)  # the hardware, which no seam stands in for
    device = resolve_device(AUTO)
    assert device.type == expected
    assert device_line(AUTO, device).startswith(f"device: {expected} (auto: ")


def test_a_named_device_is_taken_as_it_is():
    assert resolve_device("cpu") == torch.device("cpu") and device_line("cpu", torch.device("cpu")) == "device: cpu"


def test_unknown_or_unavailable_devices_are_user_errors(monkeypatch):
    with pytest.raises(UserError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without CUDA, wherever the test runs
    with pytest.raises(UserError, match="CUDA is not available"):
        resolve_device("cuda")
