"""The pieces of the wire contract both sides share: power states, the audit entry, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from ektp._json import JsonProblem, strict_loads
from ektp.audit_chain import GENESIS, AuditEntry, chained_entry, first_broken
from ektp.errors import RekamError
from ektp.messages import PowerMessage, encode_message, parse_message
from ektp.power import PowerState
from ektp.receipts import ReceiptError, parse_wire
from ektp.topics import OFFICE_POWER


@pytest.mark.parametrize("state", list(PowerState))
def test_every_power_state_travels_on_office_power(state: PowerState) -> None:
    sent = PowerMessage(state=state, at=dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC))
    received = parse_message(OFFICE_POWER, encode_message(sent))
    assert isinstance(received, PowerMessage)
    assert received.state is state
    assert f'"state":"{state.value}"'.encode() in encode_message(sent)


def test_an_audit_chain_breaks_where_an_entry_was_edited() -> None:
    first = chained_entry(GENESIS, 1, "2026-03-10T08:00:00.000+00:00", "login", {"op": "A"})
    second = chained_entry(first.hash, 2, "2026-03-10T08:01:00.000+00:00", "seal", {"n": 1})
    assert first_broken([first, second]) is None
    edited = AuditEntry(2, second.at, second.event, {"n": 2}, second.prev_hash, second.hash)
    assert first_broken([first, edited]) == 2


def test_an_audit_entry_never_carries_a_pin() -> None:
    with pytest.raises(RekamError) as refused:
        chained_entry(GENESIS, 1, "2026-03-10T08:00:00.000+00:00", "login", {"PIN": "1234"})
    assert isinstance(refused.value, ValueError)
    assert "1234" not in str(refused.value)


def test_wire_errors_are_rekam_errors_and_keep_their_builtin() -> None:
    with pytest.raises(JsonProblem) as bad_json:
        strict_loads(b'{"a": 1, "a": 2}')
    assert isinstance(bad_json.value, RekamError)
    assert isinstance(bad_json.value, ValueError)
    assert bad_json.value.kind == "malformed"
    with pytest.raises(ReceiptError) as bad_receipt:
        parse_wire("not a receipt")
    assert isinstance(bad_receipt.value, RekamError)
    assert isinstance(bad_receipt.value, ValueError)
