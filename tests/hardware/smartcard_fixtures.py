"""Fixtures for the smart-card tests: one real pcscd for the session, a reader per test.

Import them into a test module (``from smartcard_fixtures import ...``; pytest puts
this folder on sys.path, as for the other hardware fixtures).
``smartcard_pcscd`` (in tests/conftest.py, shared by every area) reuses a running
pcscd that has a vpcd reader; otherwise it starts ``pcscd --foreground`` with a
private reader.conf in its own network
namespace (needs root, as pcscd does) and stops it at the end of the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from hardware.smartcard import CardProgram, EmulatedSmartCardConfig, EmulatedSmartCardReader
from hardware.smartcard.pcscd import VpcdEndpoint


@pytest.fixture
def smartcard_config(smartcard_pcscd: VpcdEndpoint) -> EmulatedSmartCardConfig:
    return EmulatedSmartCardConfig(vpcd_port=smartcard_pcscd.port, timeout=10.0)


@pytest.fixture
def emulated_reader(
    smartcard_config: EmulatedSmartCardConfig,
) -> Iterator[EmulatedSmartCardReader]:
    """An emulated reader with no card in it; the card is taken out afterwards."""
    with EmulatedSmartCardReader(smartcard_config) as reader:
        yield reader


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.05)
    return True


def take_out_and_insert(reader: EmulatedSmartCardReader, card: CardProgram) -> None:
    """Take the card out, wait until pcscd sees it gone, insert ``card``, wait until seen."""
    reader.remove_card()
    reader.wait_for_removal(timeout=15)
    reader.insert_card(card)
    reader.wait_for_card(timeout=15)
