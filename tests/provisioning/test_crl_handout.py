"""Revocations reach booths through provisioning too: ``booth revoke`` puts the booth's
certificate on the office CRL, and ``booth update`` installs the current CRL on every
booth it updates (before, only ``booth add`` did). Real sshd units, real ansible."""

from __future__ import annotations

import pytest
from cryptography import x509
from provisioning_cli_fixtures import office
from sshd_fixtures import booth_unit, client_key

__all__ = ["booth_unit", "client_key", "office"]

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def test_booth_revoke_then_update_hands_the_new_crl_to_the_booth(office, booth_unit):
    assert office.booth("add", booth_unit, "--id", "booth-01").returncode == 0
    booth_crl = office.unit_root(booth_unit.port) / "etc/rekam/tls/crl.pem"
    office_crl = office.directory / "ca/crl.pem"
    assert booth_crl.read_bytes() == office_crl.read_bytes()
    cert = x509.load_pem_x509_certificate(
        (office.unit_root(booth_unit.port) / "etc/rekam/tls/booth-01.crt").read_bytes()
    )

    revoked = office.cli("booth", "revoke", "booth-01")
    assert revoked.returncode == 0, revoked.stderr
    assert f"{cert.serial_number:x} of booth-01 is revoked" in revoked.stdout
    assert "systemctl reload mosquitto" in revoked.stdout  # no --edge-ssh: how to finish
    again = office.cli("booth", "revoke", "booth-01")
    assert "already revoked" in again.stdout
    crl = x509.load_pem_x509_crl(office_crl.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert (office.directory / "edge/tls/crl.pem").read_bytes() == office_crl.read_bytes()
    assert booth_crl.read_bytes() != office_crl.read_bytes()  # the booth has the old one

    updated = office.cli("booth", "update", "booth-01", "--release", str(office.release))
    assert updated.returncode == 0, updated.stdout
    assert booth_crl.read_bytes() == office_crl.read_bytes()
