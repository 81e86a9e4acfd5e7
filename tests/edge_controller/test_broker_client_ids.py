"""The office broker forces each client id to the certificate CN.

A booth with a valid certificate used to be able to connect with client id ``edge``
or ``booth-02`` and knock that client off (MQTT session take-over). Now the client id
it claims is replaced by its CN, so the edge and the other booths keep their sessions.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from broker_fixtures import (
    CONNECT_TIMEOUT,
    OBSERVER_IDENTITY,
    Inbox,
    Office,
    office,
    wait_for,
)

from edge_controller.config.mosquitto import render_mosquitto_conf
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttNotAuthorized


class ConnectionLog:
    """Records every connection change of one client."""

    def __init__(self) -> None:
        self.changes: list[bool] = []

    def __call__(self, connected: bool) -> None:
        self.changes.append(connected)

    @property
    def drops(self) -> int:
        return self.changes.count(False)


def watched_client(office: Office, name: str) -> tuple[MqttClient, ConnectionLog]:
    """``name``'s connected client, and the log of its connection changes."""
    log = ConnectionLog()
    return office.client(name, on_connection_change=log), log


def assert_kept_its_connection(client: MqttClient, log: ConnectionLog) -> None:
    """``client`` is connected on its first connection: it never dropped."""
    assert client.connected.is_set()
    assert log.changes == [True]


def claim_client_id(office: Office, claimed: str) -> MqttClient:
    """booth-01's certificate connecting with client id ``claimed``: the broker takes it
    in under the certificate's name."""
    client = office.client("booth-01", client_id=claimed, status_topic=None)
    assert wait_for(lambda: "as booth-01 (" in office.broker.log_text())
    return client


def test_generated_mosquitto_conf_forces_the_client_id_to_the_certificate_cn(
    office: Office,
) -> None:
    conf = render_mosquitto_conf(office.broker.config, acl_path=Path("/etc/mosquitto/acl"))
    assert "use_identity_as_username true" in conf.splitlines()
    assert "use_username_as_clientid true" in conf.splitlines()


def test_booth_claiming_the_edge_client_id_does_not_disconnect_the_edge(office: Office) -> None:
    edge, edge_log = watched_client(office, "edge")
    events = Inbox()
    edge.subscribe("booths/+/events", events)

    # the broker takes it in under its certificate's name, and closes nobody
    impostor = claim_client_id(office, "edge")
    acks = Inbox()
    impostor.subscribe("booths/booth-01/acks", acks)
    assert "already connected" not in office.broker.log_text()
    # both sessions still work, in both directions
    impostor.publish_and_wait("booths/booth-01/events", {"v": 1, "kind": "marker"})
    assert [m.topic for m in events.wait_for_count(1)] == ["booths/booth-01/events"]
    edge.publish_and_wait("booths/booth-01/acks", {"v": 1, "packet_ids": []})
    assert acks.wait_for_count(1)
    assert_kept_its_connection(edge, edge_log)


def test_booth_claiming_another_booths_client_id_leaves_its_connection_alone(
    office: Office,
) -> None:
    booth_02, booth_02_log = watched_client(office, "booth-02")
    acks = Inbox()
    booth_02.subscribe("booths/booth-02/acks", acks)

    claim_client_id(office, "booth-02")

    office.client("edge").publish_and_wait("booths/booth-02/acks", {"v": 1, "packet_ids": []})
    assert acks.wait_for_count(1)
    assert_kept_its_connection(booth_02, booth_02_log)


def test_booth_claiming_another_booths_client_id_keeps_its_stored_session(
    office: Office,
) -> None:
    """booth-02 keeps a persistent session; booth-01 connecting as "booth-02" with a
    clean start while booth-02 is away must not wipe what is queued for booth-02."""
    persistent = {"session_expiry_seconds": 600, "status_topic": None}
    booth_02 = office.client("booth-02", **persistent)
    booth_02.subscribe("booths/booth-02/acks", Inbox())
    booth_02.stop(publish_offline=False)

    impostor = claim_client_id(office, "booth-02")
    impostor.stop(publish_offline=False)
    office.client("edge").publish_and_wait("booths/booth-02/acks", {"v": 1, "n": 7})

    # booth-02 comes back without subscribing again: the ack waits in its session
    received: list[bytes] = []
    arrived = threading.Event()

    def on_ack(_client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
        received.append(message.payload)
        arrived.set()

    back = MqttClient(office.client_config("booth-02", **persistent))
    back.paho_client.message_callback_add("booths/booth-02/acks", on_ack)
    office.started(back)
    assert arrived.wait(CONNECT_TIMEOUT)
    assert [json.loads(payload) for payload in received] == [{"v": 1, "n": 7}]


def test_a_technicians_observer_certificate_watches_booths_without_disturbing_the_edge(
    office: Office,
) -> None:
    edge, edge_log = watched_client(office, "edge")
    watched = Inbox()
    observer = office.client(OBSERVER_IDENTITY, status_topic=None)
    observer.subscribe("booths/#", watched)
    booth = office.client("booth-01", status_topic=None)

    booth.publish_and_wait("booths/booth-01/events", {"v": 1, "kind": "marker"})
    edge.publish_and_wait("booths/booth-01/acks", {"v": 1, "packet_ids": []})

    assert wait_for(lambda: len(watched.messages) >= 2)
    assert sorted(m.topic for m in watched.messages) == [
        "booths/booth-01/acks",
        "booths/booth-01/events",
    ]
    with pytest.raises(MqttNotAuthorized):  # it reads; it cannot speak for the office
        observer.publish_and_wait("office/power", {"v": 1})
    with pytest.raises(MqttNotAuthorized):
        observer.publish_and_wait("booths/booth-01/acks", {"v": 1})
    assert_kept_its_connection(edge, edge_log)
