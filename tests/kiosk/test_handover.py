"""Card hand-over without a screen: the real pyscard through pcscd and vpcd reads the
emulated e-KTP, the real adafruit_fingerprint over the pty captures the live finger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import resident_nik, running_booth, write_booth_config

from ektp.messages import EventMessage, encode_message, parse_message
from ektp.roster_keys import RosterSecret
from ektp.topics import Topic, booth_topic
from hardware.errors import CardError
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor
from hardware.smartcard import EmulatedSmartCardReader, OperatorCard, ResidentEktpCard
from kiosk.booth import Booth
from kiosk.handover import HandoverFlow, HandoverStep

RESIDENT = "Ani Lestari"


@pytest.fixture
def booth(tmp_path: Path) -> Iterator[Booth]:
    with running_booth(write_booth_config(tmp_path)) as built:
        yield built


def devices(booth: Booth) -> tuple[EmulatedFingerprintSensor, EmulatedSmartCardReader]:
    assert isinstance(booth.sensor, EmulatedFingerprintSensor)
    assert isinstance(booth.reader, EmulatedSmartCardReader)
    return booth.sensor, booth.reader


def enrolled_card(sensor: EmulatedFingerprintSensor, nik: str) -> ResidentEktpCard:
    """The card as Disdukcapil printed it: the resident's two index fingers, enrolled."""
    templates = []
    for finger in ("right_index", "left_index"):
        on_step = sensor.emulator.resident_following_prompts(f"{nik}/{finger}", 90)
        templates.append(sensor.enroll_finger(on_step, timeout=10).template)
        sensor.emulator.lift_finger()
    return ResidentEktpCard(nik, RESIDENT, (templates[0], templates[1]))


def publishing_flow(
    booth: Booth, secret: RosterSecret | None = None
) -> tuple[HandoverFlow, list[EventMessage]]:
    """A hand-over flow on the booth's devices and the events it publishes, in order;
    ``secret`` is the office roster key the booth opened (None: not registered)."""
    sensor, reader = devices(booth)
    published: list[EventMessage] = []
    flow = HandoverFlow(
        booth_id="booth-01", reader=reader, sensor=sensor, audit=booth.audit,
        publish=published.append, finger_timeout=10, secret=lambda: secret,
    )  # fmt: skip
    return flow, published


def audit_events(booth: Booth) -> list[str]:
    return [entry.event for entry in booth.audit.entries()]


def test_the_right_person_gets_the_card(booth: Booth) -> None:
    sensor, reader = devices(booth)
    nik = resident_nik(11)
    office_key = RosterSecret.generate()  # the office roster key a registered booth holds
    flow, published = publishing_flow(booth, office_key)
    card = enrolled_card(sensor, nik)
    reader.insert_card(card)
    flow.start("OP-0007")
    read = flow.read_card()
    assert (read.nik, read.name) == (nik, RESIDENT)
    assert flow.step is HandoverStep.VERIFY

    sensor.emulator.present_finger(f"{nik}/left_index", 85)
    verdict = flow.verify_finger()
    sensor.emulator.lift_finger()

    assert verdict.matched
    assert verdict.tries == 1
    assert flow.step is HandoverStep.DELIVERED
    assert published == [flow.delivered_event]
    event = published[0]
    wire = parse_message(booth_topic("booth-01", Topic.EVENTS), encode_message(event))
    assert isinstance(wire, EventMessage)
    assert wire.kind == "card_delivered"
    assert nik.encode() not in encode_message(event)  # no NIK on the office network
    assert wire.data["operator"] == "OP-0007"
    # the edge knows the resident by the roster look-up key, as on office/queue
    assert wire.data["resident_key"] == office_key.resident_keys(nik).lookup_key
    delivered = [e for e in booth.audit.entries() if e.event == "handover.card_delivered"]
    assert [e.fields["nik"] for e in delivered] == [nik]
    assert delivered[0].fields["event_id"] == str(event.event_id)
    assert booth.audit.verify_chain() is None
    card_bytes = [t.hex() for t in read.templates]
    logged = json.dumps([e.fields for e in booth.audit.entries()]) + encode_message(event).decode()
    assert not any(t[:64] in logged for t in card_bytes)


def test_a_stranger_fails_after_four_tries_and_nothing_is_delivered(booth: Booth) -> None:
    sensor, reader = devices(booth)
    nik = resident_nik(12)
    flow, published = publishing_flow(booth)
    reader.insert_card(enrolled_card(sensor, nik))
    flow.start("OP-0007")
    flow.read_card()

    tries_left = []
    for attempt in range(4):
        sensor.emulator.present_finger(f"stranger/{attempt}", 90)
        verdict = flow.verify_finger()
        sensor.emulator.lift_finger()
        assert not verdict.matched
        tries_left.append(verdict.tries_left)

    assert tries_left == [3, 2, 1, 0]
    assert flow.step is HandoverStep.REFUSED
    assert "4" in flow.no_match_error().localized("en")
    assert published == []
    assert flow.delivered_event is None
    events = audit_events(booth)
    assert "handover.card_delivered" not in events
    assert "handover.delivered" not in events
    assert events.count("handover.no_match") == 3
    assert "handover.refused" in events
    with pytest.raises(RuntimeError):
        flow.verify_finger()  # a refused hand-over takes no fifth try


def test_an_operator_card_is_not_taken_for_an_e_ktp(booth: Booth) -> None:
    sensor, reader = devices(booth)
    flow = HandoverFlow(booth_id="booth-01", reader=reader, sensor=sensor, audit=booth.audit)
    reader.insert_card(OperatorCard("OP-0007", "Siti Rahma", "246810"))
    flow.start("OP-0007")
    with pytest.raises(CardError):
        flow.read_card()
    assert flow.step is HandoverStep.INSERT_CARD
    assert flow.card is None
    assert "handover.card_unreadable" in audit_events(booth)
