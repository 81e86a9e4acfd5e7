"""Test-wide settings. Fixtures for each area live in that area's own modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The suite runs on loaded 2-core machines: hypothesis must not fail on slowness.
settings.register_profile(
    "rekam",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=int(os.environ.get("REKAM_HYPOTHESIS_EXAMPLES", "100")),
)
settings.load_profile("rekam")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests write what a person may want to look at (screenshots, reports)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
