"""``rekam-provision operator certify-key``: certify one card key, as a filter (stdin → stdout).

For tools that make a card themselves and must not import the office's PKI: ``rekam-hw
emulate smartcard --card operator`` runs this command (through
``hardware.smartcard.piv_personalise.command_certifier``) with the public key the emulated
card generated in slot 9A. The PEM public key comes in on stdin; the PEM operator
certificate goes out on stdout — the same certificate ``operator issue`` makes
(:meth:`ektp.pki.OperatorCardIssuer.certificate_for`). With ``--office-ca DIR`` the CA in
DIR (``ca.key``, ``ca.crt``) signs; without it a throwaway office CA is made in a temporary
directory, used once and deleted (stderr says so): such a card is trusted by no booth.
Nothing is recorded in an office's register: real cards go through ``operator enrol``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, TextIO

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ektp.i18n import N_
from ektp.pki import OfficeCA, OperatorCardIssuer, PkiError
from provisioning.operator_cards import (
    OperatorCardError,
    check_operator,
    issuer_from,
    parse_card_public_key,
)
from provisioning.report import tr

THROWAWAY_CA_NAME = "Throwaway (certify-key)"
MSG_THROWAWAY_CA = N_(
    "No --office-ca: the key was certified by a throwaway office CA, deleted now; no booth "
    "trusts this card. Give --office-ca DIR (an office's ca directory) for a card a booth accepts."
)


def _certify(
    issuer: OperatorCardIssuer, point: bytes, operator_id: str, name: str, days: int
) -> bytes:
    try:
        return issuer.certificate_for(point, operator_id=operator_id, name=name, days=days)
    except PkiError as err:
        raise OperatorCardError(str(err)) from err


def certify_key(
    public_key: bytes,
    *,
    operator_id: str,
    name: str,
    days: int,
    office_ca: Path | None,
    lang: str = "id",
    notes: TextIO = sys.stderr,
) -> bytes:
    """The DER operator certificate for ``public_key`` (PEM, DER, a point or its hex)."""
    check_operator(operator_id, name, days)
    point = parse_card_public_key(public_key, "the public key on stdin")
    if office_ca is not None:
        issuer = issuer_from(
            office_ca, f"No office CA in {office_ca} (ca.key and ca.crt expected)."
        )
        return _certify(issuer, point, operator_id, name, days)
    with tempfile.TemporaryDirectory(prefix="rekam-throwaway-ca-") as scratch:
        issuer = OfficeCA.create(Path(scratch) / "ca", THROWAWAY_CA_NAME).operator_card_issuer()
        der = _certify(issuer, point, operator_id, name, days)
    print(f"rekam-provision: {tr(MSG_THROWAWAY_CA, lang)}", file=notes)
    return der


def run_certify_key(
    args: argparse.Namespace,
    *,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> int:
    """``operator certify-key``: the public key from stdin, the PEM certificate to stdout."""
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer
    der = certify_key(
        source.read(),
        operator_id=args.operator_id,
        name=args.name,
        days=args.days,
        office_ca=args.office_ca,
        lang=args.lang,
    )
    certificate = x509.load_der_x509_certificate(der)
    sink.write(certificate.public_bytes(serialization.Encoding.PEM))
    sink.flush()
    return 0
