"""Revocations reach the booths over MQTT: the edge publishes the office CRL retained on
``office/crl`` when its file changes; a booth installs it at ``[operator_cards]
crl_path`` only when the office CA signed it and it is newer than the one it has."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from booth_fixtures import write_booth_config

from edge_controller.broker.crl_publisher import CrlPublisher, crl_message
from ektp.messages import encode_message
from ektp.pki import OfficeCA
from ektp.topics import OFFICE_CRL
from kiosk.booth import build_booth
from kiosk.config.booth import load_booth_config
from kiosk.operator_trust import OperatorCardTrust
from kiosk.uplink.crl_feed import CrlFeed, CrlUpdate
from tests.edge_controller.broker_fixtures import Office, office, wait_for
from tests.edge_controller.ingest_fixtures import edge_config, running_edge

__all__ = ["office"]

REVOKED_CARD_SERIAL = 0x5EC0DE
NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


def booth_feed(office: Office, tmp_path: Path, booth_id: str) -> tuple[CrlFeed, Path]:
    crl_path = tmp_path / booth_id / "tls" / "crl.pem"
    feed = CrlFeed(OperatorCardTrust(office.ca.cert_path, crl_path))
    feed.attach(office.client(booth_id))
    return feed, crl_path


def test_a_revocation_reaches_connected_and_late_booths(office: Office, tmp_path: Path) -> None:
    feed, crl_path = booth_feed(office, tmp_path, "booth-01")
    publisher = CrlPublisher(office.ca.crl_path, office.client("edge"))

    assert asyncio.run(publisher.publish_if_changed())
    assert wait_for(lambda: feed.last_result is CrlUpdate.INSTALLED)
    assert crl_path.read_bytes() == office.ca.crl_path.read_bytes()
    trust = feed.trust
    assert REVOKED_CARD_SERIAL not in trust.revoked_serials(trust.issuers())

    office.ca.revoke(REVOKED_CARD_SERIAL)  # `rekam-provision operator revoke`
    assert asyncio.run(publisher.publish_if_changed())
    assert not asyncio.run(publisher.publish_if_changed())  # unchanged file: sent once
    assert wait_for(lambda: REVOKED_CARD_SERIAL in trust.revoked_serials(trust.issuers()))

    late, late_path = booth_feed(office, tmp_path, "booth-02")  # connects afterwards
    assert wait_for(lambda: late.last_result is CrlUpdate.INSTALLED)
    assert late_path.read_bytes() == office.ca.crl_path.read_bytes()


def test_a_foreign_or_older_crl_changes_nothing(office: Office, tmp_path: Path) -> None:
    feed, crl_path = booth_feed(office, tmp_path, "booth-01")
    office.ca.revoke(REVOKED_CARD_SERIAL)
    current = office.ca.crl_path.read_bytes()
    crl_path.parent.mkdir(parents=True)
    crl_path.write_bytes(current)
    older_number = feed.installed_number()
    assert older_number is not None

    stranger = OfficeCA.create(tmp_path / "stranger-ca", "Another office")
    for _ in range(older_number + 3):  # a higher number, but not our office's
        stranger.write_crl()
    foreign = crl_message(stranger.crl_path.read_bytes(), NOW)
    assert foreign.crl_number > older_number
    assert feed.receive(OFFICE_CRL, encode_message(foreign)) is CrlUpdate.REFUSED

    same = crl_message(current, NOW)
    assert feed.receive(OFFICE_CRL, encode_message(same)) is CrlUpdate.NOT_NEWER
    assert feed.receive(OFFICE_CRL, b'{"v": 1, "crl_pem": "x"}') is CrlUpdate.REFUSED
    assert crl_path.read_bytes() == current


def test_a_revocation_reaches_a_running_booth_from_the_running_edge(
    office: Office, tmp_path: Path, smartcard_pcscd: object
) -> None:
    """The wiring: ``rekam-edge run`` with ``[crl] path`` publishes, ``build_booth``'s
    booth (``[operator_cards] crl_path``) installs; nobody restarts."""
    crl = {"path": str(office.ca.crl_path), "check_interval_s": 0.2}
    config = edge_config(office, tmp_path, crl=crl)
    booth_crl = tmp_path / "booth" / "crl.pem"
    setup = write_booth_config(tmp_path / "booth", extra=office.booth_toml("booth-01"))
    text = setup.config_path.read_text()
    start = text.index("[operator_cards]")
    end = text.index("[hardware.fingerprint]")
    setup.config_path.write_text(
        text[:start]
        + f'[operator_cards]\nissuer_cert_path = "{office.ca.cert_path}"\n'
        + f'crl_path = "{booth_crl}"\n'
        + text[end:]
    )
    edges = running_edge(config)
    next(edges)
    try:
        booth = build_booth(load_booth_config(setup.config_path))
        try:
            assert wait_for(booth_crl.exists, timeout=30)
            office.ca.revoke(REVOKED_CARD_SERIAL)  # the CRL provisioning installs
            trust = OperatorCardTrust(office.ca.cert_path, booth_crl)
            assert wait_for(
                lambda: REVOKED_CARD_SERIAL in trust.revoked_serials(trust.issuers()), timeout=30
            )
        finally:
            booth.close()
    finally:
        edges.close()
