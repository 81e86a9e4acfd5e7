"""The booth's half of the transport envelope on ``booths/<id>/enrollments``.

Each sealed packet leaves the booth inside an envelope (:mod:`ektp.transport_seal`)
keyed with the office roster secret, so its manifest's NIK and KK are not readable on
the broker. The secret comes from the edge (sealed to this booth's key, on
``office/roster_keys``: :class:`~kiosk.uplink.roster_feed.RosterFeed`). A booth that
has no secret yet sends no packet at all — never a bare one: they wait in the outbox,
and the booth's health says so (device ``office_key``, ``unavailable``) until the
secret arrives.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from ektp.messages import DeviceHealth
from ektp.roster_keys import RosterSecret
from ektp.transport_seal import TransportKey

log = logging.getLogger(__name__)

OFFICE_KEY_DEVICE = "office_key"
"""The name the booth's health reports the office roster key under."""


class EnrollmentSealer:
    """Seals outbox packets for the edge with the office secret ``secret()`` returns."""

    def __init__(self, booth_id: str, secret: Callable[[], RosterSecret | None]) -> None:
        self.booth_id = booth_id
        self._secret = secret
        self._key: TransportKey | None = None
        self._warned = False

    def _current_key(self) -> TransportKey | None:
        secret = self._secret()
        if secret is None:
            return None
        key = self._key
        if key is None or key.secret_id.hex() != secret.secret_id:
            key = self._key = TransportKey(secret)
        return key

    def seal(self, packet_id: str, sealed: bytes) -> bytes | None:
        """The envelope to publish, or None while the booth has no office secret."""
        key = self._current_key()
        if key is None:
            if not self._warned:
                log.warning("no office roster key yet: packets stay in the outbox")
                self._warned = True
            return None
        self._warned = False
        return key.seal(self.booth_id, _message_uuid(packet_id), sealed)

    def health(self, waiting: int) -> DeviceHealth:
        """The ``office_key`` entry of the booth's health, with ``waiting`` packets kept."""
        if self._current_key() is not None:
            return DeviceHealth(state="ok")
        if waiting == 0:
            return DeviceHealth(state="unknown", detail="no office roster key yet")
        detail = f"no office roster key yet: {waiting} enrollment(s) kept in the outbox"
        return DeviceHealth(state="unavailable", detail=detail)


def _message_uuid(packet_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(packet_id)
    except ValueError:  # not a packet's id: the edge refuses it after opening
        return uuid.uuid5(uuid.NAMESPACE_URL, packet_id)
