"""Fixtures shared by the kernel tests."""
from __future__ import annotations

import pytest

from . import cuda_sources


@pytest.fixture(scope="session")
def every_cuda_source():
    """source -> variant name for every CUDA kernel variant the tests generate: rendered
    once (about ten seconds) for both the nvcc and the NVRTC checks."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        found = cuda_sources.every_source(monkeypatch)
    assert len(found) > 1000, "the cases generate far fewer kernels than expected"
    return found
