"""The edge watching the office broker: what a booth certificate cannot do, and what the
office sees when someone tries — real mosquitto, real office-CA certificates, the edge
service following the broker's own log, and the booths page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.booths.monitor import Alert, BoothView, open_alerts
from edge_controller.ingest.checks import count_packets
from ektp.mqtt.errors import MqttNotAuthorized
from ektp.mqtt.message import ReceivedMessage
from tests.edge_controller.broker_fixtures import (
    OBSERVER_IDENTITY,
    Inbox,
    Office,
    office,
    wait_for,
)
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    booth,
    edge_config,
    make_booth,
    register,
)
from tests.edge_controller.web_fixtures import SUPERVISOR, add_edge_user, dashboard_client

__all__ = ["booth", "office"]

ENROLLMENTS = "booths/booth-01/enrollments"


def start_edge(office: Office, root: Path, *booths: BoothKit) -> RunningEdge:
    """The edge service for this office, following the office broker's log."""
    config = edge_config(office, root, broker_log_path=str(office.broker.log_path))
    register(config, *booths)
    return RunningEdge(config)


@pytest.fixture
def edge(office: Office, tmp_path: Path, booth: BoothKit) -> Iterator[RunningEdge]:
    running = start_edge(office, tmp_path, booth)
    yield running
    running.stop()


def view_of(edge: RunningEdge, booth_id: str) -> BoothView | None:
    views = {view.booth_id: view for view in edge.service.snapshot_from_thread().booths}
    return views.get(booth_id)


def alerts_of(edge: RunningEdge, kind: str) -> list[Alert]:
    conn = edge.db()
    try:
        return [alert for alert in open_alerts(conn) if alert.kind == kind]
    finally:
        conn.close()


def open_alerts_for(edge: RunningEdge, booth_id: str) -> list[Alert]:
    conn = edge.db()
    try:
        return open_alerts(conn, booth_id)
    finally:
        conn.close()


def retained_now(office: Office, topic: str) -> list[ReceivedMessage]:
    """What a client subscribing to ``topic`` right now gets as retained messages.

    mosquitto sends a subscription's retained messages right after its SUBACK, so they
    are in the inbox once a later subscription is acknowledged.
    """
    observer = office.client(OBSERVER_IDENTITY)
    inbox = Inbox()
    try:
        observer.subscribe(topic, inbox)
        observer.subscribe("office/power", Inbox())
        return [m for m in inbox.messages if m.topic == topic and m.retain]
    finally:
        observer.stop(publish_offline=False, timeout=2.0)


def booths_page(edge: RunningEdge) -> str:
    """The booths page as the office supervisor sees it."""
    database = edge.config.database.path
    add_edge_user(database, SUPERVISOR, "supervisor", display_name="Pak Camat")
    snapshot = edge.service.snapshot_from_thread
    with dashboard_client(database, SUPERVISOR, booths=lambda: snapshot().booths) as client:
        return client.get("/booths?lang=en").text


def booth_row(page: str, booth_id: str) -> str:
    found = re.search(rf'<tr data-booth="{booth_id}".*?</tr>', page, re.S)
    assert found, f"{booth_id} is not on the booths page"
    return found.group(0)


def test_a_booth_reads_nothing_of_another_booth_and_its_refusals_show_on_the_booths_page(
    office: Office, edge: RunningEdge
) -> None:
    office.client("booth-02")  # publishes its retained online status
    assert wait_for(lambda: bool(retained_now(office, "booths/booth-02/status")))

    spy = office.client("booth-01")
    inbox = Inbox()
    for topic_filter in ("#", "booths/booth-02/#", "booths/+/acks"):
        spy.subscribe(topic_filter, inbox)  # mosquitto 2.0.11 grants them...
    spy.subscribe("booths/booth-01/acks", inbox)  # (its own: no refusal)
    # ...but the retained messages they match, sent before this last SUBACK, were only
    # those booth-01 may read
    assert not [m.topic for m in inbox.messages if not m.topic.startswith("office/")]
    for topic in ("booths/booth-02/status", "booths/booth-02/enrollments"):
        with pytest.raises(MqttNotAuthorized):
            spy.publish_and_wait(topic, {"v": 1, "state": "online"})

    assert wait_for(
        lambda: (
            (view := view_of(edge, "booth-01")) is not None
            and (view.denied_publishes, view.denied_subscribes) == (2, 3)
        )
    )
    row = booth_row(booths_page(edge), "booth-01")
    assert "2 publikasi, 3 langganan" in row  # refused publishes, subscriptions


def test_a_retained_enrollment_is_cleared_alerted_and_never_ingested(
    office: Office, tmp_path: Path, booth: BoothKit
) -> None:
    # put there while the edge is away: it comes back as a retained copy on subscribe
    forger = office.client("booth-01", status_topic=None)
    packet = booth.seal()
    forger.publish_and_wait(ENROLLMENTS, packet.data, retain=True)
    assert len(retained_now(office, ENROLLMENTS)) == 1

    edge = start_edge(office, tmp_path, booth)
    try:
        assert wait_for(lambda: bool(alerts_of(edge, "retained_message")))
        assert wait_for(lambda: not retained_now(office, ENROLLMENTS))
        [alert] = alerts_of(edge, "retained_message")
        assert (alert.booth_id, alert.subject) == ("booth-01", "enrollments")
        assert ENROLLMENTS in alert.detail
        conn = edge.db()
        try:
            assert count_packets(conn) == 0  # the retained copy was never ingested
        finally:
            conn.close()

        # one put there while the edge runs is cleared too (seen in the broker's log)
        forger.publish_and_wait(ENROLLMENTS, booth.seal().data, retain=True)
        assert wait_for(lambda: not retained_now(office, ENROLLMENTS))
        assert len(alerts_of(edge, "retained_message")) == 1  # still the one open alert
    finally:
        edge.stop()


def test_a_second_connection_with_one_certificate_raises_an_alert_naming_it(
    office: Office, edge: RunningEdge
) -> None:
    office.client("booth-01")
    # a copy of booth-01's certificate: the two clients knock each other off, again and
    # again (one takeover from the same host alone would be a reconnect after a drop)
    office.client("booth-01")

    assert wait_for(lambda: bool(alerts_of(edge, "client_takeover")))
    [alert] = alerts_of(edge, "client_takeover")
    assert (alert.booth_id, alert.subject) == ("booth-01", "booth-01")
    assert "certificate booth-01" in alert.detail


def test_a_certificate_the_edge_never_registered_shows_as_unregistered_with_one_alert(
    office: Office, edge: RunningEdge, tmp_path: Path
) -> None:
    stranger = make_booth(office, tmp_path / "stranger", "booth-99")  # the office CA signed it
    try:
        stranger.uplink(health_interval_seconds=0.2).start()

        def reports() -> set[object]:
            view = view_of(edge, "booth-99")
            if view is not None and view.health is not None:
                heard.add(view.health.at)
            return heard

        heard: set[object] = set()
        assert wait_for(lambda: len(reports()) >= 3)  # status, then health reports
        view = view_of(edge, "booth-99")
        assert view is not None
        assert view.state == "unregistered"
        alerts = open_alerts_for(edge, "booth-99")
        assert [(a.booth_id, a.kind) for a in alerts] == [("booth-99", "unregistered_certificate")]
        row = booth_row(booths_page(edge), "booth-99")
        assert 'data-state="unregistered"' in row
        assert "tidak terdaftar" in row  # "unregistered", not "online"
    finally:
        stranger.close()
