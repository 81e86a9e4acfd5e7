"""A TLS identity's side of the office PKI: the key made where it is used, and its certificate.

A booth's private key is made on the booth and never leaves it:
:func:`make_key_and_csr` writes the key (mode 0600) in the booth's directory and
returns only a certificate signing request; the office CA (kept by provisioning)
signs it with :meth:`~ektp.pki.OfficeCA.issue_certificate`; :func:`install_certificate`
puts the certificate beside the key. :func:`dev_issue_booth` does all three at
once for development and tests. The booth's *packet signing* key is a separate
Ed25519 key made by the kiosk.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ektp.i18n import N_
from ektp.pki.files import (
    CA_CERT_FILE,
    pem_private_key,
    private_directory,
    write_private,
    write_public,
)
from ektp.pki.identity import IssuedIdentity, PkiError, validate_booth_id, validate_identity
from ektp.pki.office_ca import OfficeCA
from ektp.pki.profiles import DEFAULT_CERT_DAYS


def make_key_and_csr(identity: str, directory: Path | str, *, overwrite: bool = False) -> bytes:
    """On the booth: make ``<identity>.key`` (0600) in ``directory``; return the CSR PEM."""
    validate_identity(identity)
    directory = private_directory(Path(directory))
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]))
        .sign(key, hashes.SHA256())
    )
    try:
        write_private(directory / f"{identity}.key", pem_private_key(key), overwrite=overwrite)
    except FileExistsError as err:
        raise PkiError(
            N_("A key for {identity!r} already exists; refusing to replace it"), identity=identity
        ) from err
    return csr.public_bytes(serialization.Encoding.PEM)


def install_certificate(
    identity: str, directory: Path | str, cert_pem: bytes, ca_cert_pem: bytes
) -> IssuedIdentity:
    """On the booth: store the signed certificate and the CA's beside the key made earlier."""
    directory = Path(directory)
    key_path = directory / f"{identity}.key"
    certificate = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != (
        certificate.public_key().public_bytes(serialization.Encoding.DER, public)
    ):
        raise PkiError(
            N_("The certificate does not match the key of {identity!r}"), identity=identity
        )
    cert_path = directory / f"{identity}.crt"
    write_public(cert_path, cert_pem)
    ca_cert_path = directory / CA_CERT_FILE
    write_public(ca_cert_path, ca_cert_pem)
    return IssuedIdentity(identity, key_path, cert_path, ca_cert_path, certificate.serial_number)


def dev_issue_identity(
    ca: OfficeCA, identity: str, directory: Path | str, *, days: int = DEFAULT_CERT_DAYS
) -> IssuedIdentity:
    """Development/tests: key + CSR in ``directory``, signed by ``ca``, installed there."""
    csr_pem = make_key_and_csr(identity, directory, overwrite=True)
    cert_pem = ca.issue_certificate(csr_pem, common_name_expected=identity, days=days)
    return install_certificate(identity, directory, cert_pem, ca.cert_pem())


def dev_issue_booth(
    ca: OfficeCA, booth_id: str, directory: Path | str, *, days: int = DEFAULT_CERT_DAYS
) -> IssuedIdentity:
    """Development/tests: a booth identity (CN = ``booth_id``) in the booth's ``directory``."""
    return dev_issue_identity(ca, validate_booth_id(booth_id), directory, days=days)


def certificate_serial(cert_path: Path | str) -> int:
    """The serial number of the certificate in ``cert_path`` (for :meth:`OfficeCA.revoke`)."""
    return x509.load_pem_x509_certificate(Path(cert_path).read_bytes()).serial_number
