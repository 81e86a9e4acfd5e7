"""What a booth and an edge get installed: pyscard can build, picamera2 comes from the
system on a Pi (the venv sees it), Kivy and spoken prompts have their libraries, and the
booth release asks pip for the ``pi`` extra."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from provisioning_cli_fixtures import REPO, copy_release_source

from provisioning.inventory import OfficeSettings
from provisioning.release import build_release, requirements

PYSCARD_BUILD = {"swig", "libpcsclite-dev", "gcc", "python3-dev"}
KIVY_RUNTIME = {"libgl1", "libegl1", "libgles2", "libmtdev1", "libsdl2-2.0-0"}
PI_ONLY = {"python3-picamera2", "python3-lgpio"}
PACKAGE_LISTS = {"COMMON_PKGS", "BOOTH_PKGS", "EDGE_PKGS", "DEV_PKGS", "PI_PKGS", "EMULATED_PKGS"}
EMULATED_DEVICES = {"vsmartcard-vpcd", "nut-server"}


def _setup_packages(role: str, *, on_pi: bool = False, emulated: bool = False) -> set[str]:
    """The package list ``setup.sh --role ROLE`` installs, read by bash from setup.sh, on a
    Raspberry Pi or on a machine whose apt offers no Raspberry Pi OS packages."""
    script = (REPO / "setup.sh").read_text()
    assignments = "\n".join(
        line for line in script.splitlines() if line.split("=", 1)[0] in PACKAGE_LISTS
    )
    body = script[
        script.index('case "$ROLE" in\n    booth)') : script.index("install_system_packages()")
    ]
    machine = (
        f"is_raspberry_pi() {{ {'true' if on_pi else 'false'}; }}\napt_offers() {{ false; }}\n"
    )
    body = body.replace('PI_EXTRA="pi"', machine + 'PI_EXTRA="pi"', 1)
    flag = "1" if emulated else ""
    shown = subprocess.run(
        ["bash", "-c", f'set -eu\nROLE={role}\nEMULATED={flag}\n{assignments}\n{body}\n'
         'echo "PKGS: $PKGS"'],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = [line for line in shown.stdout.splitlines() if line.startswith("PKGS: ")]
    return set(listed[-1].removeprefix("PKGS: ").split())


def test_setup_sh_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(REPO / "setup.sh")], check=True)


def test_setup_roles_can_build_pyscard_and_run_the_booth() -> None:
    edge, booth, dev = (_setup_packages(role) for role in ("edge", "booth", "dev"))
    assert edge >= PYSCARD_BUILD
    assert PYSCARD_BUILD | KIVY_RUNTIME | {"espeak-ng"} <= booth
    assert not PI_ONLY & booth  # off a Pi apt has no Raspberry Pi OS packages: skipped
    assert _setup_packages("booth", on_pi=True) >= PI_ONLY  # on a Pi they are required
    assert not PI_ONLY & dev  # Raspberry Pi OS packages: not on a Debian dev machine
    # --emulated: what the emulated card reader and UPS need, and only then
    assert not EMULATED_DEVICES & booth
    assert _setup_packages("booth", emulated=True) >= EMULATED_DEVICES
    assert dev >= EMULATED_DEVICES
    script = (REPO / "setup.sh").read_text()
    assert "--system-site-packages" in script


def _settings(*, emulated: bool) -> OfficeSettings:
    return OfficeSettings(
        name="Kecamatan Uji",
        edge_host="10.0.0.2",
        ssh_private_key=Path("/nonexistent/key"),
        emulated_hardware=emulated,
    )


def test_provisioned_booths_get_build_runtime_and_pi_packages() -> None:
    real = set(_settings(emulated=False).booth_packages())
    assert PYSCARD_BUILD | KIVY_RUNTIME | PI_ONLY | {"espeak-ng", "pcscd"} <= real
    emulated = set(_settings(emulated=True).booth_packages())
    assert not PI_ONLY & emulated
    assert "vsmartcard-vpcd" in emulated  # the emulated card's reader behind pcscd
    assert emulated >= PYSCARD_BUILD


def test_the_booth_release_asks_for_the_pi_extra_only(tmp_path: Path) -> None:
    lines = requirements().splitlines()
    names = {line.split(">")[0].split("<")[0].split("=")[0].strip().lower() for line in lines}
    assert {"picamera2", "lgpio", "pyscard", "kivy"} <= names
    assert not {"pytest", "ruff", "mypy"} & names  # the dev extra stays out
    assert all("extra" not in line for line in lines)
    release = build_release(copy_release_source(tmp_path / "src"), tmp_path / "releases")
    with tarfile.open(release.tarball) as archive:
        member = archive.extractfile("requirements.txt")
        assert member is not None
        shipped = member.read().decode()
    assert "picamera2>=0.3\n" in shipped
