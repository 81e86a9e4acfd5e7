"""``rekam-provision operator issue|revoke``: operator cards' certificates and their CRL.

rekam-provision [--office DIR] operator issue --operator-id ID --name NAME
                --card-public-key FILE --out CERT.der|CERT.pem [--days N]
rekam-provision [--office DIR] operator revoke (--serial S | --operator-id ID)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ektp.pki import DEFAULT_CARD_DAYS
from provisioning.office import OfficeDirectory
from provisioning.operator_cards import (
    issue_operator_card,
    parse_serial,
    read_card_public_key,
    revoke_operator_cards,
    write_certificate,
)


def add_operator_parser(areas: Any) -> None:
    """Add the ``operator`` area to the CLI's subparsers ``areas``."""
    operator = areas.add_parser("operator", help="operator cards: issue and revoke certificates")
    commands = operator.add_subparsers(dest="command", metavar="{issue,revoke}")
    issue = commands.add_parser(
        "issue",
        help="certify an operator card's public key with the office CA",
        description="Sign an operator certificate for the PUBLIC key the personalisation "
        "tool read from the card (its private key never leaves the card) and write it for "
        "the tool to store on the card. The office keeps a register of issued cards.",
    )
    issue.add_argument("--operator-id", required=True, help="the operator's id, e.g. OP-0042")
    issue.add_argument("--name", required=True, help="the operator's full name")
    issue.add_argument(
        "--card-public-key",
        type=Path,
        required=True,
        help="the card's Ed25519 public key: PEM, DER, 32 raw bytes or 64 hex digits",
    )
    issue.add_argument(
        "--out", type=Path, required=True, help="certificate file: *.pem for PEM, else DER"
    )
    issue.add_argument(
        "--days", type=int, default=DEFAULT_CARD_DAYS, help="validity in days (default 5 years)"
    )
    revoke = commands.add_parser(
        "revoke",
        help="withdraw an operator card (office CRL; booths get it with `booth add`)",
        description="Put an operator card's certificate on the office CA's revocation list "
        "and copy the list to the edge's TLS files. Run `rekam-provision booth add` for "
        "each booth again to install the new list there; booths read it at every login.",
    )
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--serial", help="the certificate's serial (decimal, or hex with 0x)")
    which.add_argument("--operator-id", help="revoke every valid card of this operator")


def run_operator(args: argparse.Namespace, office: OfficeDirectory) -> int:
    """Run ``operator issue`` or ``operator revoke``; exit status."""
    if args.command == "issue":
        public_key = read_card_public_key(args.card_public_key)
        record, der = issue_operator_card(
            office, public_key, operator_id=args.operator_id, name=args.name, days=args.days
        )
        write_certificate(der, args.out)
        print(
            f"Issued operator card certificate for {record.operator_id} ({record.name}): "
            f"serial {record.serial} (0x{record.serial:x}), valid until "
            f"{record.not_after:%Y-%m-%d}, written to {args.out}."
        )
        return 0
    serial = parse_serial(args.serial) if args.serial else None
    revoked = revoke_operator_cards(office, serial=serial, operator_id=args.operator_id)
    if not revoked:
        print("Nothing changed: that card was already revoked.")
        return 0
    for card in revoked:
        print(f"Revoked {card.operator_id} ({card.name}), serial {card.serial}.")
    print(
        f"The office CRL is {office.ca_dir / 'crl.pem'} (copied to {office.edge_dir}/tls/). "
        "Install it on the booths: run `rekam-provision booth add` for each booth again."
    )
    return 0
