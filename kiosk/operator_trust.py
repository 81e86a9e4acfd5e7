"""Which operator cards a booth accepts: the office CA that issues them, and its CRL.

An operator card carries a certificate from the office CA for the key it made
itself (checked with :mod:`ektp.pki`). The booth trusts the CA named by
``[operator_cards] issuer_cert_path`` or, by default, the office CA it already
has for the broker (``[edge] ca_cert_path``). With ``crl_path`` it also refuses
cards the office has revoked. Both files are read at every login, so a CRL or a
new CA certificate put in place by provisioning counts at once; a booth with
no CA, an unreadable CA file or a CRL that is not the office's refuses every
card (it fails closed) with a sentence for the technician.

On emulated devices (tests, the demo) :func:`emulated_card_issuer` plays the office's
personalisation: the emulated reader gets it and issues each blank operator card.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509

from ektp.i18n import N_
from ektp.pki import CardNotGenuine, OperatorCardIssuer, crl_signed_by_one_of
from hardware.smartcard import CardIssuer, EmulatedSmartCardConfig, OperatorCard
from hardware.smartcard.config import RealSmartCardConfig
from kiosk.config.operator_cards import OperatorCardSettings
from kiosk.flow.errors import FlowError

MSG_NOT_ISSUED = N_(
    "This card was not issued by this office. Login refused; hand the card to the supervisor."
)
MSG_NOT_GENUINE = N_(
    "This card could not prove it is genuine. Login refused; hand the card to the supervisor."
)
MSG_EXPIRED = N_("This operator card has expired. Ask the office for a new card.")
MSG_REVOKED = N_("This operator card has been withdrawn by the office. Login refused.")
MSG_NO_TRUST = N_(
    "This booth cannot check operator cards (the office certificate is missing or "
    "unreadable). Call the technician."
)

_MESSAGE_FOR_REASON = {"wrong_key": MSG_NOT_GENUINE, "expired": MSG_EXPIRED, "revoked": MSG_REVOKED}


class OperatorCardRefused(FlowError):
    """The card did not prove it is the office's; ``reason`` says which check failed."""

    code = "operator_card_refused"

    def __init__(self, refusal: CardNotGenuine) -> None:
        super().__init__(_MESSAGE_FOR_REASON.get(refusal.reason, MSG_NOT_ISSUED))
        self.reason = refusal.reason


class OperatorTrustUnavailable(FlowError):
    """The booth has no usable office CA or CRL to check operator cards with."""

    code = "operator_trust"

    def __init__(self, cause: str) -> None:
        super().__init__(MSG_NO_TRUST)
        self.cause = cause
        """For the technician's log (a path and what is wrong with it)."""


class OperatorCardTrust:
    """The office CA certificates and revoked serials, read from files at each login."""

    def __init__(self, issuer_cert_path: Path | None, crl_path: Path | None = None) -> None:
        self.issuer_cert_path = issuer_cert_path
        self.crl_path = crl_path

    @classmethod
    def for_booth(
        cls, settings: OperatorCardSettings, edge_ca_cert_path: Path | None
    ) -> OperatorCardTrust:
        """The booth's trust: its own setting, else the office CA of its edge link."""
        return cls(settings.issuer_cert_path or edge_ca_cert_path, settings.crl_path)

    def issuers(self) -> list[x509.Certificate]:
        """The trusted CA certificates; OperatorTrustUnavailable when there is none."""
        path = self.issuer_cert_path
        if path is None:
            raise OperatorTrustUnavailable("no office CA is configured for operator cards")
        try:
            certificates = x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError) as err:
            raise OperatorTrustUnavailable(f"cannot read the office CA from {path}") from err
        return certificates

    def revoked_serials(
        self, issuers: list[x509.Certificate], now: dt.datetime | None = None
    ) -> frozenset[int]:
        """Serials on the office's CRL (empty without one); OperatorTrustUnavailable when
        the CRL is unreadable, not signed by a trusted CA, or past its next update."""
        path = self.crl_path
        if path is None:
            return frozenset()
        try:
            crl = x509.load_pem_x509_crl(path.read_bytes())
        except (OSError, ValueError) as err:
            raise OperatorTrustUnavailable(f"cannot read the revocation list {path}") from err
        if not crl_signed_by_one_of(crl, issuers):
            raise OperatorTrustUnavailable(f"the revocation list {path} is not the office CA's")
        next_update = crl.next_update_utc
        if next_update is not None and next_update < (now or dt.datetime.now(dt.UTC)):
            raise OperatorTrustUnavailable(f"the revocation list {path} is out of date")
        return frozenset(entry.serial_number for entry in crl)


def emulated_card_issuer(
    config: RealSmartCardConfig | EmulatedSmartCardConfig,
) -> CardIssuer | None:
    """The office's personalisation for an emulated reader with ``operator_card_issuer_dir``
    (None otherwise). The CA is opened when the first blank card goes in."""
    if not isinstance(config, EmulatedSmartCardConfig) or config.operator_card_issuer_dir is None:
        return None
    directory = config.operator_card_issuer_dir
    opened: list[OperatorCardIssuer] = []

    def issue(card: OperatorCard) -> int:
        if not opened:
            opened.append(OperatorCardIssuer.from_ca_directory(directory))
        return opened[0].personalise(card)

    return issue
