"""The office PKI: every certificate of the office is built and checked here.

Every booth and the edge connect to the office broker with their own client
certificate (CN = their identity, the MQTT user name the ACL checks); the broker has
a server certificate; each operator card carries a certificate for the key it made
itself. One office CA (:class:`OfficeCA`, kept by provisioning) signs them all, from
the profiles in :mod:`ektp.pki.profiles`. Booths check operator cards with
:func:`verify_operator_certificate` and :func:`verify_card_signature`.
"""

from ektp.pki.files import CA_CERT_FILE, CA_KEY_FILE, CRL_FILE, ISSUED_DIR, REVOKED_FILE
from ektp.pki.identity import (
    EDGE_IDENTITY,
    IDENTITY_MAX_LENGTH,
    IDENTITY_PATTERN,
    RESERVED_IDENTITIES,
    CertificateRequestError,
    InvalidIdentityError,
    IssuedIdentity,
    PkiError,
    validate_booth_id,
    validate_identity,
)
from ektp.pki.identity_files import (
    certificate_serial,
    dev_issue_booth,
    dev_issue_identity,
    install_certificate,
    make_key_and_csr,
)
from ektp.pki.office_ca import OfficeCA
from ektp.pki.operator import (
    BlankOperatorCard,
    CardNotGenuine,
    CertifiedOperator,
    OperatorCardIssuer,
    RefusalReason,
    verify_card_signature,
    verify_operator_certificate,
)
from ektp.pki.profiles import (
    DEFAULT_CA_DAYS,
    DEFAULT_CARD_DAYS,
    DEFAULT_CERT_DAYS,
    DEFAULT_CRL_DAYS,
    OPERATOR_LOGIN_USAGE,
)
from ektp.pki.trust import crl_signed_by_one_of, issued_by

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "CRL_FILE",
    "DEFAULT_CARD_DAYS",
    "DEFAULT_CA_DAYS",
    "DEFAULT_CERT_DAYS",
    "DEFAULT_CRL_DAYS",
    "EDGE_IDENTITY",
    "IDENTITY_MAX_LENGTH",
    "IDENTITY_PATTERN",
    "ISSUED_DIR",
    "OPERATOR_LOGIN_USAGE",
    "RESERVED_IDENTITIES",
    "REVOKED_FILE",
    "BlankOperatorCard",
    "CardNotGenuine",
    "CertificateRequestError",
    "CertifiedOperator",
    "InvalidIdentityError",
    "IssuedIdentity",
    "OfficeCA",
    "OperatorCardIssuer",
    "PkiError",
    "RefusalReason",
    "certificate_serial",
    "crl_signed_by_one_of",
    "dev_issue_booth",
    "dev_issue_identity",
    "install_certificate",
    "issued_by",
    "make_key_and_csr",
    "validate_booth_id",
    "validate_identity",
    "verify_card_signature",
    "verify_operator_certificate",
]
