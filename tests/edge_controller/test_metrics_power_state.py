"""/metrics reports the power state the watcher really has, UNKNOWN included.

The whole edge service with its dashboard, a real upsd + dummy-ups and the real TLS
broker: when upsd stops answering, Prometheus must see ``state="UNKNOWN"`` at 1 (it
used to list a lower-case "unknown" that never matched, so every state read 0).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from broker_fixtures import Office, office
from ingest_fixtures import RunningEdge, edge_config, running_edge
from power_fixtures import fast_power_config, wait_until
from prometheus_client.parser import text_string_to_metric_families
from web_fixtures import SUPERVISOR, log_in

from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.db import connect
from edge_controller.web.auth import add_user
from hardware.ups import EmulatedUps


@pytest.fixture
def edge(office: Office, tmp_path: Path) -> Iterator[RunningEdge]:
    config = _config(office, tmp_path)
    conn = connect(config.database.path)
    add_user(conn, *SUPERVISOR, "supervisor")
    conn.close()
    yield from running_edge(config)


def _config(office: Office, tmp_path: Path) -> EdgeConfig:
    return edge_config(
        office,
        tmp_path,
        power=fast_power_config(tmp_path / "shutdowns.txt").model_dump(mode="json"),
        web={"port": 0, "session_secret_path": str(tmp_path / "web-session.key")},
    )


def power_gauge(edge: RunningEdge) -> dict[str, float]:
    """``rekam_power_state`` by state, as Prometheus scrapes it (no login)."""
    dashboard = edge.service.dashboard
    assert dashboard is not None
    response = httpx.get(f"{dashboard.url}/metrics", timeout=30)
    assert response.status_code == 200
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        if family.name == "rekam_power_state":
            values.update({s.labels["state"]: s.value for s in family.samples})
    return values


def current_state(edge: RunningEdge) -> list[str]:
    return [state for state, value in power_gauge(edge).items() if value == 1.0]


def test_metrics_say_unknown_when_upsd_stops_answering(edge: RunningEdge) -> None:
    watcher = edge.service.power
    assert watcher is not None
    ups = watcher.ups
    assert isinstance(ups, EmulatedUps)
    wait_until(lambda: current_state(edge) == ["MAINS"], what="/metrics to say MAINS")

    ups.stop_server()

    wait_until(lambda: current_state(edge) == ["UNKNOWN"], what="/metrics to say UNKNOWN")
    gauge = power_gauge(edge)
    assert gauge["MAINS"] == 0.0
    assert "unknown" not in gauge  # one spelling, the watcher's

    dashboard = edge.service.dashboard
    assert dashboard is not None
    with httpx.Client(base_url=dashboard.url) as web:
        assert log_in(web, *SUPERVISOR).status_code == 303
        page = web.get("/power").text
    assert "UPS tidak menjawab" in page  # the supervisor is told why, in words
