"""The emulated backend: the real pyscard backend, with a virtual card behind pcscd.

``EmulatedSmartCardReader`` makes sure pcscd runs with a vpcd reader (reusing a
running one, see ``hardware.smartcard.pcscd``), then behaves exactly as
``PcscSmartCardReader`` on that reader: every APDU goes pyscard → pcscd →
vpcd → the card program. Test controls: :meth:`insert_card`,
:meth:`remove_card`, :meth:`fail_next_command`. Given a ``card_issuer`` (the office's
personalisation, built outside the hardware layer from ``operator_card_issuer_dir``),
a blank operator card is issued as it goes in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from hardware.base import SelfTestResult
from hardware.errors import DeviceError
from hardware.smartcard.cards import CardProgram
from hardware.smartcard.config import EmulatedSmartCardConfig
from hardware.smartcard.pcsc_backend import PcscSmartCardReader
from hardware.smartcard.pcscd import PcscdService, VpcdEndpoint
from hardware.smartcard.piv_personalise import OperatorCard
from hardware.smartcard.vpcd import CommandFault, VpcdCardSlot

CardIssuer = Callable[[OperatorCard], object]
"""Writes the office's certificate on an emulated operator card (PIV, slot 9A) that has
none yet: the office's personalisation."""


class EmulatedSmartCardReader(PcscSmartCardReader):
    """A vpcd reader in pcscd with card programs the test inserts and removes."""

    def __init__(
        self,
        config: EmulatedSmartCardConfig | None = None,
        *,
        card_issuer: CardIssuer | None = None,
    ) -> None:
        self.config = config or EmulatedSmartCardConfig()
        self._pcscd = PcscdService(self.config)
        self.endpoint: VpcdEndpoint = self._pcscd.ensure_running()
        try:
            super().__init__(self.endpoint.reader_name, self.config.timeout)
        except Exception:
            self._pcscd.stop()
            raise
        self._slot = VpcdCardSlot(
            self.endpoint.port,
            netns_pid=self.endpoint.netns_pid,
            connect_timeout=self.config.timeout,
        )
        self._card_issuer = card_issuer

    @property
    def started_pcscd(self) -> bool:
        """Whether this reader started pcscd (and will stop it on close)."""
        return self._pcscd.started_by_us

    @property
    def inserted_card(self) -> CardProgram | None:
        return self._slot.card

    def insert_card(self, card: CardProgram, *, wait: bool = True) -> None:
        """Put a card program in the reader (replacing any card there).

        With ``wait`` (default), return once pcscd reports the card present. A blank
        operator card is first issued by the reader's ``card_issuer``, if it has one.
        """
        issuer = self._card_issuer
        if isinstance(card, OperatorCard) and card.certificate is None and issuer is not None:
            issuer(card)
        self.remove_card(wait=wait)
        self._slot.insert(card)
        if wait:
            self.wait_for_card(self.config.timeout)

    def remove_card(self, *, wait: bool = True) -> None:
        """Take the card out of the reader.

        With ``wait`` (default), return once pcscd reports the reader empty, as a
        person's hand would take longer than pcscd's poll: a card inserted before
        vpcd noticed the removal could otherwise be taken for the old one.
        """
        had_card = self._slot.card is not None
        self._slot.remove()
        if had_card and wait:
            self.wait_for_removal(self.config.timeout)

    def fail_next_command(self, how: CommandFault) -> None:
        """The card's next command: ``"disconnect"`` drops the link, ``"stall"`` never answers."""
        self._slot.fail_next_command(how)

    def self_test(self) -> SelfTestResult:
        result = super().self_test()
        if not result.ok:
            return result
        return SelfTestResult(self.name, True, f"{result.detail} (emulated card via vpcd)")

    def _close(self) -> None:
        # Reset the card while it is still in: a reset sent to a card vpcd already
        # lost leaves pcscd unaware of the next card in that reader (pcsc-lite 1.9.9).
        self._link.disconnect(reset=True)
        with contextlib.suppress(DeviceError):
            self.remove_card()
        self._slot.close()
        super()._close()
        self._pcscd.stop()
