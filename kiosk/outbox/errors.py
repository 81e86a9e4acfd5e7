"""The outbox's typed errors. Messages name packet ids only, never packet content."""

from __future__ import annotations

from ektp.errors import RekamError
from ektp.i18n import N_


class OutboxError(RekamError):
    """The outbox cannot do what was asked (I/O, a closed outbox, bad input)."""

    code = "outbox"
    domain = "kiosk"


class PacketConflict(OutboxError, ValueError):
    """Another blob is already stored under this packet id."""

    code = "outbox_conflict"


class InvalidTransition(OutboxError, ValueError):
    """A packet asked to move backwards (e.g. sent again after it was acked)."""

    code = "outbox_transition"


class UnknownPacket(OutboxError, LookupError):
    """No packet with this id was ever stored here."""

    code = "outbox_unknown"


class OutboxFull(OutboxError):
    """The outbox holds as many unsent records as it may: new work is refused."""

    code = "outbox_full"


MSG_OUTBOX_FULL = N_(
    "This booth holds too many messages the office has not received. Please see an operator."
)
"""What a resident or operator reads when a full outbox refuses new work."""
