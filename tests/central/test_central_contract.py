"""The reference central's contract: mutual TLS, verification, idempotent receipts.

One central process (real HTTPS, mutual TLS) for the module.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path
from typing import Literal

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_controller.ingest.db import connect
from ektp.packet import SealedPacket
from ektp.receipts import (
    RECEIPT_HEADER,
    SignedReceipt,
    load_receipt_public_key,
    parse_wire,
    verify_receipt,
)
from tests.edge_controller.upstream.upstream_fixtures import (
    CentralProcess,
    Pki,
    commit_packets,
    edge_rows,
    forwarded_ids,
    http_client,
    make_packets,
    make_pki,
    run_forwarder,
    upstream_config,
)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("central")
    pki = make_pki(root)
    central = CentralProcess(pki, root / "store").start()
    yield pki, central
    central.stop()


def metadata(packet_id: str, sha256: str, kind: str = "enrollment") -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in (("packet_id", packet_id), ("sha256", sha256), ("kind", kind))
    )


def post_whole(client: httpx.Client, url: str, packet_id: str, data: bytes) -> httpx.Response:
    return client.post(
        url + "uploads",
        headers={
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(packet_id, hashlib.sha256(data).hexdigest()),
            "Content-Type": "application/offset+octet-stream",
        },
        content=data,
    )


def verify_packet_receipt(
    pki: Pki,
    packet: SealedPacket,
    body: bytes,
    signature: bytes,
    kind: Literal["enrollment", "telemetry"],
) -> SignedReceipt:
    """Check central's receipt for ``packet`` against the office's receipt key."""
    return verify_receipt(
        body,
        signature,
        load_receipt_public_key(pki.receipt_public.read_bytes()),
        packet_id=str(packet.packet_id),
        sha256=hashlib.sha256(packet.data).hexdigest(),
        size=len(packet.data),
        kind=kind,
    )


def test_a_client_without_an_office_certificate_is_refused(office):
    pki, central = office
    with http_client(pki, with_cert=False) as client, pytest.raises(httpx.HTTPError):
        client.get(central.url + "health")


def test_a_packet_sent_twice_is_stored_once_with_the_same_receipt(office, tmp_path: Path):
    pki, central = office
    packet = make_packets(pki, 1, photo_bytes=2000, first=101)[0]
    first_edge, second_edge = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    for db in (first_edge, second_edge):
        commit_packets(db, pki, [packet])
        asyncio.run(run_forwarder(upstream_config(pki, central.port), db))
    receipts = [
        bytes(edge_rows(db, "SELECT receipt FROM upstream_receipts")[0][0])
        for db in (first_edge, second_edge)
    ]
    assert receipts[0] == receipts[1]
    rows = central.query("SELECT COUNT(*) FROM packets WHERE packet_id = ?", str(packet.packet_id))
    assert rows[0][0] == 1


def test_the_receipt_is_signed_by_central_over_id_hash_and_time(office):
    pki, central = office
    packet = make_packets(pki, 1, photo_bytes=2000, first=102)[0]
    with http_client(pki) as client:
        response = post_whole(client, central.url, str(packet.packet_id), packet.data)
    assert response.status_code == 201
    body, signature = parse_wire(response.headers[RECEIPT_HEADER])
    signed = verify_packet_receipt(pki, packet, body, signature, "enrollment")
    assert signed.receipt.received_at.tzinfo is not None
    forged = body.replace(b'"kind":"enrollment"', b'"kind":"telemetry"')
    with pytest.raises(ValueError, match="signature"):
        verify_packet_receipt(pki, packet, forged, signature, "telemetry")


def test_a_tampered_packet_is_refused_and_not_stored(office):
    pki, central = office
    packet = make_packets(pki, 1, photo_bytes=2000, first=103)[0]
    tampered = packet.data.replace(b'"v":1', b'"v":1 ', 1)
    with http_client(pki) as client:
        response = post_whole(client, central.url, str(packet.packet_id), tampered)
    assert response.status_code == 422
    assert response.json()["retryable"] is False
    assert str(packet.packet_id) not in central.stored()


def test_same_id_with_other_bytes_is_held_at_the_edge(office, tmp_path: Path):
    pki, central = office
    original, other = make_packets(pki, 2, photo_bytes=2000, first=104)
    with http_client(pki) as client:
        assert post_whole(client, central.url, str(original.packet_id), original.data).is_success
    # the edge holds a different packet under the same id (a forged or broken booth)
    db = tmp_path / "edge.sqlite3"
    commit_packets(db, pki, [other])
    conn_rows = edge_rows(db, "SELECT packet_id FROM ingested_packets")
    assert len(conn_rows) == 1
    conn = connect(db)
    conn.execute(
        "UPDATE ingested_packets SET packet_id = ? WHERE packet_id = ?",
        (str(original.packet_id), str(other.packet_id)),
    )
    conn.close()
    forwarder = asyncio.run(
        run_forwarder(
            upstream_config(pki, central.port),
            db,
            until=lambda: bool(
                edge_rows(db, "SELECT 1 FROM upstream_uploads WHERE held_code IS NOT NULL")
            ),
        )
    )
    held = edge_rows(db, "SELECT held_code FROM upstream_uploads")[0][0]
    assert held == "packet.id_conflict"
    assert forwarded_ids(db) == set()
    stored = central.stored()[str(original.packet_id)]
    assert Path(stored["path"]).read_bytes() == original.data
    assert forwarder.last_status is not None


def test_a_packet_from_a_booth_central_does_not_know_waits(office, tmp_path: Path):
    pki, central = office
    packet = make_packets(pki, 1, photo_bytes=2000, first=106)[0]
    db = tmp_path / "edge.sqlite3"
    commit_packets(db, pki, [packet])
    # central has no registration for booth-01 (yet): the packet must wait, not be lost
    key_file = pki.booth_keys_dir / "booth-01.pem"
    saved = key_file.read_bytes()
    key_file.unlink()
    try:
        asyncio.run(
            run_forwarder(
                upstream_config(pki, central.port),
                db,
                until=lambda: bool(
                    edge_rows(db, "SELECT 1 FROM upstream_uploads WHERE not_before IS NOT NULL")
                ),
            )
        )
    finally:
        key_file.write_bytes(saved)
    row = edge_rows(db, "SELECT last_error, held_code FROM upstream_uploads")[0]
    assert row["last_error"] == "booth.unknown"
    assert row["held_code"] is None  # not refused for good: retried later
    assert forwarded_ids(db) == set()


def test_a_receipt_from_another_key_does_not_count_as_forwarded(office, tmp_path: Path):
    pki, central = office
    impostor_public = tmp_path / "impostor.pub.pem"
    impostor_public.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    packet = make_packets(pki, 1, photo_bytes=2000, first=107)[0]
    db = tmp_path / "edge.sqlite3"
    commit_packets(db, pki, [packet])
    config = upstream_config(pki, central.port, receipt_public_key_path=impostor_public)
    forwarder = asyncio.run(
        run_forwarder(
            config,
            db,
            until=lambda: (
                "receipt"
                in (edge_rows(db, "SELECT last_error FROM upstream_uploads") or [[""]])[0][0]
            ),
        )
    )
    assert forwarded_ids(db) == set()
    assert forwarder.last_status is not None
    assert forwarder.last_status.backlog_count == 1
    assert edge_rows(db, "SELECT COUNT(*) FROM upstream_receipts")[0][0] == 0
