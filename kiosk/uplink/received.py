"""A message the booth receives from the office: checked against its topic's schema."""

from __future__ import annotations

import logging

from ektp.messages import MessageError, parse_message
from ektp.wire_base import WireMessage


def parse_or_warn(topic: str, payload: bytes, log: logging.Logger, feed: str) -> WireMessage | None:
    """The message on ``topic``; None, with a warning in ``feed``'s words, when it is malformed."""
    try:
        return parse_message(topic, payload)
    except MessageError as err:
        log.warning("%s: ignored a malformed message on %s: %s", feed, topic, err.code)
        return None
