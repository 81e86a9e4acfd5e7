"""The checks both sides share: which trusted CA issued a certificate, and whose a CRL is."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def issued_by(certificate: x509.Certificate, issuers: Sequence[x509.Certificate]) -> str | None:
    """The subject (RFC 4514) of the trusted CA that signed ``certificate``, or None."""
    for issuer in issuers:
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return issuer.subject.rfc4514_string()
    return None


def crl_signed_by_one_of(
    crl: x509.CertificateRevocationList, issuers: Sequence[x509.Certificate]
) -> bool:
    """Whether one of the trusted CAs issued and signed ``crl``."""
    for issuer in issuers:
        key = issuer.public_key()
        if not isinstance(
            key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
        ):
            continue
        if crl.issuer == issuer.subject and crl.is_signature_valid(key):
            return True
    return False
