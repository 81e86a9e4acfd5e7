"""The real rekam-provision CLI against real sshd units on loopback ports.

Each unit's files go under its own temporary root (``--root-prefix .../{port}``); steps
that would change this machine (apt, systemctl, user, overlay) run in ansible's check
mode (``--plan-system-changes``) and are asserted from the CLI's "planned" list.
The tests run in order and share one office (each ansible run costs seconds).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from provisioning_cli_fixtures import (
    ProvisionedOffice,
    copy_release_source,
    office,
    summary_row,
)
from sshd_fixtures import booth_unit, client_key, spare_unit

from kiosk.config.booth import BoothConfig
from kiosk.outbox.store import Outbox

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def test_a_wrong_host_key_is_refused_before_anything_is_touched(office, booth_unit):
    wrong = "SHA256:" + "A" * 43
    result = office.booth("add", booth_unit, "--id", "booth-01", "--host-key", wrong, pin=False)
    assert result.returncode == 1
    assert "does not match the pinned fingerprint" in result.stderr
    assert booth_unit.fingerprint in result.stderr  # shows what the unit really offered
    assert not office.unit_root(booth_unit.port).exists()


def test_booth_add_provisions_the_unit_and_plans_the_system_steps(office, booth_unit):
    result = office.booth("add", booth_unit, "--id", "booth-01")
    assert result.returncode == 0, result.stdout
    root = office.unit_root(booth_unit.port)
    config = BoothConfig.model_validate(tomllib.loads((root / "etc/rekam/booth.toml").read_text()))
    assert config.booth_id == "booth-01"
    assert config.edge is not None
    review_key = root / "etc/rekam/edge-review-x25519.pem"
    assert config.edge.review_public_key_path == review_key
    assert (
        review_key.read_bytes()
        == office.directory.joinpath("edge/review/review.pub.pem").read_bytes()
    )
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
    assert "server 127.0.0.1 iburst" in (root / "etc/chrony/chrony.conf").read_text()
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
    result = office.booth("add", booth_unit, "--id", "booth-01", pin=False)  # pin remembered
    assert result.returncode == 0, result.stdout
    assert "Nothing changed" in result.stdout
    row = summary_row(result.stdout, "booth-01")
    assert (row["result"], row["changed"]) == ("unchanged", "0")


def _bad_release(office: ProvisionedOffice) -> Path:
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
    row = summary_row(result.stdout, "booth-01")
    assert row["version"] == os.path.basename(os.readlink(root / "var/lib/rekam/current"))
    assert (row["health"], row["outbox"]) == ("ok", "2")


def test_replace_moves_the_identity_revokes_the_old_cert_and_recovers_records(
    office, booth_unit, spare_unit
):
    old_cert = x509.load_pem_x509_certificate(
        (office.unit_root(booth_unit.port) / "etc/rekam/tls/booth-01.crt").read_bytes()
    )
    result = office.booth("replace", spare_unit, "booth-01")
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
    assert summary_row(result.stdout, "booth-01")["recovered"] == "2"
    inventory = (office.directory / "inventory.yml").read_text()
    assert f"port: {spare_unit.port}" in inventory


def test_a_unit_whose_host_key_changed_is_refused(office, spare_unit):
    spare_unit.change_host_key()
    result = office.cli("booth", "status")
    assert result.returncode == 1
    assert "not the one pinned in the inventory" in result.stdout
