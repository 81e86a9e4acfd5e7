"""A resident recorded at a real booth reaches the edge, yet no capture of the enrollments
topic shows their NIK or KK (issue 18).

The real broker (TLS, the ACL), the edge service, and a booth on emulated devices that
records a resident through the headless runner. A subscriber holding the **edge's**
certificate — the one identity the ACL lets read every booth's enrollments — keeps every
payload (the broker ties the client id to the certificate, so it stands in for the edge
meanwhile): none carries the resident's NIK or KK, in digits or in any base64 form. The
edge, back, still commits the packet exactly as the booth signed it for central.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from booth_fixtures import BoothSetup, resident_kk, resident_nik

from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.checks import stored_packet
from ektp.packet import open_sealed, verify
from ektp.transport_seal import TransportKey
from kiosk.booth import build_booth
from kiosk.config.booth import load_booth_config
from kiosk.flow.ports import InMemoryTicketDesk
from kiosk.headless import HeadlessRunner
from kiosk.keys import load_or_create_signing_key
from kiosk.script import EnrollmentScript
from tests.edge_controller.broker_fixtures import Inbox, Office, wait_for
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config, share_office_secret
from tests.kiosk.edge_office_fixtures import booth_setup, office, register_booth_setup

NIK, KK = resident_nik(57), resident_kk(58)


@pytest.fixture
def setup(office: Office, tmp_path: Path) -> BoothSetup:
    return booth_setup(office, tmp_path, ack_timeout_seconds=5.0, health_interval_seconds=1.0)


@pytest.fixture
def config(office: Office, tmp_path: Path, setup: BoothSetup) -> EdgeConfig:
    """The edge of this office, with the booth registered (so it gets the office key)."""
    config = edge_config(office, tmp_path)
    register_booth_setup(config, setup)
    return config


def forms(text: str) -> list[bytes]:
    """``text`` as it could show in a payload: plain, or inside base64 at any alignment."""
    raw = text.encode("ascii")
    found = [raw]
    for shift in range(3):
        encoded = base64.b64encode(b"\x00" * shift + raw)[4 if shift else 0 :]
        found.append(encoded[: len(encoded) - 4])  # the part fixed by ``text`` alone
    return found


def test_a_recorded_resident_travels_unreadable_and_is_stored_as_signed(
    office: Office, config: EdgeConfig, setup: BoothSetup, smartcard_pcscd: object
) -> None:
    # The booth joins the office and opens the office key the edge sends it; it numbers
    # its own tickets, so it can record while the edge's certificate is busy capturing.
    edge = RunningEdge(config)
    booth = build_booth(load_booth_config(setup.config_path), tickets=InMemoryTicketDesk())
    try:
        assert wait_for(lambda: booth.roster_secret() is not None, timeout=30)
        edge.stop()
        # Whoever holds the edge's certificate reads every booth's enrollments, as
        # ``mosquitto_sub --cert edge.pem -t 'booths/+/enrollments'`` would.
        capture = Inbox()
        watcher = office.client("edge")
        watcher.subscribe("booths/+/enrollments", capture)

        script = EnrollmentScript.model_validate(
            {"residents": [{"nik": NIK, "kk": KK, "name": "Nur Aini"}]}
        )
        (resident,) = HeadlessRunner(booth, script).run().residents
        assert wait_for(lambda: len(capture.messages) >= 1, timeout=30)
        watcher.stop(publish_offline=False)
        for message in capture.messages:
            for needle in [*forms(NIK), *forms(KK)]:
                assert needle not in message.payload

        # The edge comes back: the booth sends the packet again, the edge commits it.
        edge = RunningEdge(config)
        assert wait_for(lambda: booth.outbox.depth() == 0, timeout=60)  # acked back
        conn = edge.db()
        try:
            found = stored_packet(conn, resident.packet_id)
        finally:
            conn.close()
    finally:
        booth.close()
        edge.stop()
    assert found is not None
    data = found.data
    assert any(form in data for form in forms(NIK))  # the packet itself names the resident
    # what went over the wire is that packet, byte for byte, in its envelope
    office_key = TransportKey(share_office_secret(config))
    assert {office_key.open("booth-01", m.payload).payload for m in capture.messages} == {data}
    key = load_or_create_signing_key(setup.data_dir / "keys" / "booth-signing.pem")
    checked = verify(data, booth_public_key=key.public_key())  # as central checks it
    assert (checked.manifest.record.nik, checked.manifest.record.kk) == (NIK, KK)
    assert open_sealed(data, setup.central_private_key)  # central opens the biometrics
