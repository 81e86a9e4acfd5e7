"""``rekam-provision edge install``: the edge controller installed over SSH.

Runs ``ansible/edge_install.yml`` against the edge (the host of ``office init
--edge-host``, or another address for it) with the office's SSH key and a pinned host
key: system packages, the office's ``edge/`` as ``/etc/rekam``, mosquitto on that
configuration, NUT for the office UPS (``edge/nut`` as ``/etc/nut``), chrony serving
time to the booths, Rekam in a venv from a wheel of this source tree, the ``rekam-edge``
unit (``Type=notify`` with a watchdog), journald limits. A second run changes nothing and says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ektp.i18n import N_
from provisioning.edge_nut import DUMMY_DRIVER, DUMMY_STATE_FILE, NUT_FILES
from provisioning.engine import AnsibleRunner
from provisioning.errors import ProvisioningError
from provisioning.hostkeys import known_hosts_text
from provisioning.office import OfficeDirectory
from provisioning.release import installed_source

EDGE_PACKAGES = ["mosquitto", "mosquitto-clients", "nut-server", "nut-client", "chrony",
                 "openssl", "python3-venv", "python3-packaging", "sqlite3"]
WHEEL_EPOCH = "315532800"  # 1980-01-01, the earliest time a zip entry can carry
EDGE_UNITS = ["mosquitto.service", "rekam-edge.service", "nut-server.service",
              "nut-monitor.service", "chrony.service"]
EDGE_WATCHDOG_SECONDS = 30
"""rekam-edge sends WATCHDOG=1 from its event loop; this long without one, systemd restarts it."""


MSG_NO_WHEEL = N_("could not build the Rekam wheel: {detail}")
MSG_INSTALL_FAILED = N_("installing the edge at {host} failed: {detail}")


class EdgeInstallError(ProvisioningError):
    """The edge could not be installed (the step and ansible's message say why)."""

    code = "provisioning.edge_install"


@dataclass
class EdgeInstallResult:
    changed: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)


def project_wheel(source: Path, output_dir: Path) -> Path:
    """A wheel of the Rekam source tree (the edge installs the whole project)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for old in output_dir.glob("rekam-*.whl"):
        old.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(output_dir), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "SOURCE_DATE_EPOCH": WHEEL_EPOCH},  # same source, same wheel
    )
    wheels = sorted(output_dir.glob("rekam-*.whl"))
    if done.returncode != 0 or not wheels:
        raise EdgeInstallError(MSG_NO_WHEEL, detail=done.stderr.strip()[-500:])
    return wheels[-1]


def install_edge(
    office: OfficeDirectory,
    host: str,
    port: int,
    host_keys: list[str],
    *,
    progress: Callable[[str], None] | None = print,
) -> EdgeInstallResult:
    """Install (or bring up to date) the edge controller at ``host``:``port``."""
    settings = office.load_inventory().office
    dummy = settings.ups_driver == DUMMY_DRIVER
    wheel = project_wheel(installed_source(), office.releases_dir / "edge")
    hostvars = {
        "ansible_host": host,
        "ansible_port": port,
        "ansible_user": settings.ssh_user,
        "ansible_python_interpreter": settings.system_python,
        "ansible_become": settings.ssh_user != "root",
    }
    extra = {
        "rekam_office_dir": str(office.root.resolve()),
        "rekam_edge_packages": EDGE_PACKAGES,
        "rekam_project_wheel": str(wheel),
        # ups.conf last: writing it wakes nut-driver-enumerator.path, which starts the driver
        "rekam_nut_files": [*([DUMMY_STATE_FILE] if dummy else []), *NUT_FILES],
        "rekam_edge_watchdog_sec": EDGE_WATCHDOG_SECONDS,
    }
    with AnsibleRunner(
        private_key=settings.ssh_private_key,
        plan_system=settings.plan_system_changes,
        progress=progress,
    ) as runner:
        known = known_hosts_text([(host, port, host_keys)])
        run = runner.run("edge_install.yml", {"edge": hostvars}, extra, known)
    failures = run.failures()
    if failures or run.returncode != 0:
        detail = "; ".join(f"{f.task}: {f.message}" for f in failures) or run.output[-800:]
        raise EdgeInstallError(MSG_INSTALL_FAILED, host=host, detail=detail)
    return EdgeInstallResult(
        changed=[e.task for e in run.changed()], planned=[e.task for e in run.planned()]
    )
