"""The smart-card reader: operator login cards (PIV) and resident e-KTP cards, over PC/SC.

Build one with :func:`open_smartcard` from a :data:`SmartCardConfig`. The real
backend talks to pcscd with pyscard; the emulated backend runs the same code
against a virtual card behind pcscd's vpcd reader driver.
"""

from __future__ import annotations

from hardware.smartcard.cards import CardProgram, ResidentEktpCard
from hardware.smartcard.config import (
    EmulatedSmartCardConfig,
    RealSmartCardConfig,
    SmartCardConfig,
)
from hardware.smartcard.emulated import CardIssuer, EmulatedSmartCardReader
from hardware.smartcard.pcsc_backend import PcscSmartCardReader
from hardware.smartcard.piv_card import PivCard
from hardware.smartcard.piv_personalise import OperatorCard, personalised_piv_card
from hardware.smartcard.reader import (
    CardEvent,
    CardInfo,
    CardObserver,
    ResidentCard,
    SmartCardReader,
)


def open_smartcard(
    config: RealSmartCardConfig | EmulatedSmartCardConfig, *, card_issuer: CardIssuer | None = None
) -> SmartCardReader:
    """The reader backend the configuration names.

    ``card_issuer`` (emulation only) issues each blank operator card put in the
    emulated reader, as the office does before handing a card over.
    """
    if isinstance(config, EmulatedSmartCardConfig):
        return EmulatedSmartCardReader(config, card_issuer=card_issuer)
    return PcscSmartCardReader(config.reader_name_contains, config.timeout)


__all__ = [
    "CardEvent",
    "CardInfo",
    "CardIssuer",
    "CardObserver",
    "CardProgram",
    "EmulatedSmartCardConfig",
    "EmulatedSmartCardReader",
    "OperatorCard",
    "PcscSmartCardReader",
    "PivCard",
    "RealSmartCardConfig",
    "ResidentCard",
    "ResidentEktpCard",
    "SmartCardConfig",
    "SmartCardReader",
    "open_smartcard",
    "personalised_piv_card",
]
