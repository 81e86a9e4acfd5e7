"""``rekam-provision edge install``: install the office's edge controller over SSH.

rekam-provision [--office DIR] edge install [--host H] [--port P]
                                            (--host-key SHA256:... | --known-hosts F)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ektp.i18n import N_
from provisioning.edge_install import EDGE_UNITS, install_edge
from provisioning.hostkeys import keys_from_known_hosts, pin_by_fingerprint
from provisioning.office import OfficeDirectory
from provisioning.report import tr

MSG_EDGE_CHANGED = N_("Edge {host}: {count} step(s) changed:")
MSG_EDGE_UNCHANGED = N_("Edge {host}: nothing changed, it was already installed.")
MSG_EDGE_PLANNED = N_("System steps planned (check mode, not applied):")
MSG_EDGE_SERVICES = N_("Services: {units}")


def add_edge_parser(areas: Any) -> None:
    """Add the ``edge`` area to ``rekam-provision``'s sub-parsers."""
    edge = areas.add_parser("edge", help="the edge controller: install it over SSH")
    cmds = edge.add_subparsers(dest="command", metavar="{install}")
    install = cmds.add_parser(
        "install",
        help="install the edge controller (broker, Rekam, services) over SSH",
        description="Install the edge controller over SSH with the office's SSH key: "
        "mosquitto, NUT and chrony packages, the office's edge files as /etc/rekam (CA, "
        "certificates, CRL, edge.toml), mosquitto on that configuration, NUT for the "
        "office UPS (upsd on loopback only), chrony serving time to the booths, Rekam in a "
        "venv (/opt/rekam/venv) from a wheel of this Rekam, the rekam-edge service with a "
        "systemd watchdog, journald limits. Running it again changes nothing and says so.",
    )
    install.add_argument("--host", help="the edge's address (default: office init's --edge-host)")
    install.add_argument("--port", type=int, default=22, help="SSH port (default 22)")
    pin = install.add_mutually_exclusive_group(required=True)
    pin.add_argument("--host-key", metavar="SHA256:...", help="the edge's SSH host key fingerprint")
    pin.add_argument("--known-hosts", type=Path, help="a known_hosts file with the edge's key")


def run_edge(args: argparse.Namespace, office: OfficeDirectory) -> int:
    settings = office.load_inventory().office
    host = args.host or settings.edge_host
    if args.host_key:
        keys = pin_by_fingerprint(host, args.port, args.host_key)
    else:
        keys = keys_from_known_hosts(args.known_hosts, host, args.port)
    result = install_edge(office, host, args.port, keys, progress=None if args.quiet else print)
    lang = args.lang
    if result.changed:
        print(tr(MSG_EDGE_CHANGED, lang, host=host, count=len(result.changed)))
        print("\n".join(f"  - {step}" for step in result.changed))
    else:
        print(tr(MSG_EDGE_UNCHANGED, lang, host=host))
    if result.planned:
        print(tr(MSG_EDGE_PLANNED, lang))
        print("\n".join(f"  - {step}" for step in result.planned))
    print(tr(MSG_EDGE_SERVICES, lang, units=", ".join(EDGE_UNITS)))
    return 0
