"""Supervisor review (#10) end to end: a real broker, the edge service with its
forwarder, the reference central, a booth uplink, and the dashboard.

A flagged record is held at the edge until a supervisor approves it (then central
gets it once); a rejected one never leaves and the booth is told; an operator cannot
approve; the photo thumbnail opens only with the edge's review key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from edge_controller.audit_log import audit_entries, verify_audit_chain
from edge_controller.ingest.checks import stored_packet
from ektp.i18n_build import compile_catalogs
from ektp.packet import PacketError, SealedPacket, open_sealed, open_thumbnail, seal
from ektp.packet_models import PHOTO_PART
from ektp.pki.review_key import load_or_create_review_key
from ektp.record import ReviewFlag
from kiosk.audit import AuditLog
from kiosk.sealing import make_thumbnail
from kiosk.uplink.review_notices import ReviewNotices
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import (
    CENTRAL_KEY,
    BoothKit,
    edge_config,
    make_biometrics,
    make_booth,
    make_record,
    register,
    running_edge,
)
from tests.edge_controller.upstream.upstream_fixtures import (
    CentralProcess,
    Pki,
    make_pki,
    upstream_config,
)
from tests.edge_controller.web_fixtures import (
    OPERATOR,
    REPO,
    SUPERVISOR,
    add_edge_user,
    csrf_from,
    dashboard_client,
)

TIMEOUT = 60.0
edge_running = contextlib.contextmanager(running_edge)


def _photo_jpeg() -> bytes:
    gradient = np.linspace(0, 255, 480 * 640 * 3).astype(np.uint8).reshape(640, 480, 3)
    ok, encoded = cv2.imencode(".jpg", gradient)
    assert ok
    return encoded.tobytes()


class World:
    """The office for one test: broker, edge with forwarder, central, booth, dashboard."""

    def __init__(self, office: Office, root: Path, pki: Pki, central: CentralProcess) -> None:
        self.root = root
        self.booth: BoothKit = make_booth(office, root, "booth-01")
        (pki.booth_keys_dir / "booth-01.pem").write_bytes(self.booth.public_key_pem)
        key_path = root / "edge-pki" / "review.key"
        self.review_key = load_or_create_review_key(key_path)
        self.config = edge_config(
            office,
            root,
            upstream=upstream_config(pki, central.port),
            review={"warn_above": 0, "key_path": str(key_path), "publish_interval_seconds": 0.2},
        )
        register(self.config, self.booth)
        self.central = central
        self.photo = _photo_jpeg()
        self.thumbnail = make_thumbnail(self.photo)
        assert self.thumbnail is not None

    def seal(self, *flags: ReviewFlag) -> SealedPacket:
        self.booth.serial += 1
        parts = make_biometrics()
        parts[PHOTO_PART] = self.photo
        return seal(
            make_record("booth-01", serial=self.booth.serial, flags=flags),
            parts,
            booth_id="booth-01",
            booth_signing_key=self.booth.signing_key,
            central_public_key=CENTRAL_KEY.public_key(),
            edge_public_key=self.review_key.public_key(),
            thumbnail=self.thumbnail,
        )

    def send(self, *packets: SealedPacket) -> None:
        for packet in packets:
            self.booth.outbox.commit(str(packet.packet_id), packet.data, {})

    def at_central(self) -> dict[str, Any]:
        return self.central.stored()

    def dashboard(self, user: tuple[str, str]) -> contextlib.AbstractContextManager[TestClient]:
        """The dashboard with ``user`` logged in."""
        return dashboard_client(self.config.database.path, user, review=self.config.review)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    compile_catalogs(REPO)
    pki = make_pki(tmp_path / "pki")
    central = CentralProcess(pki, tmp_path / "central-data").start()
    try:
        for office in running_office(tmp_path / "office"):
            built = World(office, tmp_path, pki, central)
            database = built.config.database.path
            add_edge_user(database, SUPERVISOR, "supervisor", display_name="Pak Camat")
            add_edge_user(database, OPERATOR, "operator", display_name="Operator Satu")
            try:
                yield built
            finally:
                built.booth.close()
    finally:
        central.stop()


def _decide(client: TestClient, csrf: str, packet: SealedPacket, decision: str, comment: str):
    return client.post(
        f"/reviews/{packet.packet_id}/decision",
        data={"decision": decision, "comment": comment, "csrf_token": csrf},
        follow_redirects=False,
    )


def test_flagged_record_waits_for_a_supervisor_and_a_rejection_reaches_the_booth(
    world: World,
) -> None:
    flagged = world.seal(ReviewFlag.NOT_IN_ROSTER)
    doubtful = world.seal(ReviewFlag.FINGER_EXCEPTION, ReviewFlag.PHOTO_OVERRIDE)
    clean = world.seal()
    world.send(flagged, doubtful, clean)
    booth_audit = AuditLog(world.root / "booth-audit.sqlite")
    notices = ReviewNotices("booth-01", booth_audit)
    with edge_running(world.config) as edge:
        uplink = world.booth.uplink()
        uplink.start()
        notices.attach(uplink.client)
        # the clean record goes through; the flagged ones are held (central has nothing of them)
        wait_for(lambda: str(clean.packet_id) in world.at_central(), TIMEOUT)
        assert wait_for(lambda: uplink.pending() == 0, TIMEOUT)
        held = {str(flagged.packet_id), str(doubtful.packet_id)}
        assert held.isdisjoint(world.at_central())
        # the booth hears that reviews pile up (the office's limit is 0)
        assert wait_for(lambda: notices.backlog_warning() is not None, TIMEOUT)
        assert notices.backlog_warning() == "Tinjauan menumpuk: 2 menunggu"

        with world.dashboard(OPERATOR) as operator:
            csrf = csrf_from(operator.get("/").text)
            assert _decide(operator, csrf, flagged, "approved", "").status_code == 403
            assert operator.get(f"/reviews/{flagged.packet_id}/thumbnail.jpg").status_code == 403
            assert operator.get("/api/v1/reviews").status_code == 403
        with world.dashboard(SUPERVISOR) as supervisor:
            csrf = csrf_from(supervisor.get("/").text)
            listing = supervisor.get("/reviews").text
            assert str(flagged.packet_id) in listing
            assert "Tidak ada dalam daftar penduduk" in listing
            page = supervisor.get(f"/reviews/{flagged.packet_id}")
            assert page.status_code == 200
            assert "Siti Aminah" in page.text
            image = supervisor.get(f"/reviews/{flagged.packet_id}/thumbnail.jpg")
            assert image.status_code == 200
            assert image.content == world.thumbnail
            assert "no-store" in image.headers["cache-control"]
            assert _decide(supervisor, "wrong-token", flagged, "approved", "").status_code == 403
            assert _decide(supervisor, csrf, doubtful, "rejected", "").status_code == 400

            assert _decide(supervisor, csrf, flagged, "approved", "sudah dicek").status_code == 303
            wait_for(lambda: str(flagged.packet_id) in world.at_central(), TIMEOUT)
            rejected = _decide(supervisor, csrf, doubtful, "rejected", "foto ulang, jari salah")
            assert rejected.status_code == 303
            again = _decide(supervisor, csrf, doubtful, "approved", "")
            assert again.status_code == 409  # a decision is final

            day = supervisor.get("/reviews/day").text
            assert 'id="still-waiting">0<' in day
            assert 'id="rejected-count">1<' in day

        # the booth is told, and notes it in its own audit log
        assert wait_for(lambda: notices.rejection_notice() is not None, TIMEOUT)
        assert "foto ulang, jari salah" in str(notices.rejection_notice())
        noted = [e.fields for e in booth_audit.entries() if e.event == "review.decision"]
        assert {(f["packet"], f["decision"]) for f in noted} == {
            (str(flagged.packet_id), "approved"),
            (str(doubtful.packet_id), "rejected"),
        }
        # a later record overtakes the rejected one: the forwarder passed it over
        later = world.seal()
        world.send(later)
        uplink.wake()
        wait_for(lambda: str(later.packet_id) in world.at_central(), TIMEOUT)
        assert str(doubtful.packet_id) not in world.at_central()
        assert len([p for p in world.at_central() if p == str(flagged.packet_id)]) == 1

        conn = edge.db()
        try:
            assert verify_audit_chain(conn) is None
            decisions = [
                (e.event, e.fields["by"])
                for e in audit_entries(conn, "review.")
                if "by" in e.fields
            ]
            assert decisions == [("review.approved", "camat"), ("review.rejected", "camat")]
            stored = stored_packet(conn, str(doubtful.packet_id))
        finally:
            conn.close()
        booth_audit.close()
        notices.close()
    # what the edge holds: the thumbnail opens with its review key only; the biometrics never
    assert stored is not None
    assert open_thumbnail(stored.data, world.review_key) == world.thumbnail
    with pytest.raises(PacketError):
        open_sealed(stored.data, world.review_key)
    with pytest.raises(PacketError):
        open_thumbnail(stored.data, CENTRAL_KEY)
    assert open_sealed(stored.data, CENTRAL_KEY)[PHOTO_PART] == world.photo


def test_a_second_new_recording_of_the_same_nik_is_held(world: World) -> None:
    first = world.seal()
    world.booth.serial -= 1  # the same resident again
    second = world.seal()
    assert first.manifest.record.nik == second.manifest.record.nik
    world.send(first, second)
    with edge_running(world.config) as edge:
        uplink = world.booth.uplink()
        uplink.start()
        wait_for(lambda: str(first.packet_id) in world.at_central(), TIMEOUT)
        assert wait_for(lambda: uplink.pending() == 0, TIMEOUT)
        conn = edge.db()
        try:
            row = conn.execute(
                "SELECT state, flags FROM reviews WHERE packet_id = ?", (str(second.packet_id),)
            ).fetchone()
        finally:
            conn.close()
        assert row["state"] == "held"
        assert "already_recorded" in row["flags"]
        assert str(second.packet_id) not in world.at_central()
        with world.dashboard(SUPERVISOR) as supervisor:
            listing = supervisor.get("/api/v1/reviews").json()
            assert [item["packet_id"] for item in listing["items"]] == [str(second.packet_id)]
            assert listing["items"][0]["nik_masked"] != first.manifest.record.nik
