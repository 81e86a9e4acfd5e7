"""The upstream page, its JSON twin, /metrics and the stale-backlog alert, as the office
sees them on the running edge service's dashboard.

A real edge service (broker, forwarder, dashboard over HTTP) holds three committed
packets received ten minutes ago; central is down and the alert age is three minutes.
The office must see the backlog and an office-level alert (raised once); when central
comes up the backlog drains, the receipts are stored and the alert clears. An alert
left open by an earlier run is closed when the edge starts with nothing stale.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge_controller.config.web import WebConfig
from edge_controller.ingest.db import connect
from edge_controller.upstream.alerts import STALE_BACKLOG
from edge_controller.web.deps import UpstreamView
from ektp.i18n_build import compile_catalogs
from tests.edge_controller.broker_fixtures import Office, running_office
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config
from tests.edge_controller.upstream.upstream_fixtures import (
    WITA,
    CentralProcess,
    Pki,
    commit_packets,
    make_packets,
    make_pki,
    run_forwarder,
    upstream_config,
    wait_for,
)
from tests.edge_controller.web_fixtures import (
    REPO,
    SUPERVISOR,
    add_edge_user,
    dashboard_client,
    log_in,
)

TIMEOUT = 60.0


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


class Dashboard:
    """A logged-in office PC talking to the edge's real dashboard server."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        assert log_in(self.client, *SUPERVISOR).status_code == 303

    def json(self, path: str) -> Any:
        answer = self.client.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def html(self, path: str) -> str:
        answer = self.client.get(path)
        assert answer.status_code == 200
        return answer.text

    def metrics(self) -> dict[str, float]:
        samples = {}
        for line in self.client.get("/metrics").text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        return samples

    def stale_alerts(self) -> list[dict[str, Any]]:
        return [a for a in self.json("/api/v1/alerts") if a["kind"] == STALE_BACKLOG]


def cell(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found, f"no #{element_id} on the page"
    return found.group(1).strip()


def stale_rows(db: Path) -> list[Any]:
    conn = connect(db)
    try:
        return conn.execute("SELECT * FROM alerts WHERE kind = ?", (STALE_BACKLOG,)).fetchall()
    finally:
        conn.close()


@pytest.fixture
def central(tmp_path: Path, seeded: tuple[Path, Pki]) -> Iterator[CentralProcess]:
    """Central, down until the test starts it; stopped at the end."""
    process = CentralProcess(seeded[1], tmp_path / "central")
    yield process
    process.stop()


@pytest.fixture
def start_edge(
    office: Office, tmp_path: Path, seeded: tuple[Path, Pki], central: CentralProcess
) -> Iterator[Callable[[], RunningEdge]]:
    """Starts the edge service on the seeded database (its forwarder sends to ``central``,
    its dashboard serves over HTTP); each edge started is stopped at the end."""
    upstream = upstream_config(
        seeded[1], central.port, alert_unsent_after_hours=0.05, link_capacity_kbit=800
    )
    web = {"host": "127.0.0.1", "port": 0, "session_secret_path": str(tmp_path / "web.key")}
    config = edge_config(office, tmp_path, upstream=upstream, web=web)
    started: list[RunningEdge] = []

    def start() -> RunningEdge:
        started.append(RunningEdge(config))
        return started[-1]

    yield start
    for edge in started:
        edge.stop()


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, Pki]:
    """Three packets committed ten minutes ago, a supervisor, and the catalogs."""
    compile_catalogs(REPO)
    pki_root = tmp_path / "pki"
    pki_root.mkdir()
    pki = make_pki(pki_root)
    db = tmp_path / "edge.sqlite3"
    commit_packets(db, pki, make_packets(pki, 3, photo_bytes=2_000))
    add_edge_user(db, SUPERVISOR, "supervisor")
    return db, pki


def test_a_stale_backlog_is_shown_alerted_once_and_cleared_when_it_drains(
    seeded: tuple[Path, Pki], central: CentralProcess, start_edge: Callable[[], RunningEdge]
) -> None:
    db, _ = seeded
    edge = start_edge()
    assert edge.service.dashboard is not None
    board = Dashboard(edge.service.dashboard.url)

    # central is down: the forwarder waits to retry; the backlog is stale
    wait_for(board.stale_alerts, TIMEOUT, "the stale-backlog alert")
    [alert] = board.stale_alerts()
    assert alert["booth_id"] is None  # an office alert, not a booth's
    status = wait_for(
        lambda: (s := board.json("/api/v1/upstream"))["state"] == "backing_off" and s,
        TIMEOUT,
        "the forwarder to back off",
    )
    assert status["configured"]
    assert status["pending_packets"] == 3
    assert status["backlog_enrollments"] == 3
    assert status["alert"]
    assert status["oldest_unsent_age_seconds"] > 9 * 60
    assert status["receipts_stored"] == 0
    assert status["next_attempt_at"] is not None
    cap = status["bandwidth_cap"]
    expected = 50_000 if cap["in_office_hours"] else 100_000  # 800 kbit/s, 50 % by day
    assert cap["bytes_per_second"] == expected

    page = board.html("/upstream")
    assert "Data menunggu terlalu lama" in page
    assert cell(page, "upstream-pending") == "3"
    assert cell(page, "upstream-state").startswith("menunggu untuk mencoba lagi")
    assert "menit lalu" in cell(page, "upstream-oldest")
    assert cell(page, "upstream-cap").startswith("400 kbit/s" if expected == 50_000 else "800")
    overview = board.html("/")
    assert 'data-kind="upstream_stale"' in overview
    assert "Data terlalu lama menunggu untuk dikirim ke pusat" in overview

    metrics = board.metrics()
    assert metrics["rekam_upstream_backlog_items"] == 3
    assert metrics["rekam_upstream_backlog_bytes"] == status["backlog_bytes"]
    assert metrics["rekam_upstream_alert"] == 1
    assert metrics['rekam_alerts_open{booth="",kind="upstream_stale"}'] == 1

    # central comes up: everything drains, receipts are stored, the alert clears
    central.start()
    drained = wait_for(
        lambda: (s := board.json("/api/v1/upstream"))["receipts_stored"] == 3 and s,
        TIMEOUT,
        "the backlog to drain",
    )
    assert drained["pending_packets"] == 0
    assert drained["oldest_unsent_age_seconds"] is None
    assert drained["last_forwarded_at"] is not None
    wait_for(lambda: not board.stale_alerts(), TIMEOUT, "the alert to clear")
    page = board.html("/upstream")
    assert "Data menunggu terlalu lama" not in page
    assert cell(page, "upstream-receipts") == "3"
    metrics = board.metrics()
    assert metrics["rekam_upstream_receipts_stored"] == 3
    assert metrics["rekam_upstream_alert"] == 0
    assert len(central.stored()) == 3
    edge.stop()
    [row] = stale_rows(db)  # raised once, then cleared
    assert row["booth_id"] is None
    assert row["cleared_at"] is not None


def test_an_alert_left_open_is_closed_when_the_edge_starts_with_nothing_stale(
    seeded: tuple[Path, Pki], central: CentralProcess, start_edge: Callable[[], RunningEdge]
) -> None:
    db, pki = seeded
    first = start_edge()
    wait_for(lambda: stale_rows(db), TIMEOUT, "the stale-backlog alert")
    first.stop()
    assert stale_rows(db)[0]["cleared_at"] is None  # the edge stopped with the alert open

    central.start()  # the backlog drains while this edge is down (as another run would)
    asyncio.run(run_forwarder(upstream_config(pki, central.port), db))
    edge = start_edge()
    wait_for(lambda: stale_rows(db)[0]["cleared_at"], TIMEOUT, "the alert to close")
    assert edge.service.dashboard is not None
    assert not Dashboard(edge.service.dashboard.url).stale_alerts()
    edge.stop()
    assert len(stale_rows(db)) == 1


def test_the_page_without_a_forwarder_counts_the_backlog_and_shows_the_cap_schedule(
    tmp_path: Path, seeded: tuple[Path, Pki]
) -> None:
    db, pki = seeded
    config = upstream_config(pki, 443, link_capacity_kbit=1000)
    tuesday_10 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=WITA)
    with dashboard_client(
        db,
        SUPERVISOR,
        upstream=lambda: UpstreamView(config=config),
        clock=lambda: tuesday_10,
        web=WebConfig(dashboard_refresh_seconds=0, session_secret_path=tmp_path / "web.key"),
    ) as client:
        status = client.get("/api/v1/upstream").json()
        assert status["state"] == "not_configured"
        assert status["pending_packets"] == 3
        assert status["bandwidth_cap"]["bytes_per_second"] == 62_500  # half of 1 Mbit/s
        assert status["bandwidth_cap"]["in_office_hours"]
        page = client.get("/upstream").text
        assert cell(page, "upstream-pending") == "3"
        assert cell(page, "upstream-cap") == "500 kbit/s (jam kantor)"
        schedule = cell(page, "upstream-cap-schedule")
        assert "08:00–16:00" in schedule
        assert "50% dari 1.000 kbit/s" in schedule
        assert "Sen" in schedule
