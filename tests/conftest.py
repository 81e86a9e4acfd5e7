"""Test-wide settings. Fixtures for each area live in that area's own modules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from hardware.smartcard import EmulatedSmartCardConfig
from hardware.smartcard.pcscd import PcscdService, VpcdEndpoint

# The suite runs on loaded 2-core machines: hypothesis must not fail on slowness.
settings.register_profile(
    "rekam",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=int(os.environ.get("REKAM_HYPOTHESIS_EXAMPLES", "100")),
)
settings.load_profile("rekam")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a test marked ``slow`` run first, each kept whole and in place otherwise:
    the workers of ``tests/suite.py`` then end together instead of one finishing alone."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests write what a person may want to look at (screenshots, reports)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def smartcard_pcscd() -> Iterator[VpcdEndpoint]:
    """One real pcscd with the vpcd reader for the whole session (one pcscd per machine).

    Reuses a running pcscd that has the reader; otherwise starts one in its own network
    namespace and stops it at the end. Booth tests request it so each booth they build
    finds pcscd ready instead of starting and stopping its own.
    """
    service = PcscdService(EmulatedSmartCardConfig())
    endpoint = service.ensure_running()
    yield endpoint
    service.stop()  # only stops a pcscd this fixture started
