"""The smart-card reader as the rest of Rekam sees it.

Operator cards are PIV cards (NIST SP 800-73-4); resident cards carry the e-KTP
application.

:class:`SmartCardReader` is the interface; backends are
``PcscSmartCardReader`` (a real reader through pcscd, with pyscard) and
``EmulatedSmartCardReader`` (the same pyscard backend, with a virtual card
behind pcscd's vpcd driver and test controls to insert and remove cards).

A backend must implement every abstract method and ``self_test``; it may
override ``_close``. Every method is bounded by the configured timeout (or the
``timeout`` argument) and raises only :mod:`hardware.errors` types:
DeviceUnavailable (no pcscd, no reader), DeviceTimeout, CardError (no card,
wrong card, card refused), PinError / PinBlocked. Callbacks given to
:meth:`add_card_observer` run on a background thread.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from hardware.base import Device

CardEvent = Literal["inserted", "removed"]
CardObserver = Callable[[CardEvent], None]


@dataclass(frozen=True)
class CardInfo:
    """A card found in the reader: its ATR in hex, and the reader's name."""

    atr_hex: str
    reader: str = ""


@dataclass(frozen=True)
class ResidentCard:
    """What the hand-over reads from a resident's printed e-KTP.

    ``templates`` are the two fingerprint templates, opaque bytes; they are kept
    out of ``repr`` so they cannot reach a log by accident.
    """

    nik: str
    name: str
    templates: tuple[bytes, bytes] = field(repr=False)


class SmartCardReader(Device):
    """A PC/SC smart-card reader used for operator login and card hand-over."""

    name = "smartcard"

    # Card presence -------------------------------------------------------------------
    @abstractmethod
    def wait_for_card(self, timeout: float) -> CardInfo:
        """Return when a card is in the reader; DeviceTimeout after ``timeout`` s."""

    @abstractmethod
    def wait_for_removal(self, timeout: float) -> None:
        """Return when the reader is empty; DeviceTimeout after ``timeout`` s."""

    @abstractmethod
    def card_present(self) -> bool:
        """Whether a card is in the reader now."""

    @abstractmethod
    def add_card_observer(self, callback: CardObserver) -> None:
        """Call ``callback("inserted" | "removed")`` on each change, from a background thread.

        A card already in the reader is reported as "inserted" soon after.
        """

    @abstractmethod
    def remove_card_observer(self, callback: CardObserver) -> None:
        """Stop calling ``callback``; unknown callbacks are ignored."""

    # Operator card -------------------------------------------------------------------
    @abstractmethod
    def verify_pin(self, pin: str) -> None:
        """Check the operator's PIN on the card.

        PinError(tries_left) when wrong, PinBlocked when blocked, ValueError when the
        PIN is not 6 to 8 digits, as PIV has it (nothing is sent to the card then).
        """

    @abstractmethod
    def pin_tries_left(self) -> int:
        """PIN tries left on the operator card (0: blocked; -1: PIN already verified)."""

    @abstractmethod
    def sign_challenge(self, challenge: bytes) -> bytes:
        """The operator card's signature of ``challenge`` (1-255 bytes): ECDSA P-256 over
        its SHA-256, DER, made by the PIV Authentication key (slot 9A); needs the PIN."""

    @abstractmethod
    def read_operator_certificate(self) -> bytes | None:
        """The certificate (DER) in the operator card's PIV Authentication slot, None when
        the card holds none (a blank card); no PIN needed. Checking it is the booth's job
        (``ektp.pki``)."""

    @abstractmethod
    def logout(self) -> None:
        """Reset the card so the verified PIN no longer counts (the card stays in)."""

    # Resident card -------------------------------------------------------------------
    @abstractmethod
    def read_resident_card(self) -> ResidentCard:
        """NIK, name and the two fingerprint templates of a resident's e-KTP."""
