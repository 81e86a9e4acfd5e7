"""The dashboard in a real headless Chromium, over the real edge service and broker.

Debian's ``chromium`` driven by Playwright (launched with its executable path; no
``playwright install``). The edge service runs for real against mosquitto with TLS
client certificates; the dashboard is mounted in the service's own event loop the way
``rekam-edge run`` mounts it (:func:`start_dashboard_for_service`). A booth with its real
uplink goes online and offline, and one sealed enrollment from its outbox changes the
coverage page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from broker_fixtures import Office, office
from edge_db_fixtures import VillageCount, insert_residents, synthetic_roster
from ingest_fixtures import (
    BoothKit,
    RunningEdge,
    booth,
    edge_config,
    kk_for,
    nik_for,
    register,
)
from web_fixtures import REPO, SUPERVISOR

from edge_controller.ingest.db import connect, transaction
from edge_controller.web.auth import user_add
from edge_controller.web.serve import Dashboard
from ektp.i18n_build import compile_catalogs

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
TIMEOUT = 45.0


def seed(database: Path) -> None:
    """A roster where the booth's first packet (NIK ``nik_for(1)``) is a Sambakungan resident."""
    conn = connect(database)
    try:
        villages = (VillageCount("Sambakungan", 4, 30), VillageCount("Gunung Tabur", 3, 20))
        residents = [
            r
            for r in synthetic_roster(villages, adult_on=dt.date(2026, 3, 1))
            if r.nik != nik_for(1)
        ]
        insert_residents(conn, residents)
        with transaction(conn):
            conn.execute(
                "INSERT INTO residents (nik, kk, name, sex, birth_date, kelurahan, rt, rw, married,"
                " card_status) VALUES (?, ?, 'Siti Aminah', 'female', '1990-02-14', 'Sambakungan',"
                " 1, 1, 0, 'not_recorded')",
                (nik_for(1), kk_for(1)),
            )
    finally:
        conn.close()
    user_add(database, *SUPERVISOR, "supervisor", "Pak Camat")


@pytest.fixture
def edge(office: Office, tmp_path: Path, booth: BoothKit) -> Iterator[RunningEdge]:
    web = {
        "host": "127.0.0.1",
        "port": 0,
        "session_secret_path": str(tmp_path / "web-session.key"),
        "dashboard_refresh_seconds": 0,
    }
    config = edge_config(office, tmp_path, web=web)
    register(config, booth)
    seed(config.database.path)
    compile_catalogs(REPO)
    running = RunningEdge(config)
    yield running
    running.stop()


@pytest.fixture
def dashboard(edge: RunningEdge) -> Dashboard:
    """The dashboard the edge service itself serves (``[web]`` in its config)."""
    assert edge.service.dashboard is not None
    return edge.service.dashboard


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def reload_until(page: Any, condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Reload the page until ``condition()`` holds (the pages are server-rendered)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
        page.reload()


def booth_state(page: Any) -> str | None:
    row = page.locator('tr[data-booth="booth-01"]')
    return row.get_attribute("data-state") if row.count() else None


def recorded_in(page: Any, kelurahan: str) -> str:
    return page.locator(f'tr[data-kelurahan="{kelurahan}"] td.recorded').inner_text().strip()


def test_supervisor_sees_a_booth_come_and_go_and_coverage_grow(
    dashboard: Dashboard, booth: BoothKit, browser: Any, artifacts_dir: Path
) -> None:
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT * 1000)

    page.goto(f"{dashboard.url}/booths")
    assert "/login" in page.url  # not open to anyone on the LAN
    page.fill("#username", SUPERVISOR[0])
    page.fill("#password", SUPERVISOR[1])
    page.click("#login")
    page.wait_for_url(f"{dashboard.url}/booths")
    assert page.locator("h1").inner_text() == "Loket"  # Indonesian first
    assert booth_state(page) == "unknown"  # registered, never heard from

    uplink = booth.uplink(health_interval_seconds=0.5)
    uplink.start()
    assert reload_until(page, lambda: booth_state(page) == "online")
    assert page.locator('tr[data-booth="booth-01"] .booth-state').inner_text() == "daring"
    page.screenshot(path=str(artifacts_dir / "web_booth_online.png"), full_page=True)

    uplink.stop(timeout=10.0)
    assert reload_until(page, lambda: booth_state(page) == "offline")

    page.goto(f"{dashboard.url}/coverage")
    assert recorded_in(page, "Sambakungan") == "0"
    booth.commit()  # a sealed enrollment of nik_for(1), waiting in the booth's outbox
    booth.uplink(health_interval_seconds=0.5).start()
    assert reload_until(page, lambda: recorded_in(page, "Sambakungan") == "1")
    assert recorded_in(page, "Gunung Tabur") == "0"
    assert page.locator('svg.chart g.bar[data-kelurahan="Sambakungan"]').count() == 1

    page.click("#lang-en")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Coverage"
    page.screenshot(path=str(artifacts_dir / "web_coverage.png"), full_page=True)
    page.close()
