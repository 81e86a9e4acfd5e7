"""Following mosquitto's log file as logrotate and restarts treat it."""

from __future__ import annotations

from pathlib import Path

from edge_controller.booths.broker_events import TakeoverTracker, broker_event_changes
from edge_controller.booths.monitor import AlertChange, BoothMonitor
from edge_controller.broker.log_watch import (
    BrokerLogWatch,
    Connected,
    DeniedPublish,
    RetainedPublish,
    Subscribed,
    Takeover,
)
from edge_controller.config.health import HealthConfig

# lines as mosquitto 2.0.11 writes them with the generated config
CONNECTED = "2026-12-06T17:05:04: New client connected from 10.0.0.7:50992 as booth-01 (p5, c1, k30, u'booth-01').\n"  # noqa: E501
TAKEOVER = "2026-12-06T17:05:05: Client booth-01 already connected, closing old connection.\n"
SUBSCRIBED = "2026-12-06T17:05:06: booth-01 1 booths/booth-02/#\n"
DENIED = "2026-12-06T17:05:06: Denied PUBLISH from booth-01 (d0, q1, r0, m7, 'booths/booth-02/status', ... (7 bytes))\n"  # noqa: E501
RETAINED = "2026-12-06T17:05:06: Received PUBLISH from booth-01 (d0, q1, r1, m8, 'booths/booth-01/enrollments', ... (60211 bytes))\n"  # noqa: E501
NOT_RETAINED = "2026-12-06T17:05:06: Received PUBLISH from booth-01 (d0, q1, r0, m9, 'booths/booth-01/enrollments', ... (60211 bytes))\n"  # noqa: E501
OTHER = "2026-12-06T17:05:06: Sending PUBACK to booth-01 (m8, rc0)\n"


def test_each_line_the_edge_acts_on_is_recognised_and_others_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "mosquitto.log"
    log.write_text(CONNECTED + TAKEOVER + SUBSCRIBED + DENIED + RETAINED + NOT_RETAINED + OTHER)

    assert BrokerLogWatch(log, from_start=True).poll() == [
        Connected("booth-01", "10.0.0.7:50992"),
        Takeover("booth-01"),
        Subscribed("booth-01", "booths/booth-02/#"),
        DeniedPublish("booth-01", "booths/booth-02/status"),
        RetainedPublish("booth-01", "booths/booth-01/enrollments", 60211),
    ]


def test_the_watch_starts_at_the_end_and_follows_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "mosquitto.log"
    log.write_text(TAKEOVER)  # before the edge started: not counted again
    watch = BrokerLogWatch(log)
    assert watch.poll() == []

    with log.open("a") as out:
        out.write(DENIED[:40])  # half a line: nothing yet
    assert watch.poll() == []
    with log.open("a") as out:
        out.write(DENIED[40:])
    assert watch.poll() == [DeniedPublish("booth-01", "booths/booth-02/status")]

    log.rename(tmp_path / "mosquitto.log.1")  # logrotate, then mosquitto reopens on HUP
    log.write_text(TAKEOVER)
    assert watch.poll() == [Takeover("booth-01")]

    log.write_text(SUBSCRIBED)  # copytruncate: shorter than what was read
    assert watch.poll() == [Subscribed("booth-01", "booths/booth-02/#")]


def test_a_reconnect_after_a_dropped_link_is_not_a_takeover_alert_but_a_copy_is() -> None:
    monitor = BoothMonitor(HealthConfig())
    now = [0.0]
    takeovers = TakeoverTracker(window_seconds=600, clock=lambda: now[0])

    def connect(cn: str, address: str, *, taking_over: bool) -> list[str]:
        changes: list[AlertChange] = []
        if taking_over:
            changes += broker_event_changes(Takeover(cn), monitor, takeovers)[0]
        changes += broker_event_changes(Connected(cn, address), monitor, takeovers)[0]
        return [change.detail for change in changes if change.kind == "client_takeover"]

    assert connect("booth-01", "10.0.0.7:40001", taking_over=False) == []
    # the booth's link dropped; it came back before the broker noticed: same host, once
    assert connect("booth-01", "10.0.0.7:40002", taking_over=True) == []
    # another machine with booth-01's certificate
    assert connect("booth-01", "10.0.0.99:5000", taking_over=True) == [
        "certificate booth-01 connected a second time (from 10.0.0.99:5000); "
        "the broker closed its connection from 10.0.0.7:40002"
    ]
    # two clients on one host knocking each other off: the second time within the window
    now[0] = 10_000.0
    assert connect("booth-02", "10.0.0.8:1", taking_over=False) == []
    assert connect("booth-02", "10.0.0.8:2", taking_over=True) == []
    now[0] += 5.0
    assert len(connect("booth-02", "10.0.0.8:3", taking_over=True)) == 1
