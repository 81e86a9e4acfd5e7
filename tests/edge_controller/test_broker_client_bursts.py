"""A burst through the real broker with the client's burst-reading network loop
(:mod:`ektp.mqtt.network_loop`): every message arrives once, in order, acknowledged."""

from __future__ import annotations

import os

from ektp.mqtt.message import ReceivedMessage
from tests.edge_controller.broker_fixtures import Inbox, Office, office, wait_for

BURST = 300
PAYLOAD_BYTES = 60_000
TOPIC = "booths/booth-01/enrollments"


def _numbered(serial: int) -> bytes:
    return serial.to_bytes(4, "big") + os.urandom(PAYLOAD_BYTES - 4)


def _serials(inbox: Inbox) -> list[int]:
    return [int.from_bytes(m.payload[:4], "big") for m in inbox.messages]


def test_a_burst_arrives_whole_in_order_and_nothing_is_delivered_again(office: Office) -> None:
    """Each message was acknowledged (PUBACK) by the receiver's network thread itself:
    after it reconnects to its kept session, the broker has nothing left to re-send."""
    inbox = Inbox()
    edge = office.client("edge", session_expiry_seconds=600)
    edge.subscribe("booths/+/enrollments", inbox)
    booth = office.client("booth-01")
    sent = [_numbered(n) for n in range(BURST)]
    for payload in sent:
        booth.paho_client.publish(TOPIC, payload, qos=1)

    assert wait_for(lambda: len(inbox.messages) >= BURST, timeout=60)
    assert [m.payload for m in inbox.messages] == sent

    edge.stop(publish_offline=False)
    again = Inbox()
    edge = office.client("edge", session_expiry_seconds=600)
    edge.subscribe("booths/+/enrollments", again)
    booth.paho_client.publish(TOPIC, _numbered(BURST), qos=1)
    # anything the broker still held for the session would come before this one
    assert wait_for(lambda: len(again.messages) >= 1)
    assert _serials(again) == [BURST]


def test_a_message_published_on_the_network_thread_goes_out(office: Office) -> None:
    """The edge answers from inside its message callback (paho's network thread), as
    its acks and the broker guard may: the answer reaches the booth, every time."""
    edge = office.client("edge")

    def answer(message: ReceivedMessage) -> None:
        edge.paho_client.publish("booths/booth-01/acks", message.payload[:4], qos=1)

    edge.subscribe("booths/+/enrollments", answer)
    booth = office.client("booth-01")
    answers = Inbox()
    booth.subscribe("booths/booth-01/acks", answers)
    for serial in range(20):
        booth.paho_client.publish(TOPIC, _numbered(serial), qos=1)
        assert wait_for(lambda count=serial + 1: len(answers.messages) >= count)
    assert [int.from_bytes(m.payload, "big") for m in answers.messages] == list(range(20))
