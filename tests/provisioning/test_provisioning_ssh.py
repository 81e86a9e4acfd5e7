"""The real rekam-provision CLI against real sshd units on loopback ports.

Each unit's files go under its own temporary root (``--root-prefix .../{port}``); steps
that would change this machine (apt, systemctl, user, overlay) run in ansible's check
mode (``--plan-system-changes``) and are asserted from the CLI's "planned" list.
The tests run in order and share one office (each ansible run costs seconds).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sshd_fixtures import booth_unit, client_key, spare_unit

from kiosk.config import BoothConfig
from kiosk.outbox import Outbox

pytestmark = pytest.mark.timeout(600)

REPO = Path(__file__).resolve().parents[2]


def copy_release_source(target: Path) -> Path:
    """A frozen copy of the booth packages (the working tree may change under us)."""
    for package in ("ektp", "hardware", "kiosk"):
        shutil.copytree(
            REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return target


class Office:
    def __init__(self, root: Path, key: Path) -> None:
        self.root = root
        self.release = copy_release_source(root / "release")
        self.directory = root / "office"
        self.key = key
        self.units = root / "units"

    def unit_root(self, port: int) -> Path:
        return self.units / str(port)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "provisioning.cli", "--office", str(self.directory), *args],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        print(completed.stdout, completed.stderr)
        return completed


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, client_key: Path):
    root = tmp_path_factory.mktemp("provision")
    before = set(glob.glob("/tmp/rk-cp-*"))
    office = Office(root, client_key)
    central = root / "central.pem"
    central.write_bytes(
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    init = [
        "office",
        "init",
        "--name",
        "Kecamatan Uji",
        "--edge-host",
        "127.0.0.1",
        "--ssh-key",
        str(client_key),
        "--ssh-user",
        "root",
        "--central-public-key",
        str(central),
        "--root-prefix",
        str(office.units / "{port}"),
        "--plan-system-changes",
        "--booth-python",
        sys.executable,
        "--emulated-hardware",
        "--no-data-partition",
    ]
    first = office.cli(*init)
    assert first.returncode == 0, first.stderr
    second = office.cli(*init)
    assert second.returncode == 0
    assert "Nothing changed" in second.stdout
    yield office
    # The CLI ends its SSH masters itself; end any a failed run left behind.
    for directory in set(glob.glob("/tmp/rk-cp-*")) - before:
        for socket_path in glob.glob(f"{directory}/*"):
            subprocess.run(
                ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "x"],
                capture_output=True,
                timeout=15,
                check=False,
            )


def test_a_wrong_host_key_is_refused_before_anything_is_touched(office, booth_unit):
    wrong = "SHA256:" + "A" * 43
    result = office.cli(
        "booth",
        "add",
        "--host",
        "127.0.0.1",
        "--port",
        str(booth_unit.port),
        "--id",
        "booth-01",
        "--host-key",
        wrong,
    )
    assert result.returncode == 1
    assert "does not match the pinned fingerprint" in result.stderr
    assert booth_unit.fingerprint in result.stderr  # shows what the unit really offered
    assert not office.unit_root(booth_unit.port).exists()


def test_booth_add_provisions_the_unit_and_plans_the_system_steps(office, booth_unit):
    result = office.cli(
        "booth",
        "add",
        "--host",
        "127.0.0.1",
        "--port",
        str(booth_unit.port),
        "--id",
        "booth-01",
        "--host-key",
        booth_unit.fingerprint,
        "--release",
        str(office.release),
    )
    assert result.returncode == 0, result.stdout
    root = office.unit_root(booth_unit.port)
    config = BoothConfig.model_validate(tomllib.loads((root / "etc/rekam/booth.toml").read_text()))
    assert config.booth_id == "booth-01"
    assert config.edge is not None
    # The key was made on the unit; only its certificate came from the office CA.
    key = root / "etc/rekam/tls/booth-01.key"
    assert key.stat().st_mode & 0o077 == 0
    assert not list(office.directory.rglob("booth-01.key"))
    cert = x509.load_pem_x509_certificate((root / "etc/rekam/tls/booth-01.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((office.directory / "ca/ca.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.rfc4514_string().endswith("CN=booth-01") or "CN=booth-01" in (
        cert.subject.rfc4514_string()
    )
    loaded = serialization.load_pem_private_key(key.read_bytes(), None)
    assert loaded.public_key().public_numbers() == cert.public_key().public_numbers()
    unit = (root / "etc/systemd/system/rekam-kiosk.service").read_text()
    assert "Restart=always" in unit
    assert "KCFG_GRAPHICS_FULLSCREEN=auto" in unit
    assert "NTP=127.0.0.1" in (root / "etc/systemd/timesyncd.conf.d/rekam.conf").read_text()
    assert (
        "RuntimeWatchdogSec="
        in (root / "etc/systemd/system.conf.d/rekam-watchdog.conf").read_text()
    )
    assert "PasswordAuthentication no" in (root / "etc/ssh/sshd_config.d/10-rekam.conf").read_text()
    assert (office.directory / "booth-keys/booth-01.pem").exists()
    # Steps that change this machine were only planned, in check mode.
    planned = result.stdout.split("System steps planned on booth-01")[1]
    for step in (
        "Enable and start the kiosk",
        "Enable the read-only root (overlay)",
        "Install the Python dependencies",
        "Create the kiosk account",
    ):
        assert step in planned
    assert "Install system packages" in result.stdout
    assert not Path("/etc/systemd/system/rekam-kiosk.service").exists()
    # The self-test ran on the unit and its result is shown.
    assert "Hardware self-test on booth-01" in result.stdout
    assert "fingerprint  ok" in result.stdout


def test_booth_add_again_changes_nothing_and_says_so(office, booth_unit):
    result = office.cli(
        "booth",
        "add",
        "--host",
        "127.0.0.1",
        "--port",
        str(booth_unit.port),
        "--id",
        "booth-01",
        "--release",
        str(office.release),
    )
    assert result.returncode == 0, result.stdout
    assert "Nothing changed" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("booth-01 "))
    assert row.split()[3:5] == ["unchanged", "0"]


def _bad_release(office: Office) -> Path:
    source = copy_release_source(office.root / "bad-release")
    # A release whose self-test reports a dead fingerprint sensor and exits 1.
    (source / "hardware" / "cli.py").write_text(
        "import json, sys\n"
        "def main(argv=None):\n"
        "    print(json.dumps([{'device': 'fingerprint', 'ok': False,\n"
        "                       'detail': 'no answer from the sensor'}]))\n"
        "    return 1\n"
        "if __name__ == '__main__':\n"
        "    sys.exit(main())\n"
    )
    return source


def test_a_release_that_fails_its_self_test_is_rolled_back(office, booth_unit):
    root = office.unit_root(booth_unit.port)
    before = os.readlink(root / "var/lib/rekam/current")
    result = office.cli("booth", "update", "--all", "--release", str(_bad_release(office)))
    assert result.returncode == 1
    assert "ROLLED BACK" in result.stdout
    assert "no answer from the sensor" in result.stdout
    assert os.readlink(root / "var/lib/rekam/current") == before
    releases = sorted(p.name for p in (root / "var/lib/rekam/releases").iterdir())
    assert len(releases) == 2  # the previous release was kept, the bad one stays aside


def test_status_shows_version_health_and_outbox_depth(office, booth_unit):
    root = office.unit_root(booth_unit.port)
    with Outbox(root / "var/lib/rekam/outbox.sqlite") as outbox:
        outbox.commit("pkt-0001", b"sealed-one", {"kelurahan": "Gunung Tabur"})
        outbox.commit("pkt-0002", b"sealed-two", {"kelurahan": "Gunung Tabur"})
        outbox.mark_sent("pkt-0002")
        outbox.commit("pkt-0003", b"sealed-three", {})
        outbox.mark_acked(["pkt-0003"])
    result = office.cli("booth", "status")
    assert result.returncode == 0, result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("booth-01 "))
    version = os.path.basename(os.readlink(root / "var/lib/rekam/current"))
    assert version in row
    assert row.split()[3:5] == ["ok", "2"]


def test_replace_moves_the_identity_revokes_the_old_cert_and_recovers_records(
    office, booth_unit, spare_unit
):
    old_cert = x509.load_pem_x509_certificate(
        (office.unit_root(booth_unit.port) / "etc/rekam/tls/booth-01.crt").read_bytes()
    )
    result = office.cli(
        "booth",
        "replace",
        "booth-01",
        "--host",
        "127.0.0.1",
        "--port",
        str(spare_unit.port),
        "--host-key",
        spare_unit.fingerprint,
        "--release",
        str(office.release),
    )
    assert result.returncode == 0, result.stdout
    new_root = office.unit_root(spare_unit.port)
    new_cert = x509.load_pem_x509_certificate(
        (new_root / "etc/rekam/tls/booth-01.crt").read_bytes()
    )
    assert new_cert.serial_number != old_cert.serial_number
    assert new_cert.public_key().public_numbers() != old_cert.public_key().public_numbers()
    crl = x509.load_pem_x509_crl((office.directory / "edge/tls/crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(old_cert.serial_number) is not None
    with Outbox(new_root / "var/lib/rekam/outbox.sqlite") as outbox:
        recovered = {record.packet_id for record in outbox.unacked()}
    assert recovered == {"pkt-0001", "pkt-0002"}
    assert "recovered 2 record(s)" in result.stdout
    inventory = (office.directory / "inventory.yml").read_text()
    assert f"port: {spare_unit.port}" in inventory


def test_a_unit_whose_host_key_changed_is_refused(office, spare_unit):
    spare_unit.change_host_key()
    result = office.cli("booth", "status")
    assert result.returncode == 1
    assert "not the one pinned in the inventory" in result.stdout
