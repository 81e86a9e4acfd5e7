"""Fixtures for the dashboard tests: a seeded edge database, users, a booth registry, an app.

The booth registry is the real :class:`~edge_controller.booths.monitor.BoothMonitor`, fed the
same parsed status and health messages the service feeds it; the queue is the real
:class:`~edge_controller.queue.OfficeQueue` in the same database.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from edge_controller.booths.monitor import BoothMonitor
from edge_controller.config.health import HealthConfig
from edge_controller.config.queue import QueueConfig
from edge_controller.config.web import WebConfig
from edge_controller.ingest.db import connect
from edge_controller.queue import OfficeQueue
from edge_controller.roster.secret import office_roster_secret
from edge_controller.web.app import create_app
from edge_controller.web.auth import add_user
from edge_controller.web.deps import WebDeps
from ektp.i18n_build import compile_catalogs
from ektp.kk import build_kk
from ektp.messages import DeviceHealth, EventMessage, HealthMessage, StatusMessage
from kiosk.uplink.events import check_in_event
from tests.edge_controller.edge_db_fixtures import VillageCount, insert_residents, synthetic_roster

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 WITA, a Tuesday
VILLAGES = (
    VillageCount("Sambakungan", rt_count=6, wajib_ktp=60),
    VillageCount("Gunung Tabur", rt_count=4, wajib_ktp=40),
)
SUPERVISOR = ("camat", "rahasia-camat-1")
OPERATOR = ("operator1", "rahasia-op-1")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_SECRET = "test-secret-" + "x" * 40


def csrf_from(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Office:
    """The seeded world behind a dashboard: database, registry, clock."""

    database_path: Path
    monitor: BoothMonitor
    now: dt.datetime = NOW

    def db(self) -> sqlite3.Connection:
        return connect(self.database_path)

    def booth_online(self, booth_id: str, outbox_depth: int = 0, **devices: DeviceHealth) -> None:
        at = time.time()
        self.monitor.on_status(
            StatusMessage(booth_id=booth_id, state="online", software_version="0.1.0"), at
        )
        self.monitor.on_health(
            HealthMessage(
                booth_id=booth_id,
                at=dt.datetime.fromtimestamp(at, dt.UTC),
                devices=devices or {"fingerprint": DeviceHealth(state="ok")},
                outbox_depth=outbox_depth,
                disk_free_bytes=8_000_000_000,
                cpu_temperature_c=51.5,
            ),
            at,
        )

    def booth_offline(self, booth_id: str) -> None:
        self.monitor.on_status(
            StatusMessage(booth_id=booth_id, state="offline", software_version="0.1.0"),
            time.time(),
        )

    def check_in(self, kelurahan: str = "Sambakungan", serial: int = 1) -> None:
        conn = self.db()
        try:
            nik = conn.execute(
                "SELECT nik, kk FROM residents WHERE kelurahan = ? ORDER BY nik LIMIT 1 OFFSET ?",
                (kelurahan, serial - 1),
            ).fetchone()
            event = check_in_event(  # sealed with the office secret, as a booth does
                "booth-01",
                nik=nik[0],
                kk=nik[1] or build_kk("640306", dt.date(2010, 1, 1), 1),
                kelurahan=kelurahan,
                service="new_recording",
                at=self.now,
                secret=office_roster_secret(conn),
            )
            queue = OfficeQueue(conn, QueueConfig(), WebDeps(self.database_path).timezone)
            queue.apply(event, self.now)
        finally:
            conn.close()

    def call_next(self, booth_id: str) -> None:
        conn = self.db()
        try:
            OfficeQueue(conn, QueueConfig(), WebDeps(self.database_path).timezone).call_next(
                booth_id, self.now
            )
        finally:
            conn.close()

    def deps(self, **changes: Any) -> WebDeps:
        values: dict[str, Any] = {
            "booths": lambda: self.monitor.snapshot(time.time()),
            "office_name": "Kecamatan Gunung Tabur",
            "clock": lambda: self.now,
        }
        values.update(changes)
        return dashboard_deps(self.database_path, **values)


def seed_office(root: Path) -> Office:
    compile_catalogs(REPO)
    path = root / "edge.sqlite3"
    conn = connect(path)
    try:
        insert_residents(conn, synthetic_roster(VILLAGES, adult_on=TODAY))
        add_user(conn, *SUPERVISOR, "supervisor", display_name="Pak Camat")
        add_user(conn, *OPERATOR, "operator", display_name="Operator Satu")
    finally:
        conn.close()
    return Office(path, BoothMonitor(HealthConfig(heartbeat_timeout_seconds=600)))


def dashboard_deps(database_path: Path, **changes: Any) -> WebDeps:
    """The dashboard's dependencies on an edge database: a fixed session secret, no
    auto-refresh, and ``changes``."""
    values: dict[str, Any] = {
        "session_secret": SESSION_SECRET,
        "web": WebConfig(dashboard_refresh_seconds=0),
    }
    values.update(changes)
    return WebDeps(database_path=database_path, **values)


def add_edge_user(
    database_path: Path, user: tuple[str, str], role: str, display_name: str = ""
) -> None:
    """``user`` (name, password) added to the edge database in ``role``."""
    conn = connect(database_path)
    try:
        add_user(conn, *user, role, display_name=display_name)
    finally:
        conn.close()


@contextmanager
def dashboard_client(
    database_path: Path, user: tuple[str, str], **changes: Any
) -> Iterator[TestClient]:
    """A browser on the dashboard of this edge database, ``user`` (name, password) logged in
    (the catalogs compiled first: the dashboard speaks Indonesian and English)."""
    compile_catalogs(REPO)
    with TestClient(create_app(dashboard_deps(database_path, **changes))) as client:
        assert log_in(client, *user).status_code == 303
        yield client


def log_in(
    client: httpx.Client,
    username: str,
    password: str,
    *,
    next_page: str = "/",
    login_page: str = "/login",
) -> Any:
    """Submit the login form found on ``login_page``, asking to go on to ``next_page``."""
    token = csrf_from(client.get(login_page).text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_page},
        follow_redirects=False,
    )


def add_user_by_form(
    client: TestClient,
    username: str,
    password: str,
    role: str,
    *,
    form_page: str = "/users",
    **more: str,
) -> Any:
    """Post the users page's "add a user" form (its CSRF token read from ``form_page``)."""
    token = csrf_from(client.get(form_page).text)
    data = {"username": username, "password": password, "role": role, **more, "csrf_token": token}
    return client.post("/users", data=data)


@pytest.fixture
def web_office(tmp_path: Path) -> Office:
    return seed_office(tmp_path)


@pytest.fixture
def web_app(web_office: Office) -> FastAPI:
    return create_app(web_office.deps())


@pytest.fixture
def anonymous(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as client:
        yield client


@pytest.fixture
def supervisor(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as client:
        assert log_in(client, *SUPERVISOR).status_code == 303
        yield client


@pytest.fixture
def operator(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as client:
        assert log_in(client, *OPERATOR).status_code == 303
        yield client
