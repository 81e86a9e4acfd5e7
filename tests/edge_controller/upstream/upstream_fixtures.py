"""Helpers for the upstream tests: keys and certificates, real sealed packets committed by
the real ingest, the reference central as a real HTTPS process (mutual TLS), and the
forwarder in-process or as its own process.

PKI: the office CA signs the edge's client certificate (CN ``edge``); a separate
"central CA" signs central's server certificate; central's Ed25519 receipt key is made
by ``rekam-central init-receipt-key``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from edge_controller.audit_log import audit_entries, verify_audit_chain
from edge_controller.config.upstream import UpstreamConfig
from edge_controller.ingest.checks import Incoming, check_packet, commit_checked
from edge_controller.ingest.db import connect
from edge_controller.upstream.forwarder import Forwarder
from edge_controller.upstream.held import RETRY_EVENT
from ektp.audit_chain import AuditEntry
from ektp.packet import SealedPacket, seal
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART
from ektp.pki import OfficeCA, dev_issue_identity
from ektp.record import EnrollmentRecord
from tests.edge_controller.broker_fixtures import free_loopback_port
from tests.edge_controller.ingest_fixtures import make_record as make_booth_record
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
WITA = ZoneInfo("Asia/Makassar")
BOOTH = "booth-01"
START_TIMEOUT = 30.0
DRAIN_TIMEOUT = 60.0


def _pem_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class Pki:
    root: Path
    office_ca: OfficeCA
    central_ca: OfficeCA
    edge_cert: Path
    edge_key: Path
    central_cert: Path
    central_key: Path
    receipt_key: Path
    receipt_public: Path
    booth_key: Ed25519PrivateKey
    booth_keys_dir: Path
    central_sealing_key: X25519PrivateKey


def make_pki(root: Path) -> Pki:
    office_ca = OfficeCA.create(root / "office-ca", "Kecamatan Gunung Tabur")
    central_ca = OfficeCA.create(root / "central-ca", "Disdukcapil Pusat")
    edge = dev_issue_identity(office_ca, "edge", root / "edge-tls")
    server = central_ca.issue_server_certificate(root / "central-tls", common_name="central")
    receipt_key, receipt_public = root / "receipt.key", root / "receipt.pub.pem"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "central.cli",
            "init-receipt-key",
            "--key",
            str(receipt_key),
            "--public",
            str(receipt_public),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
    )
    booth_key = Ed25519PrivateKey.generate()
    booth_keys_dir = root / "booth-keys"
    booth_keys_dir.mkdir()
    (booth_keys_dir / f"{BOOTH}.pem").write_bytes(_pem_public(booth_key))
    return Pki(
        root,
        office_ca,
        central_ca,
        edge.cert_path,
        edge.key_path,
        server.cert_path,
        server.key_path,
        receipt_key,
        receipt_public,
        booth_key,
        booth_keys_dir,
        X25519PrivateKey.generate(),
    )


def make_record(serial: int) -> EnrollmentRecord:
    """The ingest tests' record for ``BOOTH``, captured from 09:00 plus ``serial`` minutes."""
    started = dt.datetime(2026, 3, 10, 9, 0, tzinfo=WITA) + dt.timedelta(minutes=serial)
    return make_booth_record(
        BOOTH, serial, capture_started_at=started, captured_at=started + dt.timedelta(minutes=8)
    )


def make_packets(
    pki: Pki, count: int, photo_bytes: int = 16_000, first: int = 1
) -> list[SealedPacket]:
    return [
        seal(
            make_record(serial),
            {PHOTO_PART: os.urandom(photo_bytes), SIGNATURE_PART: os.urandom(300)},
            booth_id=BOOTH,
            booth_signing_key=pki.booth_key,
            central_public_key=pki.central_sealing_key.public_key(),
        )
        for serial in range(first, first + count)
    ]


def edge_backlog(
    pki: Pki, root: Path, count: int, photo_bytes: int
) -> tuple[Path, list[SealedPacket]]:
    """An edge database under ``root`` holding ``count`` committed packets, waiting to go."""
    db = root / "edge.sqlite3"
    packets = make_packets(pki, count, photo_bytes=photo_bytes)
    commit_packets(db, pki, packets)
    return db, packets


def commit_packets(db_path: Path, pki: Pki, packets: list[SealedPacket]) -> None:
    """Commit through the real ingest code, received one second apart (oldest first)."""
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    checked = [
        check_packet(
            Incoming(BOOTH, packet.data, base + dt.timedelta(seconds=index)),
            pki.booth_key.public_key(),
            max_size=8 * 1024 * 1024,
        )
        for index, packet in enumerate(packets)
    ]
    conn = connect(db_path)
    try:
        results = commit_checked(conn, checked, WITA)
    finally:
        conn.close()
    assert all(result.outcome == "committed" for result in results), results


def upstream_config(pki: Pki, port: int, **changes: Any) -> UpstreamConfig:
    fields: dict[str, Any] = {
        "central_url": f"https://127.0.0.1:{port}/",
        "ca_cert_path": pki.central_ca.cert_path,
        "cert_path": pki.edge_cert,
        "key_path": pki.edge_key,
        "receipt_public_key_path": pki.receipt_public,
        "chunk_bytes": 8 * 1024,
        "batch_size": 8,
        "parallel_uploads": 2,
        "request_timeout_seconds": 10,
        "backoff_initial_seconds": 0.2,
        "backoff_max_seconds": 1.0,
        "idle_poll_seconds": 0.2,
    }
    fields.update(changes)
    return UpstreamConfig.model_validate(fields)


def http_client(pki: Pki, *, with_cert: bool = True) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(pki.central_ca.cert_path))
    if with_cert:
        context.load_cert_chain(str(pki.edge_cert), str(pki.edge_key))
    return httpx.Client(verify=context, timeout=10, headers={"Tus-Resumable": "1.0.0"})


class CentralProcess:
    """``rekam-central run`` as a real process on a fixed loopback port."""

    def __init__(self, pki: Pki, data_dir: Path, port: int | None = None) -> None:
        self.pki = pki
        self.data_dir = data_dir
        self.port = port or free_loopback_port()
        self.config_path = pki.root / f"central-{self.port}.toml"
        self.config_path.write_text(
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'tls_cert_path = "{pki.central_cert}"\ntls_key_path = "{pki.central_key}"\n'
            f'client_ca_paths = ["{pki.office_ca.cert_path}"]\n'
            f'receipt_key_path = "{pki.receipt_key}"\nbooth_keys_dir = "{pki.booth_keys_dir}"\n'
            f'data_dir = "{data_dir}"\nbody_idle_timeout_seconds = 5\nlog_level = "WARNING"\n',
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = pki.root / f"central-{self.port}.log"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def start(self) -> CentralProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "central.cli", "run", "--config", str(self.config_path)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        with http_client(self.pki) as client:

            def healthy() -> bool:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(self.log_path.read_text(errors="replace")[-2000:])
                try:
                    return client.get(self.url + "health").status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(healthy, START_TIMEOUT, "central to answer")
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        conn = sqlite3.connect(str(self.data_dir / "central.sqlite3"), timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def stored(self) -> dict[str, sqlite3.Row]:
        return {row["packet_id"]: row for row in self.query("SELECT * FROM packets")}

    def partial_upload(self) -> bool:
        """Some upload is part-way: central confirmed some bytes, not all."""
        rows = self.query("SELECT 1 FROM uploads WHERE offset > 0 AND offset < length")
        return bool(rows)


@pytest.fixture(name="central", scope="module")
def module_central(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Pki, CentralProcess]]:
    """``central``: its own PKI and the reference central, shared by one module's tests."""
    root = tmp_path_factory.mktemp("central")
    pki = make_pki(root)
    central = CentralProcess(pki, root / "store").start()
    yield pki, central
    central.stop()


@contextlib.contextmanager
def wrong_booth_key_at_central(pki: Pki) -> Iterator[None]:
    """Central's mistake inside the block: it holds another unit's public key for booth-01
    (central refuses that booth's records for good); after it, central has it fixed."""
    key_file = pki.booth_keys_dir / f"{BOOTH}.pem"
    right_key = key_file.read_bytes()
    key_file.write_bytes(_pem_public(Ed25519PrivateKey.generate()))
    try:
        yield
    finally:
        key_file.write_bytes(right_key)


def held_codes(db_path: Path) -> list[str]:
    """The code central gave for each record it refused for good (held at the edge)."""
    rows = edge_rows(db_path, "SELECT held_code FROM upstream_uploads WHERE held_code IS NOT NULL")
    return [row[0] for row in rows]


def refused_for_good(
    pki: Pki, central: CentralProcess, db_path: Path, packets: list[SealedPacket]
) -> UpstreamConfig:
    """Commits ``packets`` and forwards them to a central holding the wrong key for the
    booth, until the edge holds every one of them; returns the forwarder's config."""
    commit_packets(db_path, pki, packets)
    config = upstream_config(pki, central.port)
    expected = len(held_codes(db_path)) + len(packets)
    with wrong_booth_key_at_central(pki):
        asyncio.run(
            run_forwarder(config, db_path, until=lambda: len(held_codes(db_path)) == expected)
        )
    return config


def held_retry_entry(db_path: Path) -> AuditEntry:
    """The one audit entry of held records sent again, the audit chain checked whole."""
    conn = connect(db_path)
    try:
        [entry] = list(audit_entries(conn, RETRY_EVENT))
        assert verify_audit_chain(conn) is None
    finally:
        conn.close()
    return entry


def edge_rows(db_path: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    conn = connect(db_path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def forwarded_ids(db_path: Path) -> set[str]:
    return {
        row[0]
        for row in edge_rows(
            db_path,
            "SELECT p.packet_id FROM ingested_packets p JOIN upstream_receipts r"
            " ON r.packet_id = p.packet_id WHERE p.state = 'forwarded'",
        )
    }


async def run_forwarder(
    config: UpstreamConfig,
    db_path: Path,
    *,
    until: Callable[[], bool] | None = None,
    during: Callable[[], Any] | None = None,
    timeout: float = DRAIN_TIMEOUT,
) -> Forwarder:
    """Run the forwarder until the backlog is empty (or ``until()``); ``during()`` is
    polled meanwhile (return a truthy value to stop polling it)."""
    forwarder = Forwarder(config, db_path, timezone=WITA)
    await forwarder.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if during is not None and during():
                during = None
            if until is not None:
                if until():
                    return forwarder
            elif (await forwarder.status()).backlog_count == 0:
                return forwarder
            await asyncio.sleep(0.02)
        raise AssertionError(f"forwarder did not finish: {forwarder.last_status}")
    finally:
        await forwarder.stop()


def new_id() -> str:
    return str(uuid.uuid4())
