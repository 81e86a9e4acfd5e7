"""The outbox's typed errors. Messages name packet ids only, never packet content."""

from __future__ import annotations

from ektp.errors import RekamError


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
