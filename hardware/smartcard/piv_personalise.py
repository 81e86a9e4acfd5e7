"""Personalising a PIV card as an operator card, over any PIV transport.

:func:`personalise_piv` is the one procedure, used by ``rekam-provision operator
enrol`` (a USB reader through pcscd) and by the emulated cards (straight into the
card program): authenticate with the 9B management key, generate an ECC P-256 key
in slot 9A on the card, have the office certify its public point (``certify``, a
callable the caller brings: the office CA lives in ``ektp.pki``, which the hardware
layer does not import), write the certificate, then set the PIN and the PUK.

:class:`OperatorCard` is an emulated PIV card with its operator's order attached
(id, name, PIN): the office's issuer (``ektp.pki.OperatorCardIssuer.personalise``)
reads :attr:`OperatorCard.public_key`, and writes the certificate with
:meth:`OperatorCard.install_certificate` — what tests and the demo put in readers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hardware.errors import CardError
from hardware.smartcard import piv
from hardware.smartcard.piv_card import PivCard
from hardware.smartcard.piv_client import PivClient

Certify = Callable[[bytes], bytes]
"""Takes the card's public point (04 X Y, P-256) and returns a DER certificate for it."""


def direct_client(card: PivCard) -> PivClient:
    """A PIV client wired straight to an emulated card program (no reader)."""
    return PivClient(lambda raw, _action: card.process(raw))


def personalise_piv(
    client: PivClient,
    *,
    certify: Certify,
    pin: str,
    puk: str,
    current_pin: str = piv.DEFAULT_PIN,
    current_puk: str = piv.DEFAULT_PUK,
    management_key: bytes = piv.DEFAULT_MANAGEMENT_KEY,
    management_algorithm: int = piv.DEFAULT_MANAGEMENT_ALGORITHM,
) -> bytes:
    """Make the card an operator card; return the certificate written (DER).

    The PIN and PUK are checked for shape first (ValueError), so nothing is changed on
    a card when they cannot be set.
    """
    piv.encode_pin(pin)
    piv.encode_pin(puk, puk=True)
    client.select()
    client.authenticate_management(management_key, management_algorithm)
    point = client.generate_key(piv.KEY_AUTHENTICATION)
    certificate = certify(point)
    issued_key = x509.load_der_x509_certificate(certificate).public_key()
    if (
        not isinstance(issued_key, ec.EllipticCurvePublicKey)
        or issued_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint) != point
    ):
        raise CardError("The certificate is not for the key the card made.", device="smartcard")
    client.put_certificate(certificate, piv.KEY_AUTHENTICATION)
    client.change_pin(current_pin, pin)
    client.change_puk(current_puk, puk)
    return certificate


def personalised_piv_card(*, certify: Certify, pin: str, puk: str = piv.DEFAULT_PUK) -> PivCard:
    """A new emulated PIV card personalised as an operator card (see :func:`personalise_piv`).

    For ``rekam-hw emulate smartcard --card operator``: ``certify`` comes from outside
    the hardware layer, e.g. :func:`command_certifier`.
    """
    card = PivCard()
    card.power_on()
    personalise_piv(direct_client(card), certify=certify, pin=pin, puk=puk)
    card.power_off()
    return card


def command_certifier(argv: Sequence[str], *, timeout: float = 60.0) -> Certify:
    """A ``certify`` that runs ``argv`` with the public key (PEM) on stdin and takes the
    certificate (PEM or DER) from stdout — how a hardware-only program (``rekam-hw``) gets
    a card certified by the office's tooling without importing it."""

    def certify(point: bytes) -> bytes:
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        try:  # its stderr is the user's: notes and errors show where they ran it
            done = subprocess.run(
                list(argv), input=pem, stdout=subprocess.PIPE, timeout=timeout, check=True
            )
        except (OSError, subprocess.SubprocessError) as err:
            raise CardError(
                f"The certifying command {argv[0]!r} failed; see its output.", device="smartcard"
            ) from err
        out = done.stdout
        if out.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(out).public_bytes(Encoding.DER)
        return out

    return certify


class OperatorCard(PivCard):
    """An emulated PIV card the office is about to issue to one operator.

    Its key is generated in slot 9A when it is made and its PIN is set to ``pin``
    (the PUK stays the factory one); it holds no certificate until an issuer calls
    :meth:`install_certificate` (the emulated reader's ``card_issuer`` does so on
    insertion). ``operator_id`` and ``name`` are the order for the certificate only:
    the card itself does not store them, as a real PIV card does not.
    """

    def __init__(self, operator_id: str, name: str, pin: str) -> None:
        super().__init__()
        self.operator_id = operator_id
        self.name = name
        self.power_on()
        client = direct_client(self)
        client.select()
        client.authenticate_management(piv.DEFAULT_MANAGEMENT_KEY)
        self._point = client.generate_key(piv.KEY_AUTHENTICATION)
        client.change_pin(piv.DEFAULT_PIN, pin)
        self.power_off()

    def __repr__(self) -> str:
        return f"OperatorCard({self.operator_id!r}, pin_tries_left={self.pin_tries_left})"

    @property
    def public_key(self) -> bytes:
        """The slot 9A public point, 04 X Y (what the issuer certifies)."""
        return self._point

    @property
    def certificate(self) -> bytes | None:
        """The certificate in slot 9A's object; None while the card is not issued."""
        return self.certificate_in(piv.KEY_AUTHENTICATION)

    def install_certificate(self, certificate_der: bytes) -> None:
        """The office's personalisation: PUT DATA of the certificate (with the 9B key)."""
        self.power_on()
        client = direct_client(self)
        client.select()
        client.authenticate_management(piv.DEFAULT_MANAGEMENT_KEY)
        client.put_certificate(certificate_der, piv.KEY_AUTHENTICATION)
        self.power_off()
