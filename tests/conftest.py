"""Shared test setup. The real network is blocked by pytest-socket (see pyproject: only loopback is allowed)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tools" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
