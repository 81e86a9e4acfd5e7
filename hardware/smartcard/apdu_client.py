"""What every card application client shares: one APDU over ``transmit``, status words as
typed errors with plain messages.

``CardApplicationClient`` (the resident's e-KTP) and ``PivClient`` (operator cards) each
name what their card's status words mean; ``PivClient`` also chains long commands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from hardware.errors import CardError
from hardware.smartcard.apdu import CommandApdu, StatusWord, split_response

DEVICE = "smartcard"
Transmit = Callable[[bytes, str], bytes]


class ApduClient:
    """Talks to a card behind ``transmit``; a subclass names its ``status_meanings``."""

    status_meanings: ClassVar[Mapping[int, str]] = {}

    def __init__(self, transmit: Transmit) -> None:
        self._transmit = transmit

    def _once(self, raw: bytes, action: str) -> tuple[bytes, int]:
        """One APDU out, its answer split into data and status word."""
        answer = self._transmit(raw, action)
        if not answer:  # vpcd reports a card that dropped the link as an empty answer
            raise CardError(
                f"The card stopped answering while {action}; take it out and insert it again.",
                device=DEVICE,
            )
        try:
            return split_response(answer)
        except ValueError as err:
            raise CardError(
                f"The card gave a malformed answer while {action}.", device=DEVICE
            ) from err

    def exchange(self, command: CommandApdu, action: str) -> tuple[bytes, int]:
        """Send ``command`` and return its answer's data and status word."""
        return self._once(command.to_bytes(), action)

    def _expect_ok(self, command: CommandApdu, action: str) -> bytes:
        data, status = self.exchange(command, action)
        if status != StatusWord.OK:
            raise self._status_error(status, action)
        return data

    def _status_error(self, status: int, action: str) -> CardError:
        meaning = self.status_meanings.get(status, "the card refused the command")
        return CardError(f"Failed {action}: {meaning} (status {status:04X}).", device=DEVICE)
