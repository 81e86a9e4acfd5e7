"""Sign a booth's certificate request with the office CA (run on the technician's machine).

Ansible runs ``python -m provisioning.signer --office DIR --identity booth-01`` on the
technician's machine with the CSR (read from the booth) on stdin. It prints JSON:
``{"issued": bool, "certificate": PEM, "serial": hex}``. A request whose key already
has a valid, unrevoked certificate for that identity gets that certificate back
(``issued`` false): signing is idempotent, so a second ``booth add`` changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ektp.pki import ISSUED_DIR, OfficeCA

_RENEW_BEFORE = dt.timedelta(days=30)
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def existing_certificate(ca: OfficeCA, identity: str, csr: x509.CertificateSigningRequest):
    """A valid, unrevoked certificate of ``identity`` for the CSR's key, or None."""
    wanted = csr.public_key().public_bytes(*_SPKI)
    revoked = ca.revoked_serials()
    now = dt.datetime.now(dt.UTC)
    for path in sorted((ca.directory / ISSUED_DIR).glob(f"{identity}-*.crt")):
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
        if (
            certificate.serial_number not in revoked
            and certificate.public_key().public_bytes(*_SPKI) == wanted
            and certificate.not_valid_after_utc - _RENEW_BEFORE > now
        ):
            return certificate
    return None


def sign(office_dir: Path, identity: str, csr_pem: bytes) -> dict[str, object]:
    ca = OfficeCA.load(office_dir / "ca")
    csr = x509.load_pem_x509_csr(csr_pem)
    certificate = existing_certificate(ca, identity, csr)
    issued = certificate is None
    if certificate is None:
        pem = ca.issue_certificate(csr_pem, common_name_expected=identity)
        certificate = x509.load_pem_x509_certificate(pem)
    return {
        "issued": issued,
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "serial": f"{certificate.serial_number:x}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provisioning.signer")
    parser.add_argument("--office", type=Path, required=True)
    parser.add_argument("--identity", required=True)
    args = parser.parse_args(argv)
    try:
        result = sign(args.office, args.identity, sys.stdin.buffer.read())
    except Exception as err:  # reported to ansible as a failed task with this message
        print(f"cannot sign the request for {args.identity}: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
