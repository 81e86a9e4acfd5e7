"""Revocations that take effect: ``booth revoke`` and the office CRL onto the edge.

``rekam-provision booth revoke booth-NN`` puts the booth's certificate on the office
CA's CRL (``operator revoke`` does the same for operator cards) and copies it to
``edge/tls/crl.pem``. With ``--edge-ssh HOST[:PORT]`` (and the edge's pinned host key)
it then installs it on the edge over SSH (``edge_crl.yml``): checked against the office
CA, put in place atomically, and the broker reloaded — ``systemctl reload mosquitto``,
a SIGHUP: mosquitto 2.0.11 re-reads its CRL and keeps every connected booth. The
revoked booth is refused at its next connect. The edge then hands the CRL to the booths
on ``office/crl`` (:mod:`edge_controller.broker.crl_publisher`); ``booth update``
installs it too. ``office crl --edge-ssh ...`` installs the current CRL again (after
``operator revoke``, or when the edge was out of reach).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ektp.i18n import N_
from provisioning.engine import AnsibleRunner, RunResult
from provisioning.errors import HostKeyError, OfficeError
from provisioning.hostkeys import keys_from_known_hosts, known_hosts_text, pin_by_fingerprint
from provisioning.inventory import OfficeSettings
from provisioning.office import EDGE_ETC, OfficeDirectory, sync_crl
from provisioning.report import tr

EDGE_PLAYBOOK = "edge_crl.yml"
RELOAD_BROKER = ("systemctl", "reload", "mosquitto.service")
EDGE_CRL_PATH = PurePosixPath(EDGE_ETC / "tls" / "crl.pem")
EDGE_CA_PATH = PurePosixPath(EDGE_ETC / "tls" / "ca.crt")
INSTALL_TASK = "Install the office CRL for the broker"
RELOAD_TASK = "Reload the broker (it re-reads its CRL)"

MSG_NO_CERT = N_("{booth_id} has no certificate on record: nothing to revoke.")
MSG_REVOKED = N_("Certificate {serial} of {booth_id} is revoked.")
MSG_ALREADY = N_("Nothing changed: the certificate of {booth_id} was already revoked.")
MSG_CRL_COPIED = N_("The office CRL is in {path}.")
MSG_EDGE_DONE = N_("The edge has the new CRL and its broker reloaded it.")
MSG_EDGE_SAME = N_("The edge already had this CRL: nothing changed.")
MSG_EDGE_FAILED = N_("The edge did not take the CRL: {detail}")
MSG_EDGE_TODO = N_(
    "Install it on the edge: `rekam-provision office crl --edge-ssh HOST --edge-host-key "
    "SHA256:...` (or copy it to {target} and run `systemctl reload mosquitto` there)."
)
MSG_NO_EDGE_KEY = N_(
    "No pinned host key for the edge {host}: pass --edge-host-key (read it on the edge with "
    "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) or --edge-known-hosts FILE."
)


@dataclass(frozen=True)
class EdgeTarget:
    """The edge controller over SSH, and where its broker's files are."""

    host: str
    port: int
    host_keys: list[str] = field(default_factory=list)
    crl_path: PurePosixPath = EDGE_CRL_PATH
    ca_path: PurePosixPath = EDGE_CA_PATH
    reload_command: tuple[str, ...] = RELOAD_BROKER


@dataclass(frozen=True)
class EdgeCrlResult:
    """What installing the CRL on the edge did."""

    ok: bool
    installed: bool
    reloaded: bool
    detail: str = ""


def install_crl_on_edge(
    runner: AnsibleRunner,
    settings: OfficeSettings,
    office: OfficeDirectory,
    target: EdgeTarget,
    *,
    force_reload: bool = False,
) -> EdgeCrlResult:
    """Put the office CRL on the edge and reload its broker when the file changed."""
    hostvars: dict[str, Any] = {
        "ansible_host": target.host,
        "ansible_port": target.port,
        "ansible_user": settings.ssh_user,
        "ansible_python_interpreter": settings.system_python,
        "ansible_become": settings.ssh_user != "root",
    }
    extra = {
        "rekam_crl_pem": office.load_ca().crl_path.read_text(encoding="ascii"),
        "rekam_edge_crl_path": str(target.crl_path),
        "rekam_edge_ca_path": str(target.ca_path),
        "rekam_broker_reload_command": list(target.reload_command),
        "rekam_force_reload": force_reload,
    }
    known = known_hosts_text([(target.host, target.port, target.host_keys)])
    run = runner.run(EDGE_PLAYBOOK, {"edge": hostvars}, extra, known)
    return _result(run)


def _result(run: RunResult) -> EdgeCrlResult:
    failures = run.failures("edge")
    if failures or not run.ok:
        detail = failures[0].message if failures else run.output.strip()[-300:]
        return EdgeCrlResult(False, False, False, detail.splitlines()[0][:300] if detail else "")
    changed = {event.task for event in run.changed("edge")}
    return EdgeCrlResult(True, INSTALL_TASK in changed, RELOAD_TASK in changed)


def revoke_booth_certificate(office: OfficeDirectory, booth_id: str) -> str | None:
    """Put ``booth_id``'s certificate on the CRL and copy the CRL to ``edge/``; return
    its serial (hex), or None when it was revoked already."""
    inventory = office.load_inventory()
    entry = inventory.booth(booth_id)
    if not entry.cert_serial:
        raise OfficeError(MSG_NO_CERT, booth_id=booth_id)
    ca = office.load_ca()
    serial = int(entry.cert_serial, 16)
    if serial in ca.revoked_serials():
        sync_crl(office)
        return None
    ca.revoke(serial)
    sync_crl(office)
    return entry.cert_serial


# -- the command line -------------------------------------------------------------------


def add_edge_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the edge over SSH")
    group.add_argument("--edge-ssh", metavar="HOST[:PORT]", help="the edge controller's SSH")
    pin = group.add_mutually_exclusive_group()
    pin.add_argument("--edge-host-key", metavar="SHA256:...", help="the edge's host key")
    pin.add_argument("--edge-known-hosts", type=Path, help="a known_hosts file with its key")


def add_crl_parsers(
    office_commands: argparse._SubParsersAction[argparse.ArgumentParser],
    booth_commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``office crl`` and ``booth revoke`` (they set ``crl_command``)."""
    crl = office_commands.add_parser(
        "crl",
        help="install the office CRL on the edge and reload its broker (no restart)",
    )
    add_edge_options(crl)
    crl.set_defaults(crl_command="push")
    revoke = booth_commands.add_parser(
        "revoke",
        help="withdraw a booth's certificate: the broker refuses it at its next connect",
        description="Put the booth's certificate on the office CRL; with --edge-ssh, "
        "install the CRL on the edge and reload its broker (connected booths stay "
        "connected; the revoked one is refused at its next connect).",
    )
    revoke.add_argument("booth_id", help="the booth to withdraw, e.g. booth-03")
    add_edge_options(revoke)
    revoke.set_defaults(crl_command="revoke")


def edge_target(args: argparse.Namespace) -> EdgeTarget | None:
    if not args.edge_ssh:
        return None
    host, colon, port_text = args.edge_ssh.rpartition(":")
    host, port = (host, int(port_text)) if colon else (args.edge_ssh, 22)
    if args.edge_host_key:
        keys = pin_by_fingerprint(host, port, args.edge_host_key)
    elif args.edge_known_hosts:
        keys = keys_from_known_hosts(args.edge_known_hosts, host, port)
    else:
        raise HostKeyError(MSG_NO_EDGE_KEY, host=host)
    return EdgeTarget(host, port, keys)


def run_crl_command(args: argparse.Namespace, office: OfficeDirectory) -> int:
    """``office crl`` / ``booth revoke``: exit status 0, or 1 when the edge failed."""
    lang = getattr(args, "lang", "id")
    if args.crl_command == "revoke":
        serial = revoke_booth_certificate(office, args.booth_id)
        message = MSG_ALREADY if serial is None else MSG_REVOKED
        print(tr(message, lang, booth_id=args.booth_id, serial=serial or ""))
    else:
        sync_crl(office)
    print(tr(MSG_CRL_COPIED, lang, path=office.edge_dir / "tls" / "crl.pem"))
    return push_crl_to_edge(args, office)


def push_crl_to_edge(args: argparse.Namespace, office: OfficeDirectory) -> int:
    """With ``--edge-ssh``: the office CRL onto the edge, broker reloaded (exit status);
    without: say how to do it."""
    lang = getattr(args, "lang", "id")
    target = edge_target(args)
    if target is None:
        print(tr(MSG_EDGE_TODO, lang, target=EDGE_CRL_PATH))
        return 0
    settings = office.load_inventory().office
    progress = None if args.quiet else print
    with AnsibleRunner(
        private_key=settings.ssh_private_key,
        plan_system=settings.plan_system_changes,
        progress=progress,
    ) as runner:
        result = install_crl_on_edge(runner, settings, office, target)
    if not result.ok:
        print(tr(MSG_EDGE_FAILED, lang, detail=result.detail))
        return 1
    print(tr(MSG_EDGE_DONE if result.installed else MSG_EDGE_SAME, lang))
    return 0
