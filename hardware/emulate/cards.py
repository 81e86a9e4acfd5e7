"""The cards ``rekam-hw emulate smartcard --card NAME`` can hold: a registry of factories.

Each factory takes the :class:`CardOrder` (what the command line asked for) and
returns a card program to put in the vpcd reader. ``resident`` is a resident's
e-KTP (NIK, name and two templates of that resident's thumbs, as the emulated
fingerprint sensor makes them); ``blank`` a PIV card as it comes from the shop
(PIN 123456, PUK 12345678, default management key: what ``rekam-provision operator
enrol`` personalises); ``operator`` a personalised PIV operator card, its key made on
the card and certified by the office's tooling (see :func:`operator_card`).

A new kind of card is one more entry in :data:`CARD_FACTORIES`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hardware.errors import DeviceUnavailable
from hardware.fingerprint.synthetic import encode_template, identity_features
from hardware.smartcard import piv
from hardware.smartcard.cards import CardProgram, ResidentEktpCard
from hardware.smartcard.piv_card import PivCard
from hardware.smartcard.piv_personalise import command_certifier, personalised_piv_card

DEVICE = "smartcard"
RESIDENT_NIK = "6403051708900001"
RESIDENT_NAME = "Budi Santoso"
OPERATOR_ID = "OP-0001"
OPERATOR_NAME = "Siti Rahmawati"
TEMPLATE_QUALITY = 90


@dataclass(frozen=True)
class CardOrder:
    """What ``emulate smartcard`` was asked for; each factory takes the parts it needs."""

    pin: str | None = field(default=None, repr=False)
    puk: str = field(default=piv.DEFAULT_PUK, repr=False)
    office_ca: Path | None = None
    operator_id: str = OPERATOR_ID
    nik: str = RESIDENT_NIK
    name: str | None = None
    """The card holder's name; None: the default resident's or operator's."""


CardFactory = Callable[[CardOrder], CardProgram]


def resident_card(order: CardOrder) -> CardProgram:
    """A resident's e-KTP whose templates match the fingers ``<NIK>:right_thumb`` and
    ``<NIK>:left_thumb`` on the emulated fingerprint sensor."""
    templates = tuple(
        encode_template(identity_features(f"{order.nik}:{finger}"), TEMPLATE_QUALITY)
        for finger in ("right_thumb", "left_thumb")
    )
    return ResidentEktpCard(order.nik, order.name or RESIDENT_NAME, (templates[0], templates[1]))


def blank_piv_card(order: CardOrder) -> CardProgram:
    """A PIV card from the shop, ready for ``rekam-provision operator enrol``."""
    return PivCard()


def certify_key_command(order: CardOrder) -> list[str]:
    """``rekam-provision operator certify-key`` for ``order``: the office's tooling certifies
    the card's key (PEM in, PEM out) — the hardware layer does not import the office's PKI."""
    argv = [sys.executable, "-m", "provisioning.cli", "operator", "certify-key",
            "--operator-id", order.operator_id, "--name", order.name or OPERATOR_NAME]  # fmt: skip
    if order.office_ca is not None:
        argv += ["--office-ca", str(order.office_ca)]
    return argv


def operator_card(order: CardOrder) -> CardProgram:
    """A personalised PIV operator card: key generated in slot 9A, certified by the office
    CA in ``--office-ca`` (or a throwaway one), PIN ``--pin`` and PUK ``--puk`` set."""
    if order.pin is None:
        raise DeviceUnavailable(
            "An operator card needs its PIN: give --pin (6 to 8 digits).", device=DEVICE
        )
    certify = command_certifier(certify_key_command(order))
    return personalised_piv_card(certify=certify, pin=order.pin, puk=order.puk)


CARD_FACTORIES: dict[str, CardFactory] = {
    "resident": resident_card,
    "operator": operator_card,
    "blank": blank_piv_card,
}
"""Card name (``--card``) → factory."""


def make_card(kind: str, order: CardOrder) -> CardProgram:
    """The card ``kind`` made for ``order``; DeviceUnavailable for an unknown kind."""
    factory = CARD_FACTORIES.get(kind)
    if factory is None:
        raise DeviceUnavailable(
            f"No emulated card called {kind!r}; choose one of {', '.join(CARD_FACTORIES)}.",
            device=DEVICE,
        )
    return factory(order)
