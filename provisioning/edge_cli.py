"""``rekam-provision edge install``: install the office's edge controller over SSH.

rekam-provision [--office DIR] edge install [--host H] [--port P]
                                            (--host-key SHA256:... | --known-hosts F)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from provisioning.edge_install import EDGE_UNITS, install_edge
from provisioning.hostkeys import keys_from_known_hosts, pin_by_fingerprint
from provisioning.office import OfficeDirectory


def add_edge_parser(areas: Any) -> None:
    """Add the ``edge`` area to ``rekam-provision``'s sub-parsers."""
    edge = areas.add_parser("edge", help="the edge controller: install it over SSH")
    cmds = edge.add_subparsers(dest="command", metavar="{install}")
    install = cmds.add_parser(
        "install",
        help="install the edge controller (broker, Rekam, services) over SSH",
        description="Install the edge controller over SSH with the office's SSH key: "
        "mosquitto and NUT packages, the office's edge files as /etc/rekam (CA, "
        "certificates, CRL, edge.toml), mosquitto on that configuration, Rekam in a venv "
        "(/opt/rekam/venv) from a wheel of this Rekam, the rekam-edge service, journald "
        "limits. Running it again changes nothing and says so.",
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
    if result.changed:
        print(f"Edge {host}: {len(result.changed)} step(s) changed:")
        print("\n".join(f"  - {step}" for step in result.changed))
    else:
        print(f"Edge {host}: nothing changed, it was already installed.")
    if result.planned:
        print("System steps planned (check mode, not applied):")
        print("\n".join(f"  - {step}" for step in result.planned))
    print(f"Services: {', '.join(EDGE_UNITS)}")
    return 0
