"""Issue 16, item 5: the resident presses the booth's call button; the booth chimes, its
outbox carries the call to the edge through the real office broker, and the dashboard's
queue page says the booth asks for an operator until the booth next calls a ticket.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge_controller.booths.events import record_booth_event
from ektp.messages import OPERATOR_CALL_EVENT, EventMessage
from hardware.gpio import EmulatedBoothGpio
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import load_booth_config
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config, running_edge
from tests.edge_controller.web_fixtures import NOW, OPERATOR, add_edge_user, dashboard_client
from tests.edge_controller.web_fixtures import Office as WebOffice
from tests.kiosk.booth_fixtures import write_booth_config

GPIO = '[hardware.gpio]\nbackend = "emulated"\n'
WAIT_S = 30.0
CALL_MARK = 'data-operator-call="booth-01"'


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


@pytest.fixture
def edge(office: Office, tmp_path: Path) -> Iterator[RunningEdge]:
    yield from running_edge(edge_config(office, tmp_path))


@pytest.fixture
def booth(
    office: Office, edge: RunningEdge, tmp_path: Path, smartcard_pcscd: object
) -> Iterator[Booth]:
    setup = write_booth_config(tmp_path / "booth", extra=GPIO + office.booth_toml("booth-01"))
    built = build_booth(load_booth_config(setup.config_path))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def dashboard(edge: RunningEdge) -> Iterator[TestClient]:
    """The office's dashboard on the edge's database, an operator logged in."""
    database = edge.config.database.path
    add_edge_user(database, OPERATOR, "operator", display_name="Operator Satu")
    config = edge.config
    with dashboard_client(
        database, OPERATOR, office_name=config.office_name, timezone=config.timezone
    ) as client:
        yield client


def received_calls(edge: RunningEdge) -> int:
    conn = edge.db()
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM booth_events WHERE booth_id = 'booth-01' AND name = ?",
            (OPERATOR_CALL_EVENT,),
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


def test_the_call_button_asks_the_office_for_an_operator(
    booth: Booth, edge: RunningEdge, dashboard: TestClient
) -> None:
    assert booth.signals is not None
    assert isinstance(booth.signals.gpio, EmulatedBoothGpio)
    gpio = booth.signals.gpio
    assert booth.uplink is not None
    assert wait_for(lambda: booth.uplink is not None and booth.uplink.connected, WAIT_S)
    assert CALL_MARK not in dashboard.get("/queue").text

    gpio.press_call_button()
    assert booth.signals.wait_until_quiet(WAIT_S)
    chime = [s.state for s in gpio.mock_pin("buzzer").states]
    assert chime.count(True) == 2  # ding-dong at the booth

    assert wait_for(lambda: CALL_MARK in dashboard.get("/queue").text, WAIT_S)
    page = dashboard.get("/queue").text
    assert "Loket booth-01 meminta operator" in page  # the dashboard speaks Indonesian first
    gpio.press_call_button()  # the impatient second press asks once
    assert booth.signals.wait_until_quiet(WAIT_S)
    assert received_calls(edge) == 1
    assert booth.signals.calls_sent == 1

    assert booth.tickets.call_next("booth-01") is None  # the operator is back: next, please
    assert wait_for(lambda: CALL_MARK not in dashboard.get("/queue").text, WAIT_S)


def received(office: WebOffice, booth_id: str, kind: str, name: str, at: dt.datetime) -> None:
    event = EventMessage(
        booth_id=booth_id,
        event_id=uuid.uuid4(),
        at=at,
        kind=kind,
        name=name,  # type: ignore[arg-type]
    )
    conn = office.db()
    try:
        record_booth_event(conn, event, at)
    finally:
        conn.close()


def test_a_call_shows_until_its_booth_acts_and_only_on_its_day(
    web_office: WebOffice, operator: TestClient
) -> None:
    minutes = dt.timedelta(minutes=1)
    received(web_office, "booth-01", "audit", OPERATOR_CALL_EVENT, NOW - dt.timedelta(days=1))
    received(web_office, "booth-01", "ticket_called", "call_next", NOW - 30 * minutes)
    assert CALL_MARK not in operator.get("/queue").text  # yesterday's call is over

    received(web_office, "booth-01", "audit", OPERATOR_CALL_EVENT, NOW - 20 * minutes)
    received(web_office, "booth-01", "audit", OPERATOR_CALL_EVENT, NOW - 10 * minutes)
    received(web_office, "booth-02", "ticket_called", "call_next", NOW - 5 * minutes)
    page = operator.get("/queue").text
    assert CALL_MARK in page  # another booth's operator does not answer it
    assert "2 panggilan" in page
    assert 'data-operator-call="booth-02"' not in page

    received(web_office, "booth-01", "ticket_called", "call_next", NOW - minutes)
    assert CALL_MARK not in operator.get("/queue").text
