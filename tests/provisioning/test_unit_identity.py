"""One unit is one booth: ``booth add`` never silently re-identifies a provisioned unit,
and ``booth replace`` onto the old unit's own address (a reinstalled or swapped unit that
kept the IP) revokes the old certificate, makes a new key and recovers the records, as a
replace onto another address does. The tests run in order on one office."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from cryptography import x509
from provisioning_cli_fixtures import ProvisionedOffice, office, summary_row
from sshd_fixtures import LoopbackSshd, booth_unit, client_key

from kiosk.outbox.store import Outbox
from provisioning.hostkeys import fingerprint

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def _certificate(office: ProvisionedOffice, unit: LoopbackSshd) -> x509.Certificate:
    path = office.unit_root(unit.port) / "etc/rekam/tls/booth-01.crt"
    return x509.load_pem_x509_certificate(path.read_bytes())


def _inventory(office: ProvisionedOffice) -> dict:
    return yaml.safe_load((office.directory / "inventory.yml").read_text())


def test_add_refuses_to_give_a_booths_unit_a_second_id(office, booth_unit):
    added = office.booth("add", booth_unit, "--id", "booth-01")
    assert added.returncode == 0, added.stdout
    again = office.booth("add", booth_unit, "--id", "booth-02", pin=False)
    assert again.returncode == 1
    assert "already booth-01" in again.stderr
    assert "booth replace" in again.stderr
    assert "booth-02" not in _inventory(office)["booths"]
    config = office.unit_root(booth_unit.port) / "etc/rekam/booth.toml"
    assert tomllib.loads(config.read_text())["booth_id"] == "booth-01"


def test_add_refuses_a_swapped_unit_at_a_booths_address(office, booth_unit):
    with Outbox(office.unit_root(booth_unit.port) / "var/lib/rekam/outbox.sqlite") as outbox:
        outbox.commit("pkt-0001", b"sealed-one", {"kelurahan": "Gunung Tabur"})
        outbox.commit("pkt-0002", b"sealed-two", {"kelurahan": "Gunung Tabur"})
        outbox.commit("pkt-0003", b"sealed-three", {})
        outbox.mark_acked(["pkt-0003"])
    booth_unit.change_host_key()  # reinstalled: a new machine identity at the same address
    refused = office.booth("add", booth_unit, "--id", "booth-01")
    assert refused.returncode == 1
    assert "another SSH host key" in refused.stderr
    assert "booth replace booth-01" in refused.stderr


def test_replace_at_the_same_address_revokes_renews_and_recovers(office, booth_unit):
    old = _certificate(office, booth_unit)
    replaced = office.booth("replace", booth_unit, "booth-01")
    assert replaced.returncode == 0, replaced.stdout
    new = _certificate(office, booth_unit)
    assert new.serial_number != old.serial_number
    assert new.public_key().public_numbers() != old.public_key().public_numbers()
    crl = x509.load_pem_x509_crl((office.directory / "edge/tls/crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(old.serial_number) is not None
    assert summary_row(replaced.stdout, "booth-01")["recovered"] == "2"
    with Outbox(office.unit_root(booth_unit.port) / "var/lib/rekam/outbox.sqlite") as outbox:
        assert {record.packet_id for record in outbox.unacked()} == {"pkt-0001", "pkt-0002"}
    pinned = _inventory(office)["booths"]["booth-01"]["host_keys"]
    assert [fingerprint(key) for key in pinned] == [booth_unit.fingerprint]


def test_replace_again_changes_nothing(office, booth_unit):
    again = office.booth("replace", booth_unit, "booth-01", pin=False)
    assert again.returncode == 0, again.stdout
    assert "Nothing changed" in again.stdout
    assert summary_row(again.stdout, "booth-01")["result"] == "unchanged"
