"""``rekam-provision operator enrol|issue|revoke``: operator cards (PIV) and their CRL.

rekam-provision [--office DIR] operator enrol --operator-id ID --name NAME [--reader NAME]
                [--days N]      (PIN and PUK are typed, or read as lines from a pipe)
rekam-provision [--office DIR] operator issue --operator-id ID --name NAME
                --card-public-key FILE --out CERT.der|CERT.pem [--days N]
rekam-provision [--office DIR] operator revoke (--serial S | --operator-id ID)
rekam-provision operator certify-key --operator-id ID --name NAME [--office-ca DIR]
                [--days N]      (PEM public key on stdin, PEM certificate on stdout)
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from ektp.i18n import N_
from ektp.pki import DEFAULT_CARD_DAYS
from provisioning.crl import add_edge_options, push_crl_to_edge
from provisioning.office import OfficeDirectory
from provisioning.operator_cards import (
    IssuedCard,
    OperatorCardError,
    issue_operator_card,
    parse_serial,
    read_card_public_key,
    revoke_operator_cards,
    write_certificate,
)
from provisioning.operator_certify import run_certify_key
from provisioning.operator_enrol import check_pin_and_puk, enrol_operator_card
from provisioning.report import tr

MSG_ISSUED = N_(
    "Issued operator card certificate for {operator_id} ({name}): serial {serial} "
    "({hex_serial}), valid until {until}, written to {out}."
)
MSG_ENROLLED = N_(
    "Enrolled the card for {operator_id} ({name}): certificate serial {serial} "
    "({hex_serial}), valid until {until}."
)
MSG_ALREADY_REVOKED = N_("Nothing changed: that card was already revoked.")
MSG_REVOKED = N_("Revoked {operator_id} ({name}), serial {serial}.")
MSG_CRL_WHERE = N_(
    "The office CRL is {crl} (copied to {edge_tls}). Booths get it from the edge over "
    "MQTT once the edge has it, and with `rekam-provision booth update`."
)


def add_operator_parser(areas: Any) -> None:
    """Add the ``operator`` area to the CLI's subparsers ``areas``."""
    operator = areas.add_parser(
        "operator", help="operator cards (PIV): enrol, issue, revoke, certify-key"
    )
    commands = operator.add_subparsers(dest="command", metavar="{enrol,issue,revoke,certify-key}")
    enrol = commands.add_parser(
        "enrol",
        help="make the PIV card in the reader an operator card",
        description="Generate an ECC P-256 key on the PIV card in the reader (slot 9A), "
        "certify it with the office CA, write the certificate and set the PIN and PUK you "
        "type (a card as bought: factory PIN, PUK and management key). The card is "
        "recorded in the office's register.",
    )
    _add_holder(enrol)
    enrol.add_argument(
        "--reader", default="", help="part of the card reader's name (default: the first)"
    )
    _add_days(enrol)
    issue = commands.add_parser(
        "issue",
        help="certify an operator card's public key with the office CA",
        description="Sign an operator certificate for the PUBLIC key the personalisation "
        "tool read from the card (its private key never leaves the card) and write it for "
        "the tool to store on the card. The office keeps a register of issued cards.",
    )
    _add_holder(issue)
    issue.add_argument(
        "--card-public-key",
        type=Path,
        required=True,
        help="the card's P-256 public key: PEM, DER, a 65-byte point or 130 hex digits",
    )
    issue.add_argument(
        "--out", type=Path, required=True, help="certificate file: *.pem for PEM, else DER"
    )
    _add_days(issue)
    revoke = commands.add_parser(
        "revoke",
        help="withdraw an operator card (office CRL; booths get it from the edge and with "
        "`booth update`)",
        description="Put an operator card's certificate on the office CA's revocation list "
        "and copy the list to the edge's TLS files (with --edge-ssh, onto the edge itself). "
        "The edge publishes it to the booths; `rekam-provision booth update` installs it too; "
        "booths read it at every login.",
    )
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--serial", help="the certificate's serial (decimal, or hex with 0x)")
    which.add_argument("--operator-id", help="revoke every valid card of this operator")
    add_edge_options(revoke)  # --edge-ssh: the CRL onto the edge (it tells the booths)
    certify = commands.add_parser(
        "certify-key",
        help="certify a card's public key: PEM key on stdin, PEM certificate on stdout",
        description="Read a card's P-256 public key (PEM) on stdin and write an operator "
        "certificate for it (PEM) on stdout, signed by the office CA in --office-ca DIR, or "
        "by a throwaway CA (deleted at once; stderr says so) without it. For emulated and "
        "test cards (`rekam-hw emulate smartcard --card operator` runs it): nothing is "
        "recorded in the office's register; enrol real cards with `operator enrol`.",
    )
    _add_holder(certify)
    certify.add_argument(
        "--office-ca", type=Path, help="the office CA directory (ca.key, ca.crt), e.g. OFFICE/ca"
    )
    _add_days(certify)


def _add_holder(command: argparse.ArgumentParser) -> None:
    command.add_argument("--operator-id", required=True, help="the operator's id, e.g. OP-0042")
    command.add_argument("--name", required=True, help="the operator's full name")


def _add_days(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--days", type=int, default=DEFAULT_CARD_DAYS, help="validity in days (default 5 years)"
    )


def run_operator(args: argparse.Namespace, office: OfficeDirectory) -> int:
    """Run ``operator enrol``, ``issue``, ``revoke`` or ``certify-key``; exit status."""
    if args.command == "enrol":
        return _enrol(args, office)
    if args.command == "certify-key":
        return run_certify_key(args)
    if args.command == "issue":
        public_key = read_card_public_key(args.card_public_key)
        record, der = issue_operator_card(
            office, public_key, operator_id=args.operator_id, name=args.name, days=args.days
        )
        write_certificate(der, args.out)
        print(tr(MSG_ISSUED, args.lang, out=args.out, **_card_fields(record)))
        return 0
    serial = parse_serial(args.serial) if args.serial else None
    revoked = revoke_operator_cards(office, serial=serial, operator_id=args.operator_id)
    if not revoked:
        print(tr(MSG_ALREADY_REVOKED, args.lang))
        return 0
    for card in revoked:
        print(
            tr(
                MSG_REVOKED,
                args.lang,
                operator_id=card.operator_id,
                name=card.name,
                serial=card.serial,
            )
        )
    crl, edge_tls = office.ca_dir / "crl.pem", f"{office.edge_dir}/tls/"
    print(tr(MSG_CRL_WHERE, args.lang, crl=crl, edge_tls=edge_tls))
    return push_crl_to_edge(args, office)


def _secret(prompt: str) -> str:
    """Typed without echo; from a pipe (scripts, tests), one line of stdin."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _secret_twice(what: str) -> str:
    first = _secret(f"New {what}: ")
    if _secret(f"New {what} again: ") != first:
        raise OperatorCardError(f"The two {what}s typed differ; nothing was changed.")
    return first


def _enrol(args: argparse.Namespace, office: OfficeDirectory) -> int:
    pin = _secret_twice("PIN (6-8 digits)")
    puk = _secret_twice("PUK (8 characters)")
    check_pin_and_puk(pin, puk)
    record = enrol_operator_card(
        office,
        operator_id=args.operator_id,
        name=args.name,
        pin=pin,
        puk=puk,
        days=args.days,
        reader_name_contains=args.reader,
    )
    print(tr(MSG_ENROLLED, args.lang, **_card_fields(record)))
    return 0


def _card_fields(record: IssuedCard) -> dict[str, Any]:
    """The placeholders MSG_ISSUED and MSG_ENROLLED share."""
    return {
        "operator_id": record.operator_id,
        "name": record.name,
        "serial": record.serial,
        "hex_serial": f"0x{record.serial:x}",
        "until": f"{record.not_after:%Y-%m-%d}",
    }
