"""``rekam-provision``: set up and look after an office's booths from a technician's laptop.

    rekam-provision [--office DIR] office init --name N --edge-host H --ssh-key KEY
                                         --central-public-key PEM [--edge-config TOML]
    rekam-provision [--office DIR] booth add --host H --id booth-NN
                                             (--host-key SHA256:... | --known-hosts F)
    rekam-provision [--office DIR] booth replace booth-NN --host H2 [--host-key SHA256:...]
                                                 [--old-outbox F]
    rekam-provision [--office DIR] booth update (--all | booth-NN ...) [--release SOURCE_DIR]
    rekam-provision [--office DIR] booth status
    rekam-provision [--office DIR] booth revoke booth-NN [--edge-ssh H[:P] --edge-host-key K]
    rekam-provision [--office DIR] office crl --edge-ssh H[:P] --edge-host-key SHA256:...
    rekam-provision [--office DIR] operator issue --operator-id ID --name NAME
                                   --card-public-key FILE --out CERT.der|pem [--days N]
    rekam-provision [--office DIR] operator revoke (--serial S | --operator-id ID)
    rekam-provision [--office DIR] operator enrol --operator-id ID --name NAME [--reader R]
    rekam-provision [--office DIR] operator certify-key --operator-id ID --name NAME
    rekam-provision edge install ...          (the edge box over SSH)
    rekam-provision lab up|status|shell|down|rehearse ...   (throwaway machines, root only)

Every operation is idempotent: run it again and it reports that nothing changed.
Messages are in Indonesian; ``--lang en`` (before the area) shows them in English.
Exit status: 0 success, 1 a booth failed (self-test, rollback, unreachable), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ektp.errors import RekamError
from ektp.i18n import LANGUAGES, N_
from provisioning.booth_ops import Provisioner
from provisioning.cli_help import language_of, localize_parser
from provisioning.crl import add_crl_parsers, run_crl_command
from provisioning.edge_cli import add_edge_parser, run_edge
from provisioning.edge_nut import DUMMY_DRIVER, DUMMY_STATE_FILE
from provisioning.errors import HostKeyError
from provisioning.hostkeys import keys_from_known_hosts, pin_by_fingerprint
from provisioning.inventory import OfficeSettings
from provisioning.lab.cli import add_lab_parser, run_lab
from provisioning.office import OfficeDirectory, edge_install_hint, init_office
from provisioning.operator_cli import add_operator_parser, run_operator
from provisioning.outcome import Outcome
from provisioning.report import (
    change_summary,
    edge_key_commands,
    outcome_table,
    selftest_table,
    status_table,
    tr,
)

MSG_NO_PINNED_KEY = N_(
    "No pinned host key for {host}: pass --host-key with the fingerprint shown on the "
    "unit's console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) or "
    "--known-hosts FILE."
)
MSG_OFFICE_IN = N_("Office {name} in {root}:")
MSG_CREATED = N_("created")
MSG_KEPT = N_("kept")
MSG_OFFICE_UNCHANGED = N_("Nothing changed: the office was already set up.")
MSG_OFFICE_CHANGED = N_("{count} item(s) created or updated.")
MSG_SELFTEST_ON = N_("Hardware self-test on {booth_id}:")
MSG_PLANNED_ON = N_("System steps planned on {booth_id} (check mode, not applied):")
MSG_NAME_BOOTHS = N_("name the booths to update, or --all")
MSG_RELEASE = N_("Release {version} ({tarball})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekam-provision",
        description="Provision, replace, update and check Rekam booths over SSH "
        "(ansible-core playbooks). Every operation can be run again safely.",
    )
    parser.add_argument(
        "--office",
        type=Path,
        default=Path("rekam-office"),
        help="the office directory (CA, inventory, edge files); default ./rekam-office",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="id",
        help="language of the messages: id (Bahasa Indonesia, the default) or en",
    )
    areas = parser.add_subparsers(dest="area", metavar="{office,booth,operator,edge,lab}")

    office = areas.add_parser("office", help="the office: CA, edge broker files, inventory")
    office_cmds = office.add_subparsers(dest="command", metavar="{init,crl}")
    init = office_cmds.add_parser(
        "init",
        help="create the office CA, the edge's broker certificate and config, "
        "and an empty booth inventory",
        description="Create (or complete) the office directory: the office CA, the edge's "
        "broker certificate, mosquitto.conf and ACL, edge.toml, NUT's files for the office "
        "UPS, the time server's settings, and an empty booth inventory. Running it again "
        "with the same settings changes nothing.",
    )
    init.add_argument("--name", required=True, help="office name, e.g. 'Kecamatan Gunung Tabur'")
    init.add_argument(
        "--edge-host",
        required=True,
        help="the edge controller's LAN address or DNS name, as booths reach it (it goes "
        "into the broker certificate)",
    )
    init.add_argument("--broker-port", type=int, default=8883, help="broker TLS port")
    init.add_argument("--ssh-key", type=Path, required=True, help="your SSH private key")
    init.add_argument("--ssh-user", default="pi", help="account on the booths (default pi)")
    init.add_argument(
        "--central-public-key",
        type=Path,
        required=True,
        help="central's X25519 public key (PEM) that booths seal biometrics for",
    )
    init.add_argument(
        "--edge-config",
        type=Path,
        help="the edge's edge.toml, when you run rekam-provision on the edge controller "
        "itself: booth add/replace then register each booth's signing key at the edge",
    )
    init.add_argument(
        "--broker-name",
        action="append",
        default=[],
        help="DNS name of the edge in the broker certificate (repeatable)",
    )
    init.add_argument(
        "--central-url",
        default="",
        help="central's receiver (https://...): the edge forwards every packet there",
    )
    init.add_argument("--central-ca", type=Path, help="CA certificate of central's server")
    init.add_argument(
        "--central-receipt-key", type=Path, help="central's receipt public key (Ed25519 PEM)"
    )
    init.add_argument("--ups-driver", help="NUT driver of the office UPS (default usbhid-ups)")
    init.add_argument("--ups-port", help="its port in NUT's ups.conf (default auto)")
    testing = init.add_argument_group("lab and testing")
    testing.add_argument("--root-prefix", default="", help="prefix every path on booths")
    testing.add_argument(
        "--plan-system-changes",
        action="store_true",
        help="run package/service/overlay steps in check mode only and report them",
    )
    testing.add_argument("--booth-python", help="Python that runs Rekam on booths")
    testing.add_argument(
        "--emulated-hardware", action="store_true", help="booths use emulated devices"
    )
    testing.add_argument(
        "--no-data-partition", action="store_true", help="no fstab line for a data partition"
    )
    testing.add_argument(
        "--data-loop-file",
        action="store_true",
        help="the data file system is an image file mounted with -o loop (lab machines)",
    )

    booth = areas.add_parser("booth", help="add, replace, update, or check booths")
    cmds = booth.add_subparsers(dest="command", metavar="{add,replace,update,status,revoke}")
    add = cmds.add_parser(
        "add",
        help="turn a fresh Raspberry Pi into a booth (packages, Rekam, identity, "
        "config, services, read-only root, key-only SSH, self-test)",
        description="Turn a fresh Raspberry Pi into a booth over SSH, checking its pinned "
        "host key: system packages and Rekam, a TLS key and a packet-signing key made on "
        "the unit (the office CA signs its request; no private key leaves it), the edge "
        "learns the signing key (with office init --edge-config), booth configuration, "
        "kiosk service, time sync, hardware watchdog, key-only SSH, read-only root, and "
        "the hardware self-test. Running it again changes nothing and says so.",
    )
    add.add_argument("--host", required=True, help="the unit's address")
    add.add_argument("--id", dest="booth_id", required=True, help="booth id, e.g. booth-01")
    add.add_argument("--port", type=int, default=22, help="SSH port (default 22)")
    _release_option(add)
    _pin_options(add)

    replace = cmds.add_parser(
        "replace",
        help="a new unit takes over a booth's id, configuration and records; "
        "the old certificate is revoked",
        description="A new unit takes over a broken booth: same id and configuration, a "
        "NEW key and certificate (the old certificate is revoked and the CRL for the edge "
        "rewritten), the edge's signing key rotated (the old key stays valid for records "
        "sealed before now), and the unsent records of the old unit's outbox copied into "
        "the new unit's, when it is readable. The summary shows how many were recovered. "
        "Running it again changes nothing and says so.",
    )
    replace.add_argument("booth_id", help="the booth to move, e.g. booth-03")
    replace.add_argument("--host", required=True, help="the new unit's address")
    replace.add_argument("--port", type=int, default=22, help="SSH port of the new unit")
    replace.add_argument(
        "--old-outbox",
        type=Path,
        help="the old unit's outbox.sqlite copied from its SD card (default: read it over SSH)",
    )
    _release_option(replace)
    _pin_options(replace)

    update = cmds.add_parser(
        "update",
        help="rolling software update, one booth at a time, self-test after each, "
        "automatic rollback on failure",
        description="Install a release on the booths one at a time; after each, restart "
        "the kiosk and run the hardware self-test. A booth that fails it is switched back "
        "to its previous release and the rollout stops there.",
    )
    update.add_argument("booth_ids", nargs="*", help="booths to update")
    update.add_argument("--all", action="store_true", help="every booth in the inventory")
    _release_option(update)
    status_help = "every booth's version, health, outbox depth, last seen"
    cmds.add_parser(
        "status",
        help=status_help,
        description=f"Show {status_help} (read-only: runs the self-test, changes nothing).",
    )
    add_crl_parsers(office_cmds, cmds)  # office crl, booth revoke
    add_operator_parser(areas)
    add_edge_parser(areas)
    add_lab_parser(areas)
    return parser


def _release_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release",
        type=Path,
        help="source tree holding ektp/, hardware/, kiosk/ to install (default: this Rekam)",
    )


def _pin_options(parser: argparse.ArgumentParser) -> None:
    pin = parser.add_mutually_exclusive_group()
    pin.add_argument(
        "--host-key",
        metavar="SHA256:...",
        help="the unit's SSH host key fingerprint, read on its console with "
        "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`",
    )
    pin.add_argument("--known-hosts", type=Path, help="a known_hosts file with the unit's key")


def _host_keys(args: argparse.Namespace, provisioner: Provisioner) -> list[str]:
    if args.host_key:
        return pin_by_fingerprint(args.host, args.port, args.host_key)
    if args.known_hosts:
        return keys_from_known_hosts(args.known_hosts, args.host, args.port)
    for entry in provisioner.inventory.booths.values():
        if (entry.host, entry.port) == (args.host, args.port) and entry.host_keys:
            return entry.host_keys
    raise HostKeyError(MSG_NO_PINNED_KEY, host=args.host)


def _office_init(args: argparse.Namespace, office: OfficeDirectory) -> int:
    defaults = OfficeSettings.model_fields
    settings = OfficeSettings(
        name=args.name,
        edge_host=args.edge_host,
        broker_port=args.broker_port,
        ssh_user=args.ssh_user,
        ssh_private_key=args.ssh_key.resolve(),
        edge_config=args.edge_config.resolve() if args.edge_config else None,
        booth_python=args.booth_python or defaults["booth_python"].default,
        root_prefix=args.root_prefix,
        plan_system_changes=args.plan_system_changes,
        emulated_hardware=args.emulated_hardware,
        central_url=args.central_url,
        data_device=""
        if args.no_data_partition
        else ("loopfile" if args.data_loop_file else defaults["data_device"].default),
        ups_driver=args.ups_driver
        or (DUMMY_DRIVER if args.emulated_hardware else defaults["ups_driver"].default),
        ups_port=args.ups_port
        or (DUMMY_STATE_FILE if args.emulated_hardware else defaults["ups_port"].default),
    )
    result = init_office(
        office,
        settings,
        central_public_key=args.central_public_key,
        broker_names=["localhost", *args.broker_name],
        broker_ips=["127.0.0.1"],
        central_files=(args.central_ca, args.central_receipt_key),
    )
    lang = args.lang
    created, kept = tr(MSG_CREATED, lang), tr(MSG_KEPT, lang)
    width = max(len(created), len(kept))
    rows = "\n".join(
        f"  {(created if c else kept).ljust(width)}  {what}" for what, c in result.steps
    )
    print(tr(MSG_OFFICE_IN, lang, name=args.name, root=office.root) + "\n" + rows)
    print(
        tr(MSG_OFFICE_UNCHANGED, lang)
        if result.changed == 0
        else tr(MSG_OFFICE_CHANGED, lang, count=result.changed) + "\n" + edge_install_hint(office)
    )
    return 0


def _finish(outcomes: list[Outcome], provisioner: Provisioner, lang: str) -> int:
    for outcome in outcomes:
        if outcome.selftest:
            heading = tr(MSG_SELFTEST_ON, lang, booth_id=outcome.booth_id)
            print(f"\n{heading}\n{selftest_table(outcome, lang)}")
        if outcome.planned_steps:
            steps = "\n".join(f"  - {step}" for step in outcome.planned_steps)
            print(f"\n{tr(MSG_PLANNED_ON, lang, booth_id=outcome.booth_id)}\n{steps}")
    print("\n" + outcome_table(outcomes, lang))
    plan_system = provisioner.settings.plan_system_changes
    print(change_summary(outcomes, plan_system=plan_system, lang=lang))
    commands = edge_key_commands(outcomes, provisioner.office, lang)
    if commands:
        print("\n" + commands)
    return 1 if any(o.failed for o in outcomes) else 0


def _booth(args: argparse.Namespace, office: OfficeDirectory) -> int:
    progress = None if args.quiet else print
    with Provisioner(office, progress=progress) as provisioner:
        if args.command == "add":
            keys = _host_keys(args, provisioner)
            release = provisioner.release(args.release)
            outcome = provisioner.add(args.booth_id, args.host, args.port, keys, release=release)
            return _finish([outcome], provisioner, args.lang)
        if args.command == "replace":
            keys = _host_keys(args, provisioner)
            outcome = provisioner.replace(
                args.booth_id,
                args.host,
                args.port,
                keys,
                old_outbox=args.old_outbox,
                release=provisioner.release(args.release),
            )
            return _finish([outcome], provisioner, args.lang)
        if args.command == "update":
            ids = sorted(provisioner.inventory.booths) if args.all else args.booth_ids
            if not ids:
                print(f"rekam-provision: {tr(MSG_NAME_BOOTHS, args.lang)}", file=sys.stderr)
                return 2
            for booth_id in ids:
                provisioner.inventory.booth(booth_id)
            release = provisioner.release(args.release)
            print(tr(MSG_RELEASE, args.lang, version=release.version, tarball=release.tarball))
            return _finish(provisioner.update(ids, release), provisioner, args.lang)
        outcomes = provisioner.status()
        print("\n" + status_table(provisioner.inventory, outcomes, args.lang))
        return 1 if any(o.failed for o in outcomes) else 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    localize_parser(parser, language_of(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if args.area is None or args.command is None:
        parser.print_help()
        return 2
    office = OfficeDirectory(args.office)
    try:
        if getattr(args, "crl_command", None):
            return run_crl_command(args, office)
        if args.area == "office":
            return _office_init(args, office)
        if args.area == "operator":
            return run_operator(args, office)
        if args.area == "edge":
            return run_edge(args, office)
        if args.area == "lab":
            return run_lab(args)
        return _booth(args, office)
    except RekamError as err:  # our root and ektp's: a sentence in the technician's language
        print(f"rekam-provision: {err.localized(args.lang)}", file=sys.stderr)
        return 1
    except FileNotFoundError as err:  # a missing file
        print(f"rekam-provision: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
