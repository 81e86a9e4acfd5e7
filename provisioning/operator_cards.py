"""Operator cards at the office: issue a card's certificate, revoke it, keep the register.

An operator card is a PIV card: it makes its ECC P-256 key pair itself (slot 9A) and
only ever shows its PUBLIC key. ``operator enrol`` (:mod:`provisioning.operator_enrol`)
does the whole personalisation through a USB reader; for a card personalised with
another tool (yubico-piv-tool, piv-tool), ``operator issue`` signs an
operator certificate for that key with the office CA
(:meth:`ektp.pki.OperatorCardIssuer.certificate_for`, the same
certificate booths check at login), writes it for the personalisation tool, and
records it in the office's register ``operator-cards.json``. ``operator revoke``
puts a card's serial (or every card of an operator) on the office CA's CRL and
copies the CRL to the edge's TLS files; ``booth add`` installs that CRL on each
booth (``[operator_cards] crl_path``), where every login reads it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ektp.pki import OperatorCardIssuer, PkiError
from provisioning.office import OfficeDirectory, OfficeError, sync_crl

REGISTER_FILE = "operator-cards.json"
"""The office's register of issued operator cards (public data: ids, names, serials)."""
CERTIFICATES_DIR = "operator-cards"
"""A PEM copy of every operator certificate issued, ``<operator id>-<serial hex>.crt``."""
MAX_CARD_DAYS = 3650
_POINT_LENGTH = 65  # an uncompressed P-256 point: 04 X Y
_OPERATOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class OperatorCardError(OfficeError):
    """Bad input to ``operator issue``/``operator revoke`` (message for the technician)."""


class IssuedCard(BaseModel):
    """One operator certificate the office issued."""

    model_config = ConfigDict(extra="forbid")

    operator_id: str = Field(description="The operator's id, as in the certificate's UID.")
    name: str = Field(description="The operator's name, as in the certificate's CN.")
    serial: int = Field(description="The certificate's serial number.")
    not_after: dt.datetime = Field(description="End of the certificate's validity (UTC).")
    issued_at: dt.datetime = Field(description="When the office issued it (UTC).")
    revoked_at: dt.datetime | None = Field(
        default=None, description="When it was put on the CRL; empty while it is valid."
    )


_REGISTER = TypeAdapter(list[IssuedCard])


@dataclass(frozen=True)
class OperatorRegister:
    """The register file in one office directory."""

    office: OfficeDirectory

    @property
    def path(self) -> Path:
        return self.office.root / REGISTER_FILE

    def cards(self) -> list[IssuedCard]:
        if not self.path.exists():
            return []
        try:
            return _REGISTER.validate_json(self.path.read_bytes())
        except ValueError as err:
            raise OperatorCardError(f"The operator register {self.path} is damaged.") from err

    def save(self, cards: list[IssuedCard]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_bytes(_REGISTER.dump_json(cards, indent=1))
        temporary.replace(self.path)


def read_card_public_key(path: Path) -> bytes:
    """The card's P-256 public key from the file ``path`` (see :func:`parse_card_public_key`)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise OperatorCardError(f"Cannot read the card's public key {path}: {err}.") from err
    return parse_card_public_key(data, str(path))


def parse_card_public_key(data: bytes, source: str) -> bytes:
    """A card's P-256 public key as its uncompressed point, from PEM or DER
    SubjectPublicKeyInfo (``yubico-piv-tool -a generate`` writes PEM), the 65-byte point, or
    those bytes as 130 hex digits; ``source`` names where it came from in errors."""
    text = data.strip()
    if re.fullmatch(rb"[0-9A-Fa-f]{130}", text):
        return bytes.fromhex(text.decode("ascii"))
    if len(data) == _POINT_LENGTH and data[0] == 0x04:
        return data
    try:
        key = (
            serialization.load_pem_public_key(data)
            if text.startswith(b"-----BEGIN")
            else serialization.load_der_public_key(data)
        )
    except (ValueError, TypeError) as err:
        raise OperatorCardError(
            f"{source} is not a public key (expected PEM, DER, a 65-byte point or 130 hex digits)."
        ) from err
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise OperatorCardError(f"{source} is not a P-256 key; operator cards use ECC P-256.")
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def check_operator(operator_id: str, name: str, days: int) -> None:
    if not _OPERATOR_ID.fullmatch(operator_id):
        raise OperatorCardError(
            f"Operator id {operator_id!r} is not valid: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if not name.strip() or not name.isprintable() or len(name) > 128:
        raise OperatorCardError("The operator's name must be 1-128 printable characters.")
    if not 1 <= days <= MAX_CARD_DAYS:
        raise OperatorCardError(f"--days must be between 1 and {MAX_CARD_DAYS}.")


def issuer_from(ca_dir: Path, missing: str) -> OperatorCardIssuer:
    """The office CA in ``ca_dir`` as the operator cards' issuer: OperatorCardError
    ``missing`` when it has no ``ca.key``, with the PKI's message when it cannot be read."""
    if not (ca_dir / "ca.key").exists():
        raise OperatorCardError(missing)
    try:
        return OperatorCardIssuer.from_ca_directory(ca_dir)
    except PkiError as err:
        raise OperatorCardError(str(err)) from err


def issue_operator_card(
    office: OfficeDirectory,
    public_key: bytes,
    *,
    operator_id: str,
    name: str,
    days: int,
) -> tuple[IssuedCard, bytes]:
    """Certify a card's P-256 ``public_key`` (uncompressed point) for an operator;
    (record, DER certificate)."""
    check_operator(operator_id, name, days)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
    except ValueError as err:
        raise OperatorCardError("The card's public key is not a valid P-256 key.") from err
    register = OperatorRegister(office)
    cards = register.cards()
    issuer = issuer_from(
        office.ca_dir,
        f"No office CA in {office.ca_dir}: run `rekam-provision office init` first "
        "(or pass --office DIR).",
    )
    der = issuer.certificate_for(public_key, operator_id=operator_id, name=name, days=days)
    certificate = x509.load_der_x509_certificate(der)
    record = IssuedCard(
        operator_id=operator_id,
        name=name,
        serial=certificate.serial_number,
        not_after=certificate.not_valid_after_utc,
        issued_at=dt.datetime.now(dt.UTC),
    )
    copies = office.root / CERTIFICATES_DIR
    copies.mkdir(exist_ok=True)
    (copies / f"{operator_id}-{record.serial:x}.crt").write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
    )
    register.save([*cards, record])
    return record, der


def write_certificate(der: bytes, out: Path) -> None:
    """Write the certificate for the personalisation tool: PEM for ``*.pem``, else DER."""
    data = der
    if out.suffix.lower() == ".pem":
        data = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    try:
        out.write_bytes(data)
    except OSError as err:
        raise OperatorCardError(f"Cannot write the certificate to {out}: {err}.") from err


def parse_serial(text: str) -> int:
    """A serial as printed by ``operator issue`` (decimal) or in hex with ``0x``."""
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError as err:
        raise OperatorCardError(
            f"Serial {text!r} is not a number (decimal, or hex with 0x)."
        ) from err


def revoke_operator_cards(
    office: OfficeDirectory, *, serial: int | None = None, operator_id: str | None = None
) -> list[IssuedCard]:
    """Put the card ``serial``, or every valid card of ``operator_id``, on the office CRL;
    copy the CRL to the edge. Returns the cards revoked now (empty: already revoked)."""
    register = OperatorRegister(office)
    cards = register.cards()
    if serial is not None:
        chosen = [card for card in cards if card.serial == serial]
        if not chosen:
            raise OperatorCardError(
                f"No operator card with serial {serial} (0x{serial:x}) was issued by this office."
            )
    else:
        chosen = [card for card in cards if card.operator_id == operator_id]
        if not chosen:
            raise OperatorCardError(f"This office issued no operator card to {operator_id!r}.")
    now = dt.datetime.now(dt.UTC)
    revoked = [card for card in chosen if card.revoked_at is None]
    ca = office.load_ca()
    for card in revoked:
        ca.revoke(card.serial)
        card.revoked_at = now
    register.save(cards)
    sync_crl(office)
    return revoked
