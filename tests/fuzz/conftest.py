"""The fuzz tests check each program themselves (the oracle's ``loaded`` mode saves,
loads and re-runs it); the suite-wide round-trip hook of tests/conftest.py would
re-check every one of the hundreds of functions a bounded run compiles, which
multiplies its time, so it is switched off here."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def code_round_trip():
    yield
