"""What the edge sends after a roster change: a versioned delta, or the village in full.

The booths' side of it (gaps, restarts, out-of-order delivery, mobile duty) is
``tests/kiosk/test_roster_deltas.py``, against the real broker and edge.
"""

from __future__ import annotations

import datetime as dt

from edge_controller.roster.deltas import (
    Publication,
    VillageVersion,
    next_publication,
    ring_slots,
)
from ektp.messages import RosterDelta, RosterDigest, encode_message, parse_message
from ektp.resident import CardStatus
from ektp.roster_messages import RosterEntry

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SECRET_ID = "0123456789abcdef"


def village(residents: int, secret_id: str = SECRET_ID) -> RosterDigest:
    entries = {
        f"{number:032x}": RosterEntry(masked_name="S*** A****", kk_key=f"{number + 7:032x}")
        for number in range(residents)
    }
    return RosterDigest(kelurahan="Tasuk", generated_at=NOW, secret_id=secret_id, entries=entries)


def recorded(digest: RosterDigest, *numbers: int) -> RosterDigest:
    entries = dict(digest.entries)
    for number in numbers:
        key = f"{number:032x}"
        entries[key] = entries[key].model_copy(
            update={"recorded_on": NOW.date(), "card_status": CardStatus.RECORDED}
        )
    return digest.model_copy(update={"entries": entries})


def publish(previous: VillageVersion | None, digest: RosterDigest) -> Publication:
    step = next_publication(previous, digest, NOW, force=False)
    assert step is not None
    parsed = parse_message(step.topic, encode_message(step.message))  # as a booth reads it
    assert parsed == step.message
    return step


def test_a_recording_goes_as_a_delta_and_the_ring_is_compacted_before_it_wraps() -> None:
    digest = village(400)
    first = publish(None, digest)
    assert first.topic == "office/roster/tasuk"
    assert isinstance(first.message, RosterDigest)
    ring = first.state.ring
    assert ring == ring_slots(400) == 25
    full_bytes = len(encode_message(first.message))

    state, slots = first.state, set()
    for number in range(ring):
        digest = recorded(digest, number)
        step = publish(state, digest)
        delta = step.message
        assert isinstance(delta, RosterDelta)
        assert (delta.base_version, delta.version) == (state.version, state.version + 1)
        assert list(delta.changed) == [f"{number:032x}"]
        assert delta.changed[f"{number:032x}"].recorded_on == NOW.date()
        assert len(encode_message(delta)) < full_bytes / 50
        slots.add(step.topic)
        state = step.state
    assert len(slots) == ring  # every delta since the full digest is still retained

    compacted = publish(state, recorded(digest, ring))  # one more would overwrite a slot
    assert compacted.topic == "office/roster/tasuk"
    assert isinstance(compacted.message, RosterDigest)
    assert compacted.message.version > state.version
    assert compacted.message.entries[f"{ring:032x}"].card_status == CardStatus.RECORDED


def test_an_import_touching_many_or_a_new_secret_goes_in_full() -> None:
    digest = village(300)
    state = publish(None, digest).state

    many = publish(state, recorded(digest, *range(70)))
    assert isinstance(many.message, RosterDigest)
    assert many.state.version > state.version

    rekeyed = publish(many.state, village(300, secret_id="fedcba9876543210"))
    assert isinstance(rekeyed.message, RosterDigest)
    assert rekeyed.message.secret_id == "fedcba9876543210"


def test_a_resident_leaving_goes_as_a_removal_and_no_change_sends_nothing() -> None:
    digest = village(50)
    state = publish(None, digest).state
    assert next_publication(state, digest, NOW, force=False) is None
    assert next_publication(state, digest, NOW, force=True) is not None  # after a reconnect

    entries = dict(digest.entries)
    del entries[f"{3:032x}"]
    step = publish(state, digest.model_copy(update={"entries": entries}))
    assert isinstance(step.message, RosterDelta)
    assert step.message.removed == (f"{3:032x}",)
    assert step.message.changed == {}
