"""Message schemas of the MQTT contract: typed models or a clear reason."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ektp.errors import ValidationError
from ektp.messages import (
    AckMessage,
    HealthMessage,
    MessageError,
    PowerMessage,
    QueueMessage,
    QueueTicket,
    RosterDigest,
    RosterEntry,
    StatusMessage,
    encode_message,
    parse_message,
)
from ektp.roster_keys import KdfCost, RosterSecret
from ektp.services import ServiceType
from ektp.topics import Topic, booth_topic, roster_topic

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
STATUS_TOPIC = booth_topic("booth-01", Topic.STATUS)


def round_trip(topic: str, message: object) -> object:
    return parse_message(topic, encode_message(message))  # type: ignore[arg-type]


def test_each_topic_round_trips_its_message() -> None:
    status = StatusMessage(booth_id="booth-01", state="online", software_version="0.1.0", at=NOW)
    assert round_trip(STATUS_TOPIC, status) == status
    health = HealthMessage(
        booth_id="booth-01",
        at=NOW,
        devices={"fingerprint": {"state": "degraded", "error_count": 3}},
        outbox_depth=4,
        disk_free_bytes=10**9,
        cpu_temperature_c=61.5,
    )
    assert round_trip(booth_topic("booth-01", Topic.HEALTH), health) == health
    ack = AckMessage(booth_id="booth-01", packet_ids=(uuid.uuid4(), uuid.uuid4()))
    assert round_trip(booth_topic("booth-01", Topic.ACKS), ack) == ack
    power = PowerMessage(state="ON_BATTERY", at=NOW, runtime_left_s=900, battery_charge_pct=71)
    assert round_trip("office/power", power) == power
    ticket = QueueTicket(
        number="A012",
        service=ServiceType.NEW_RECORDING,
        resident_key="00112233445566778899aabbccddeeff",
        kelurahan="Sambakungan",
        checked_in_at=NOW,
    )
    queue = QueueMessage(at=NOW, waiting=(ticket,), called={"booth-02": ticket})
    assert round_trip("office/queue", queue) == queue


def test_roster_digest_is_looked_up_by_keyed_slow_key() -> None:
    secret = RosterSecret.generate(KdfCost(log2_n=4, r=1))
    keys = secret.resident_keys("6403065402900001")
    digest = RosterDigest(
        kelurahan="Merancang Ulu",
        generated_at=NOW,
        secret_id=secret.secret_id,
        entries={
            keys.lookup_key: RosterEntry(
                masked_name="S*** A*****", kk_key=keys.kk_key("6403060101100003")
            )
        },
    )
    payload = encode_message(digest)
    assert b"6403065402900001" not in payload
    assert b"6403060101100003" not in payload
    parsed = parse_message(roster_topic("Merancang Ulu"), payload)
    assert isinstance(parsed, RosterDigest)
    assert parsed.v == 2
    assert parsed.entries[keys.lookup_key].masked_name == "S*** A*****"
    version_1 = json.loads(payload) | {"v": 1}  # salted SHA-256 keys: reversible, refused
    with pytest.raises(MessageError) as old:
        parse_message(roster_topic("Merancang Ulu"), json.dumps(version_1).encode())
    assert old.value.code == "message.unknown_version"
    with pytest.raises(MessageError) as caught:
        parse_message(roster_topic("Tasuk"), payload)
    assert caught.value.code == "message.kelurahan_mismatch"


def status_payload(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "v": 1,
        "booth_id": "booth-01",
        "state": "online",
        "software_version": "0.1.0",
    }
    fields.update(changes)
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("topic", "payload", "code"),
    [
        (STATUS_TOPIC, b"{not json", "message.malformed_json"),
        (STATUS_TOPIC, b'{"v": 1, "v": 1}', "message.malformed_json"),
        (STATUS_TOPIC, b"[1]", "message.not_object"),
        (STATUS_TOPIC, status_payload(v=2), "message.unknown_version"),
        (STATUS_TOPIC, status_payload(v="1"), "message.unknown_version"),
        (STATUS_TOPIC, status_payload(state="sleeping"), "message.schema"),
        (STATUS_TOPIC, status_payload(extra=1), "message.schema"),
        (STATUS_TOPIC, status_payload(software_version=1), "message.schema"),
        (STATUS_TOPIC, status_payload(at="2026-03-10T09:00:00"), "message.schema"),  # naive
        (STATUS_TOPIC, status_payload(booth_id="booth-02"), "message.booth_mismatch"),
        (STATUS_TOPIC, b" " * 5000, "message.too_big"),
        ("booths/booth-01/secrets", status_payload(), "message.unknown_topic"),
        (booth_topic("booth-01", Topic.ENROLLMENTS), b"{}", "message.not_a_message"),
        (
            "office/power",
            b'{"v":1,"state":"ON_BATTERY","at":"2026-03-10T09:00:00Z","runtime_left_s":NaN}',
            "message.malformed_json",
        ),
    ],
)
def test_bad_messages_are_refused_with_the_reason(topic: str, payload: bytes, code: str) -> None:
    with pytest.raises(MessageError) as caught:
        parse_message(topic, payload)
    assert caught.value.code == code
    assert caught.value.localized("id") != caught.value.english()


def test_schema_error_names_the_field() -> None:
    with pytest.raises(MessageError) as caught:
        parse_message(STATUS_TOPIC, status_payload(state="sleeping"))
    assert "state" in caught.value.english()


@given(st.binary(max_size=200), st.sampled_from([STATUS_TOPIC, "office/power", "office/queue"]))
def test_random_payloads_never_crash(payload: bytes, topic: str) -> None:
    try:
        parse_message(topic, payload)
    except ValidationError as err:
        assert err.code.startswith("message.")  # noqa: PT017


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )
)
def test_random_json_never_crashes(value: object) -> None:
    try:
        parse_message(STATUS_TOPIC, json.dumps(value).encode())
    except ValidationError as err:
        assert err.code.startswith("message.")  # noqa: PT017
