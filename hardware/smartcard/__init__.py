"""The smart-card reader: operator login cards and resident e-KTP cards, over PC/SC.

Build one with :func:`open_smartcard` from a :data:`SmartCardConfig`. The real
backend talks to pcscd with pyscard; the emulated backend runs the same code
against a virtual card behind pcscd's vpcd reader driver.
"""

from __future__ import annotations

from hardware.smartcard.cards import CardProgram, OperatorCard, ResidentEktpCard
from hardware.smartcard.config import (
    EmulatedSmartCardConfig,
    RealSmartCardConfig,
    SmartCardConfig,
)
from hardware.smartcard.emulated import EmulatedSmartCardReader
from hardware.smartcard.operator_cert import (
    CardNotGenuine,
    CertifiedOperator,
    OperatorCardIssuer,
    verify_card_signature,
    verify_operator_certificate,
)
from hardware.smartcard.pcsc_backend import PcscSmartCardReader
from hardware.smartcard.reader import (
    CardEvent,
    CardInfo,
    CardObserver,
    OperatorIdentity,
    ResidentCard,
    SmartCardReader,
)


def open_smartcard(config: RealSmartCardConfig | EmulatedSmartCardConfig) -> SmartCardReader:
    """The reader backend the configuration names."""
    if isinstance(config, EmulatedSmartCardConfig):
        return EmulatedSmartCardReader(config)
    return PcscSmartCardReader(config.reader_name_contains, config.timeout)


__all__ = [
    "CardEvent",
    "CardInfo",
    "CardNotGenuine",
    "CardObserver",
    "CardProgram",
    "CertifiedOperator",
    "EmulatedSmartCardConfig",
    "EmulatedSmartCardReader",
    "OperatorCard",
    "OperatorCardIssuer",
    "OperatorIdentity",
    "PcscSmartCardReader",
    "RealSmartCardConfig",
    "ResidentCard",
    "ResidentEktpCard",
    "SmartCardConfig",
    "SmartCardReader",
    "open_smartcard",
    "verify_card_signature",
    "verify_operator_certificate",
]
