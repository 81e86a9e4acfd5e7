"""The office broker's ACL, through the real mosquitto with TLS client certificates."""

from __future__ import annotations

import contextlib

import pytest

from ektp.mqtt.errors import NOT_AUTHORIZED, MqttNotAuthorized
from tests.edge_controller.broker_fixtures import Inbox, Office, office


def test_booth_status_reaches_the_edge(office: Office) -> None:
    edge = office.client("edge")
    inbox = Inbox()
    edge.subscribe("booths/+/health", inbox)
    booth = office.client("booth-01")

    booth.publish_and_wait("booths/booth-01/health", {"v": 1, "outbox_depth": 3})

    messages = inbox.wait_for_count(1)
    assert [(m.topic, m.json()) for m in messages] == [
        ("booths/booth-01/health", {"v": 1, "outbox_depth": 3})
    ]


def test_booth_cannot_publish_as_another_booth_even_with_its_client_id(office: Office) -> None:
    edge = office.client("edge")
    inbox = Inbox()
    edge.subscribe("booths/#", inbox)
    # booth-01's certificate, but it claims booth-02's client id
    impostor = office.client("booth-01", client_id="booth-02", status_topic=None)

    for topic in ("booths/booth-02/status", "booths/booth-02/enrollments"):
        with pytest.raises(MqttNotAuthorized) as refused:
            impostor.publish_and_wait(topic, {"v": 1, "state": "online"})
        assert refused.value.reason_code == NOT_AUTHORIZED

    # a message published afterwards arrives; the refused ones never did before it
    impostor.publish_and_wait("booths/booth-01/events", {"v": 1, "kind": "marker"})
    messages = inbox.wait_for_count(1)
    assert [m.topic for m in messages] == ["booths/booth-01/events"]


def test_booth_cannot_forge_acks_or_office_messages(office: Office) -> None:
    booth = office.client("booth-01")
    for topic in ("booths/booth-01/acks", "office/power", "office/queue", "booths/edge/acks"):
        with pytest.raises(MqttNotAuthorized):
            booth.publish_and_wait(topic, {"v": 1})


def test_booth_reads_its_own_acks_but_not_another_booths(office: Office) -> None:
    booth = office.client("booth-01")
    inbox = Inbox()
    with contextlib.suppress(MqttNotAuthorized):  # refusing it outright is fine too
        booth.subscribe("booths/booth-02/acks", inbox)
    booth.subscribe("booths/+/acks", inbox)
    edge = office.client("edge")

    edge.publish_and_wait("booths/booth-02/acks", {"v": 1, "packet_ids": ["for-02"]})
    edge.publish_and_wait("booths/booth-01/acks", {"v": 1, "packet_ids": ["for-01"]})

    messages = inbox.wait_for_count(1)
    assert [(m.topic, m.json()["packet_ids"]) for m in messages] == [
        ("booths/booth-01/acks", ["for-01"])
    ]


def test_booth_reads_office_topics_including_retained_state(office: Office) -> None:
    edge = office.client("edge")
    edge.publish_and_wait("office/power", {"v": 1, "source": "ON_BATTERY"}, retain=True)
    booth = office.client("booth-07")
    inbox = Inbox()

    booth.subscribe("office/#", inbox)
    edge.publish_and_wait("office/queue", {"v": 1, "waiting": [12, 13]})

    messages = inbox.wait_for_count(2)
    assert {m.topic: (m.retain, m.json()) for m in messages} == {
        "office/power": (True, {"v": 1, "source": "ON_BATTERY"}),
        "office/queue": (False, {"v": 1, "waiting": [12, 13]}),
    }


def test_a_booth_cannot_read_other_booths_status(office: Office) -> None:
    office.client("booth-02")  # publishes its retained online status on connect
    booth = office.client("booth-01")
    inbox = Inbox()
    try:
        booth.subscribe("booths/#", inbox)
    except MqttNotAuthorized:
        return
    edge = office.client("edge")
    edge.publish_and_wait("booths/booth-01/acks", {"v": 1, "packet_ids": ["mine"]})
    messages = inbox.wait_for_count(1)
    assert [m.topic for m in messages] == ["booths/booth-01/acks"]
