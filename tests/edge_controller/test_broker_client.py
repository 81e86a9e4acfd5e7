"""The MQTT client against the real broker: availability, reconnects, nothing dropped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError, MqttNotConnected
from tests.edge_controller.broker_fixtures import (
    CONNECT_TIMEOUT,
    Inbox,
    Office,
    office,
    wait_for,
)

ONLINE = {"v": 1, "state": "online"}
OFFLINE = {"v": 1, "state": "offline"}


def retained_status(office: Office, booth_id: str) -> object:
    """What a dashboard connecting now would see as the booth's status."""
    inbox = Inbox()
    viewer = office.client("edge")
    try:
        viewer.subscribe(f"booths/{booth_id}/status", inbox)
        messages = inbox.wait_for_count(1)
        assert messages, "no retained status"
        assert messages[0].retain
        return messages[0].json()
    finally:
        viewer.stop(publish_offline=False)


def test_dead_connection_publishes_offline_then_the_booth_comes_back(office: Office) -> None:
    edge = office.client("edge")
    statuses = Inbox()
    edge.subscribe("booths/booth-01/status", statuses)
    booth = office.client("booth-01")
    assert wait_for(lambda: statuses.payloads() == [ONLINE])

    # the network goes away under the booth without an MQTT DISCONNECT
    booth_socket = booth.paho_client.socket()
    assert isinstance(booth_socket, socket.socket)
    booth_socket.shutdown(socket.SHUT_RDWR)

    assert wait_for(lambda: statuses.payloads()[:2] == [ONLINE, OFFLINE])
    assert wait_for(lambda: statuses.payloads()[2:] == [ONLINE], timeout=CONNECT_TIMEOUT)
    assert booth.connected.is_set()


def test_killed_booth_process_leaves_retained_offline(office: Office, tmp_path: Path) -> None:
    config = office.client_config("booth-03")
    script = textwrap.dedent(
        f"""
        import time
        from ektp.mqtt.client import MqttClient
        from ektp.mqtt.config import MqttClientConfig
        client = MqttClient(MqttClientConfig.model_validate_json({config.model_dump_json()!r}))
        client.start()
        client.wait_until_connected(60)
        print("connected", flush=True)
        time.sleep(600)
        """
    )
    booth = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert booth.stdout is not None
        assert booth.stdout.readline().strip() == "connected"
        assert retained_status(office, "booth-03") == ONLINE
    finally:
        booth.send_signal(signal.SIGKILL)
        booth.wait(timeout=30)

    assert wait_for(lambda: retained_status(office, "booth-03") == OFFLINE)


def test_clean_stop_leaves_retained_offline(office: Office) -> None:
    booth = office.client("booth-04")
    booth.stop()
    assert retained_status(office, "booth-04") == OFFLINE


def test_publish_while_the_broker_is_down_is_refused_not_dropped(office: Office) -> None:
    edge = office.client("edge")
    events = Inbox()
    edge.subscribe("booths/+/events", events)
    booth = office.client("booth-01")

    office.broker.stop()
    assert wait_for(lambda: not booth.connected.is_set())
    with pytest.raises(MqttNotConnected):
        booth.publish_and_wait("booths/booth-01/events", {"v": 1, "n": 1})

    office.broker.start()
    booth.wait_until_connected(CONNECT_TIMEOUT)
    edge.wait_until_connected(CONNECT_TIMEOUT)
    # the caller's outbox re-sends; the edge's subscription came back by itself
    assert wait_for(
        lambda: _publish_ok(booth, {"v": 1, "n": 1}) and bool(events.messages),
        timeout=CONNECT_TIMEOUT,
        interval=0.5,
    )
    assert [m.json()["n"] for m in events.messages][:1] == [1]


def _publish_ok(client: MqttClient, payload: dict[str, int]) -> bool:
    if not client.connected.is_set():
        return False
    try:
        client.publish_and_wait("booths/booth-01/events", payload)
    except MqttError:
        return False
    return True
