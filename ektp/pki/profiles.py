"""Every certificate profile of the office, built in one place.

* the office CA: self-signed, ``cA``, signs certificates and CRLs;
* a TLS client (a booth, the edge): ``clientAuth``, CN = the identity;
* the broker: ``serverAuth`` with its DNS names and addresses;
* an operator card: the card's Ed25519 key, UID = operator id, CN = name, and the
  extended key usage :data:`OPERATOR_LOGIN_USAGE`, so no other certificate of the
  office (a booth's TLS identity, the broker's) passes as an operator card.

Keys of TLS identities are ECDSA P-256 (what mosquitto 2.0 / OpenSSL 3.0 and Python's
``ssl`` accept for TLS on every side).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPERATOR_LOGIN_USAGE = x509.ObjectIdentifier("2.25.137634847810583612117164777730855817446")
"""Extended key usage "Rekam operator login" (a UUID-based OID, X.667: no registry needed)."""

CLOCK_SKEW = dt.timedelta(minutes=5)
"""Certificates start this much before "now", for clocks a little behind."""

DEFAULT_CA_DAYS = 3650
DEFAULT_CERT_DAYS = 1825
DEFAULT_CARD_DAYS = 1825
DEFAULT_CRL_DAYS = 3650
"""Long on purpose: an expired CRL makes OpenSSL refuse *every* client."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def key_usage(*, certificates_and_crls: bool) -> x509.KeyUsage:
    """Digital signature, plus certificate and CRL signing for a CA."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certificates_and_crls,
        crl_sign=certificates_and_crls,
        encipher_only=False,
        decipher_only=False,
    )


def single_text(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    """The one non-empty text value of ``oid`` in ``name``, or None."""
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str) or not values[0].value:
        return None
    return values[0].value


def ca_certificate_builder(
    key: ec.EllipticCurvePrivateKey, office_name: str, days: int
) -> x509.CertificateBuilder:
    """The office CA's self-signed certificate (O = the office)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, office_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Rekam office CA {office_name}"),
        ]
    )
    now = utcnow()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(certificates_and_crls=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _leaf_builder(
    issuer: x509.Certificate,
    subject: Sequence[x509.NameAttribute],
    public_key: object,
    start: dt.datetime,
    days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(issuer.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(certificates_and_crls=False), critical=True)
    )


def tls_builder(
    issuer: x509.Certificate,
    common_name: str,
    public_key: object,
    days: int,
    *,
    server_names: Sequence[x509.GeneralName] | None = None,
) -> x509.CertificateBuilder:
    """A TLS identity's certificate: a client (booth, edge), or the broker with its names."""
    office = single_text(issuer.subject, NameOID.ORGANIZATION_NAME)
    subject = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, office or "Rekam"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    ca_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        _leaf_builder(issuer, subject, public_key, utcnow() - CLOCK_SKEW, days)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
            critical=False,
        )
    )
    if server_names is None:
        return builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
    ).add_extension(x509.SubjectAlternativeName(list(server_names)), critical=False)


def operator_builder(
    issuer: x509.Certificate,
    card_key: ec.EllipticCurvePublicKey,
    *,
    operator_id: str,
    name: str,
    days: int,
    not_before: dt.datetime | None = None,
) -> x509.CertificateBuilder:
    """An operator card's certificate: UID = operator id, CN = name, O = the office."""
    office = single_text(issuer.subject, NameOID.ORGANIZATION_NAME)
    subject = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, office or "Rekam"),
        x509.NameAttribute(NameOID.USER_ID, operator_id),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ]
    start = not_before or utcnow() - CLOCK_SKEW
    return _leaf_builder(issuer, subject, card_key, start, days).add_extension(
        x509.ExtendedKeyUsage([OPERATOR_LOGIN_USAGE]), critical=False
    )


def is_operator_certificate(certificate: x509.Certificate) -> bool:
    """Not a CA, and carries the operator login usage."""
    extensions = certificate.extensions
    try:
        constraints = extensions.get_extension_for_class(x509.BasicConstraints).value
        usages = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return not constraints.ca and OPERATOR_LOGIN_USAGE in usages
