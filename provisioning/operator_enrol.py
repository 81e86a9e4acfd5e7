"""``rekam-provision operator enrol``: make a PIV card an operator card, on the technician's laptop.

Through a USB reader (pcscd): authenticate with the card's management key (the factory
default unless ``management_key`` says otherwise), generate an ECC P-256 key in the PIV
Authentication slot (9A) on the card, certify its public key with the office CA (the
same certificate ``operator issue`` makes, recorded in the office's register), write the
certificate to the card, then set the PIN and the PUK the technician typed. The card
procedure is ``hardware.smartcard.piv_personalise.personalise_piv``; the PIN and PUK are
never logged, printed or passed in argv.
"""

from __future__ import annotations

from hardware.errors import DeviceError
from hardware.smartcard import PcscSmartCardReader
from hardware.smartcard.piv import DEFAULT_MANAGEMENT_KEY, encode_pin
from hardware.smartcard.piv_personalise import personalise_piv
from provisioning.office import OfficeDirectory
from provisioning.operator_cards import (
    IssuedCard,
    OperatorCardError,
    check_operator,
    issue_operator_card,
    revoke_operator_cards,
)

READER_TIMEOUT = 20.0


def check_pin_and_puk(pin: str, puk: str) -> None:
    """OperatorCardError unless the PIN has 6-8 digits and the PUK 8 characters."""
    try:
        encode_pin(pin)
    except ValueError as err:
        raise OperatorCardError("The PIN must have 6 to 8 digits.") from err
    try:
        encode_pin(puk, puk=True)
    except ValueError as err:
        raise OperatorCardError("The PUK must have exactly 8 characters.") from err


def enrol_operator_card(
    office: OfficeDirectory,
    *,
    operator_id: str,
    name: str,
    pin: str,
    puk: str,
    days: int,
    reader_name_contains: str = "",
    management_key: bytes = DEFAULT_MANAGEMENT_KEY,
) -> IssuedCard:
    """Personalise the PIV card in the reader for ``operator_id``; the register's record.

    A certificate issued for a card that then failed to take it is revoked at once, so
    the register never holds a valid certificate no card carries.
    """
    check_operator(operator_id, name, days)
    check_pin_and_puk(pin, puk)
    issued: list[IssuedCard] = []

    def certify(point: bytes) -> bytes:
        record, der = issue_operator_card(
            office, point, operator_id=operator_id, name=name, days=days
        )
        issued.append(record)
        return der

    try:
        with PcscSmartCardReader(reader_name_contains, READER_TIMEOUT) as reader:
            reader.wait_for_card(READER_TIMEOUT)
            personalise_piv(
                reader.piv(), certify=certify, pin=pin, puk=puk, management_key=management_key
            )
    except DeviceError as err:
        for record in issued:
            revoke_operator_cards(office, serial=record.serial)
        raise OperatorCardError(
            f"The card could not be enrolled: {err}"
            + (" The certificate issued for it was revoked." if issued else "")
        ) from err
    return issued[0]
