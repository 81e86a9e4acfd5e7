"""NUT on the edge controller: the office UPS's driver, upsd on loopback, two logins.

``office init`` writes ``edge/nut/`` (``edge install`` puts it in ``/etc/nut``):

* ``ups.conf``: the office UPS, named ``ups``, with the driver and port of the inventory
  (``usbhid-ups`` on ``auto`` for the usual USB UPS; ``dummy-ups`` reading ``ups.dev``
  for offices with emulated hardware, as in the lab);
* ``upsd.conf``: upsd listens on 127.0.0.1 only (the edge is its one client);
* ``upsd.users``: ``monitor`` (upsmon, read only) and ``rekam`` (rekam-edge: may run
  instant commands and SET variables, for ``shutdown.return``/``load.off.delay``);
* ``upsmon.conf``: upsmon watches the UPS as a *secondary*: rekam-edge decides the
  office shutdown (booths first, then the UPS command, then the edge) at its runtime or
  charge threshold, above the UPS's low battery; upsmon only halts the edge at low
  battery if rekam-edge did not;
* ``nut.conf``: ``MODE=standalone``.

The passwords are made once and read back from ``upsd.users`` on the next run, so a
second ``office init`` changes nothing. They never appear in output or logs.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

UPS_NAME = "ups"
MONITOR_USER = "monitor"
EDGE_USER = "rekam"
UPSD_PORT = 3493
DUMMY_DRIVER = "dummy-ups"
DUMMY_STATE_FILE = "ups.dev"
DUMMY_STATE = "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 1800\n"
NUT_ETC = Path("/etc/nut")
NUT_FILES = ("nut.conf", "upsd.conf", "upsd.users", "upsmon.conf", "ups.conf")
HEADER = "# Managed by rekam-provision (office init): the office UPS.\n"


@dataclass(frozen=True)
class NutLogins:
    """The two upsd logins' passwords."""

    monitor: str
    edge: str

    @classmethod
    def create(cls) -> NutLogins:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24))

    @classmethod
    def read(cls, users_file: Path) -> NutLogins | None:
        """The passwords of an ``upsd.users`` this module wrote, else None."""
        if not users_file.exists():
            return None
        found = dict(
            re.findall(r"^\[(\w+)\]\s*\n\s*password = (\S+)", users_file.read_text(), re.M)
        )
        if MONITOR_USER in found and EDGE_USER in found:
            return cls(found[MONITOR_USER], found[EDGE_USER])
        return None


def nut_files(
    driver: str, port: str, logins: NutLogins, *, listen_port: int = UPSD_PORT
) -> dict[str, str]:
    """The NUT configuration files by name (every one of :data:`NUT_FILES`; plus
    :data:`DUMMY_STATE_FILE` for ``dummy-ups``)."""
    files = {
        "nut.conf": f"{HEADER}MODE=standalone\n",
        "ups.conf": (
            f"{HEADER}[{UPS_NAME}]\n  driver = {driver}\n  port = {port}\n"
            '  desc = "Office UPS"\n'
            + ("  mode = dummy-once\n" if driver == DUMMY_DRIVER else "")
        ),
        "upsd.conf": (
            f"{HEADER}# Only the edge itself talks to upsd.\nLISTEN 127.0.0.1 {listen_port}\n"
        ),
        "upsd.users": (
            f"{HEADER}[{MONITOR_USER}]\n  password = {logins.monitor}\n  upsmon secondary\n\n"
            "# rekam-edge: turns the UPS off after a delay and back on with the mains\n"
            f"[{EDGE_USER}]\n  password = {logins.edge}\n  instcmds = all\n  actions = SET\n"
        ),
        "upsmon.conf": (
            f"{HEADER}# rekam-edge decides the office's shutdown (booths first); upsmon halts the\n"
            "# edge at low battery only if rekam-edge has not.\n"
            f"MONITOR {UPS_NAME}@127.0.0.1:{listen_port} 1 {MONITOR_USER} {logins.monitor} "
            "secondary\n"
            'SHUTDOWNCMD "/sbin/shutdown -h +0"\nFINALDELAY 5\n'
        ),
    }
    if driver == DUMMY_DRIVER:
        files[DUMMY_STATE_FILE] = DUMMY_STATE
    return files


def edge_ups_settings(logins: NutLogins, *, listen_port: int = UPSD_PORT) -> dict[str, object]:
    """The ``[power.ups]`` table of edge.toml: rekam-edge's own login."""
    return {
        "backend": "real",
        "host": "127.0.0.1",
        "port": listen_port,
        "ups_name": UPS_NAME,
        "username": EDGE_USER,
        "password": logins.edge,
    }


def sync_nut_files(
    nut_dir: Path, driver: str, port: str, write: Callable[[Path, str, int], bool]
) -> tuple[bool, NutLogins]:
    """Write ``nut_dir``'s files with ``write(path, text, mode)`` (True if it changed a
    file); keeps the passwords already there. Returns (changed, logins)."""
    logins = NutLogins.read(nut_dir / "upsd.users") or NutLogins.create()
    changed = False
    for name, text in nut_files(driver, port, logins).items():
        secret = name in ("upsd.users", "upsmon.conf")
        changed |= write(nut_dir / name, text, 0o600 if secret else 0o644)
    return changed, logins
