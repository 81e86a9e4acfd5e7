"""Topic names of the MQTT contract and booth ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ektp.errors import ValidationError
from ektp.topics import (
    Topic,
    TopicError,
    booth_subscription,
    booth_topic,
    is_retained,
    kelurahan_slug,
    parse_topic,
    roster_topic,
    validate_booth_id,
)


def test_booth_topics_of_the_design_table() -> None:
    assert booth_topic("booth-01", Topic.STATUS) == "booths/booth-01/status"
    assert booth_topic("booth-01", Topic.ENROLLMENTS) == "booths/booth-01/enrollments"
    assert booth_topic("booth-03", Topic.ACKS) == "booths/booth-03/acks"
    assert booth_subscription(Topic.HEALTH) == "booths/+/health"
    assert booth_subscription() == "booths/+/#"
    with pytest.raises(ValueError, match="not a booth topic"):
        booth_topic("booth-01", Topic.POWER)


def test_retained_state_but_not_events() -> None:
    assert is_retained(Topic.STATUS)
    assert is_retained(Topic.POWER)
    assert is_retained(Topic.ROSTER)
    assert not is_retained(Topic.ENROLLMENTS)
    assert not is_retained(Topic.ACKS)
    assert not is_retained(Topic.EVENTS)


@pytest.mark.parametrize("bad", ["booth-+", "booth-#1", "booth-01/acks", "Booth-01", "booth-", "x"])
def test_booth_ids_unsafe_for_topics_are_refused(bad: str) -> None:
    with pytest.raises(TopicError) as caught:
        validate_booth_id(bad)
    assert caught.value.code == "topic.booth_id"
    assert "booth-01" in caught.value.localized("id")


def test_roster_topic_uses_a_safe_village_slug() -> None:
    assert roster_topic("Merancang Ulu") == "office/roster/merancang-ulu"
    assert roster_topic("Batu-Batu") == "office/roster/batu-batu"
    assert kelurahan_slug("Sambakungan") == "sambakungan"
    with pytest.raises(TopicError):
        roster_topic("#/+")


def test_parse_topic_round_trips() -> None:
    parsed = parse_topic("booths/booth-07/events")
    assert (parsed.kind, parsed.booth_id) == (Topic.EVENTS, "booth-07")
    assert parse_topic("office/power").kind is Topic.POWER
    assert parse_topic(roster_topic("Pulau Besing")).kelurahan == "pulau-besing"
    for unknown in ["booths/booth-07/secrets", "booths/+/status", "office/roster/A B", "x"]:
        with pytest.raises(TopicError):
            parse_topic(unknown)


@given(st.text(max_size=60))
def test_any_topic_text_parses_or_gives_a_validation_error(topic: str) -> None:
    try:
        parsed = parse_topic(topic)
    except ValidationError:
        return
    assert parsed.kind in Topic
