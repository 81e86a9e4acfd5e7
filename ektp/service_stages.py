"""The stages of one resident's visit, as booths report them on ``booths/<id>/events``.

Each stage is an ``audit`` event named ``stage.<stage>`` (an ``audit`` kind, like the
operator call, so that every edge speaking version 1 accepts and acks it). Its data tie
it to one visit by the ticket (number and check-in time) and say who and where: the
operator, the kelurahan, and for a finger the sensor, the finger, its retries and its
outcome. Never a NIK, a name or a biometric byte: the edge measures where the office's
time goes (issue 21), not who came. A card handed over needs no stage: the booths'
``card_delivered`` event says it already.
"""

from __future__ import annotations

from enum import StrEnum

STAGE_EVENT_PREFIX = "stage."


class Stage(StrEnum):
    """One moment of a visit, in the order a resident meets them."""

    CHECK_IN = "check_in"
    """The resident took a ticket at the check-in screen."""
    CALLED = "called"
    """An operator called the ticket to a booth."""
    CAPTURE_STARTED = "capture_started"
    """The documents are checked: the capture begins (photo first)."""
    PHOTO_DONE = "photo_done"
    FINGER = "finger"
    """One finger is done: captured (with its retries) or marked as an exception."""
    SIGNATURE = "signature"
    SEALED = "sealed"
    """The record is sealed and safe in the booth's outbox."""
    ABANDONED = "abandoned"
    """The ticket was called and nobody came, or the resident was sent home."""


def stage_event_name(stage: Stage) -> str:
    return f"{STAGE_EVENT_PREFIX}{stage}"


def stage_of(event_name: str) -> Stage | None:
    """The stage an event name reports, or None when it is not a stage event."""
    if not event_name.startswith(STAGE_EVENT_PREFIX):
        return None
    try:
        return Stage(event_name.removeprefix(STAGE_EVENT_PREFIX))
    except ValueError:
        return None
