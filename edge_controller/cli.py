"""``rekam-edge``: run the edge controller, manage booth keys, and a development CA.

Commands::

    rekam-edge --print-default-config
    rekam-edge run --config FILE
    rekam-edge booth register --config FILE --id booth-01 --public-key FILE [--rotate]
    rekam-edge booth list --config FILE
    rekam-edge roster import --config FILE ROSTER.csv [--skip-bad-rows] [--lang en]
    rekam-edge upstream retry-held --config FILE [--code CODE]
    rekam-edge ca init --dir D --office NAME
    rekam-edge ca issue-booth --dir D --id booth-01 --out DIR
    rekam-edge ca issue-edge --dir D --out DIR
    rekam-edge ca issue-broker --dir D --out DIR [--dns NAME ...] [--ip ADDR ...]
    rekam-edge ca revoke --dir D (--serial N | --cert FILE)

``booth register`` again with the same key changes nothing; a new key for a booth
that has one (a replaced unit) needs ``--rotate``: the old key is retired and stays
valid for the records sealed before then (see :mod:`edge_controller.booths.keys`).

``roster import`` writes nothing when a row is bad (each is listed with its line
number) unless ``--skip-bad-rows``; the running edge sends the booths the new roster.

The ``ca`` commands are for development and tests; in production provisioning keeps
the office CA and signs the booths' requests (booth keys never leave the booth).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from edge_controller.booths.keys import (
    BoothKeyRing,
    booth_key_ring,
    register_booth_key,
    registered_booths,
)
from edge_controller.config.edge import EdgeConfig, load_edge_config
from edge_controller.config.example import EXAMPLE_CONFIG_TOML as DEFAULT_CONFIG_TOML
from edge_controller.ingest.build import build_edge_service
from edge_controller.ingest.db import connect
from edge_controller.ingest.service import EdgeService
from edge_controller.roster.importer import import_file, progress_line
from edge_controller.upstream.held import retry_held
from edge_controller.web.auth import user_add
from ektp.errors import RekamError
from ektp.i18n import DEFAULT_LANGUAGE, LANGUAGES
from ektp.pki import (
    EDGE_IDENTITY,
    OfficeCA,
    certificate_serial,
    dev_issue_booth,
    dev_issue_identity,
)
from ektp.regions import RegionTable
from ektp.sd_notify import SystemdNotifier, notify_when_ready

log = logging.getLogger("rekam-edge")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rekam-edge", description="Rekam edge controller.")
    parser.add_argument(
        "--print-default-config", action="store_true", help="Print an example config and exit."
    )
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser("run", help="Run the edge controller.")
    run.add_argument("--config", type=Path, required=True, help="TOML config file.")

    booth = commands.add_parser("booth", help="Booth registry.").add_subparsers(
        dest="booth_command", required=True
    )
    register = booth.add_parser(
        "register",
        help="Register a booth's packet-signing key (again with the same key: no change).",
    )
    register.add_argument("--config", type=Path, required=True, help="TOML config file.")
    register.add_argument("--id", required=True, help="Booth id, e.g. booth-01.")
    register.add_argument(
        "--public-key",
        type=Path,
        required=True,
        help="The booth's Ed25519 public key (PEM); '-' reads it from standard input.",
    )
    register.add_argument(
        "--rotate",
        action="store_true",
        help="The booth has a new key (a replaced unit): make it active and retire the old "
        "one, which stays valid for records sealed before now (recovered from the old unit).",
    )
    register.add_argument(
        "--json", action="store_true", help="Print what changed as one JSON object."
    )
    listing = booth.add_parser("list", help="List registered booths and their key ids.")
    listing.add_argument("--config", type=Path, required=True, help="TOML config file.")

    roster = commands.add_parser("roster", help="Resident roster.").add_subparsers(
        dest="roster_command", required=True
    )
    load = roster.add_parser("import", help="Import the roster file (CSV export).")
    load.add_argument("--config", type=Path, required=True, help="Edge configuration file.")
    load.add_argument("file", type=Path, help="The roster CSV (UTF-8; ',' or ';').")
    load.add_argument(
        "--skip-bad-rows", action="store_true", help="Import the good rows, list the bad ones."
    )
    load.add_argument(
        "--kelurahan",
        action="append",
        help="Only these villages are this office's (a row naming another is bad); repeatable.",
    )
    load.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    user = commands.add_parser("user", help="Dashboard users.").add_subparsers(
        dest="user_command", required=True
    )
    add_user = user.add_parser("add", help="Add a dashboard user (asks for the password).")
    add_user.add_argument("--config", type=Path, required=True, help="TOML config file.")
    add_user.add_argument("--name", required=True, help="Login name.")
    add_user.add_argument("--role", choices=("supervisor", "operator"), required=True)
    add_user.add_argument("--display-name", default="", help="Shown on the dashboard.")
    add_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    upstream = commands.add_parser("upstream", help="Forwarding to central.").add_subparsers(
        dest="upstream_command", required=True
    )
    retry = upstream.add_parser(
        "retry-held", help="Send again the records central refused for good (audited)."
    )
    retry.add_argument("--config", type=Path, required=True, help="TOML config file.")
    retry.add_argument("--code", help="Only those central refused with this code.")

    ca = commands.add_parser("ca", help="Development office CA.").add_subparsers(
        dest="ca_command", required=True
    )
    init = ca.add_parser("init", help="Create an office CA.")
    init.add_argument("--dir", type=Path, required=True, help="CA directory.")
    init.add_argument("--office", required=True, help="Office name.")
    issue = ca.add_parser("issue-booth", help="Issue a booth identity (key made locally).")
    issue.add_argument("--dir", type=Path, required=True, help="CA directory.")
    issue.add_argument("--id", required=True, help="Booth id, e.g. booth-01.")
    issue.add_argument("--out", type=Path, required=True, help="Directory for key + cert.")
    edge = ca.add_parser("issue-edge", help="Issue the edge controller's identity.")
    edge.add_argument("--dir", type=Path, required=True, help="CA directory.")
    edge.add_argument("--out", type=Path, required=True, help="Directory for key + cert.")
    server = ca.add_parser("issue-broker", help="Issue the broker's server certificate.")
    server.add_argument("--dir", type=Path, required=True, help="CA directory.")
    server.add_argument("--out", type=Path, required=True, help="Directory for key + cert.")
    server.add_argument("--dns", action="append", default=None, help="DNS name (repeatable).")
    server.add_argument("--ip", action="append", default=None, help="IP address (repeatable).")
    revoke = ca.add_parser("revoke", help="Revoke a certificate and rewrite the CRL.")
    revoke.add_argument("--dir", type=Path, required=True, help="CA directory.")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--serial", type=int, help="Serial number to revoke.")
    which.add_argument("--cert", type=Path, help="Certificate file to revoke.")
    return parser


def _run(config: EdgeConfig) -> int:
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return serve(build_edge_service(config))


def serve(service: EdgeService) -> int:
    """Run ``service`` until SIGTERM or SIGINT (what ``rekam-edge run`` does once wired)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, service.stop)
        # under systemd (Type=notify, WatchdogSec): READY=1 once serving, then WATCHDOG=1
        notifier = SystemdNotifier.from_environment(os.environ)
        pings = asyncio.create_task(notify_when_ready(service.ready, notifier))
        try:
            await service.run()
        finally:
            pings.cancel()

    asyncio.run(main())
    return 0


def _ca(args: argparse.Namespace) -> int:
    if args.ca_command == "init":
        ca = OfficeCA.create(args.dir, args.office)
        print(ca.cert_path)
    elif args.ca_command == "issue-booth":
        issued = dev_issue_booth(OfficeCA.load(args.dir), args.id, args.out)
        print(issued.cert_path)
    elif args.ca_command == "issue-edge":
        issued = dev_issue_identity(OfficeCA.load(args.dir), EDGE_IDENTITY, args.out)
        print(issued.cert_path)
    elif args.ca_command == "issue-broker":
        issued = OfficeCA.load(args.dir).issue_server_certificate(
            args.out,
            dns_names=args.dns or ("localhost",),
            ip_addresses=args.ip or ("127.0.0.1",),
        )
        print(issued.cert_path)
    else:
        serial = args.serial if args.serial is not None else certificate_serial(args.cert)
        print(OfficeCA.load(args.dir).revoke(serial))
    return 0


def _booth(args: argparse.Namespace) -> int:
    config = load_edge_config(args.config)
    conn = connect(config.database.path)
    try:
        if args.booth_command == "register":
            pem = (
                sys.stdin.buffer.read()
                if str(args.public_key) == "-"
                else args.public_key.read_bytes()
            )
            done = register_booth_key(
                conn, args.id, pem, dt.datetime.now(dt.UTC), rotate=args.rotate
            )
            print(json.dumps(dataclasses.asdict(done)) if args.json else done.describe())
        else:
            for booth_id in registered_booths(conn):
                print(describe_key_ring(booth_key_ring(conn, booth_id)))
    finally:
        conn.close()
    return 0


def describe_key_ring(ring: BoothKeyRing | None) -> str:
    """One line for ``booth list``: the booth, its active key and its retired keys."""
    if ring is None:
        return "?"
    line = f"{ring.booth_id}  key {ring.active.key_id}"
    for old in ring.retired:
        retired = old.retired_at.isoformat(timespec="seconds") if old.retired_at else "?"
        line += f"  (retired {old.key_id} at {retired})"
    return line


def _roster(args: argparse.Namespace) -> int:
    config = load_edge_config(args.config)
    data = args.file.read_bytes()
    conn = connect(config.database.path)
    try:
        outcome = import_file(
            conn,
            data,
            language=args.lang,
            imported_by=f"cli:{getpass.getuser()}",
            file_name=args.file.name,
            at=dt.datetime.now(config.timezone),
            skip_bad_rows=args.skip_bad_rows,
            known_kelurahan=args.kelurahan,
            regions=RegionTable.from_config(config.region),
            progress=lambda step, done, total: print(
                progress_line(step, done, total, args.lang), file=sys.stderr, flush=True
            ),
        )
    finally:
        conn.close()
    for line in outcome.summary:
        print(line, file=sys.stdout if outcome.ok else sys.stderr)
    for line in outcome.problems:
        print(f"  {line}", file=sys.stderr)
    return 0 if outcome.ok else 1


def _user(args: argparse.Namespace) -> int:
    config = load_edge_config(args.config)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("rekam-edge: the passwords differ", file=sys.stderr)
            return 2
    user = user_add(
        config.database.path,
        args.name,
        password,
        args.role,
        args.display_name,
        office_name=config.office_name,
    )
    print(f"added {user.username} ({user.role})")
    return 0


def _upstream(args: argparse.Namespace) -> int:
    config = load_edge_config(args.config)
    conn = connect(config.database.path)
    try:
        now = dt.datetime.now(dt.UTC)
        released = retry_held(conn, now, actor=f"cli:{getpass.getuser()}", code=args.code)
    finally:
        conn.close()
    print(f"{len(released)} held record(s) will be sent again")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.print_default_config:
        sys.stdout.write(DEFAULT_CONFIG_TOML)
        return 0
    try:
        if args.command == "run":
            return _run(load_edge_config(args.config))
        if args.command == "booth":
            return _booth(args)
        if args.command == "ca":
            return _ca(args)
        if args.command == "user":
            return _user(args)
        if args.command == "roster":
            return _roster(args)
        if args.command == "upstream":
            return _upstream(args)
    # Our errors (the edge's EdgeError and ektp's RekamError share one root), files that
    # cannot be read, and values refused by a check (a config that does not validate).
    except (RekamError, OSError, ValueError) as err:
        print(f"rekam-edge: {err}", file=sys.stderr)
        return 2
    _parser().print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
