"""End-to-end ingest of sealed ~60 KB packets through the TLS broker, against raw SQLite.

``python -m bench.ingest [--quick]`` prints a table; ``run(quick)`` returns the rows.

Measured: a booth client publishes pre-sealed packets QoS 1 (pipelined, paho's
in-flight window) through a real mosquitto with TLS client certificates and the
ACL; the edge service (in this process, on its own asyncio loop) verifies each
signature, commits (group commit, WAL, ``synchronous=FULL``) and acks; the clock
stops when the last ack arrives. Baseline, in the same run: the same blobs inserted
into a fresh SQLite file, WAL, ``synchronous=FULL``, one row per transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from edge_controller.booths.monitor import register_booth_key
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.build import build_edge_service
from edge_controller.ingest.db import connect
from ektp.kk import build_kk
from ektp.mqtt.client import MqttClient
from ektp.mqtt.config import MqttClientConfig
from ektp.mqtt.message import ReceivedMessage
from ektp.nik import Sex, build_nik
from ektp.packet import seal
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.pki import OfficeCA, dev_issue_booth, dev_issue_identity
from ektp.record import FINGER_ORDER, EnrollmentRecord, FingerCapture, QualityScores
from ektp.services import Document, ServiceType

BOOTH = "booth-01"
WITA = dt.timezone(dt.timedelta(hours=8))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _packets(count: int, key: Ed25519PrivateKey) -> list[bytes]:
    central = X25519PrivateKey.generate().public_key()
    start = dt.datetime(2026, 3, 10, 9, 0, tzinfo=WITA)
    packets = []
    for serial in range(1, count + 1):
        record = EnrollmentRecord(
            nik=build_nik("640306", dt.date(1990, 1, 1), Sex.MALE, serial),
            kk=build_kk("640306", dt.date(2010, 1, 1), serial),
            name="Budi Santoso",
            kelurahan="Sambakungan",
            service=ServiceType.NEW_RECORDING,
            operator_id="op-0001",
            booth_id=BOOTH,
            documents_checked=(Document.KK,),
            capture_started_at=start,
            captured_at=start + dt.timedelta(minutes=8),
            quality=QualityScores(
                fingers=tuple(FingerCapture(finger=f, quality=80) for f in FINGER_ORDER)
            ),
        )
        parts = {PHOTO_PART: os.urandom(38_000), SIGNATURE_PART: os.urandom(2_000)}
        parts |= {template_part(f): os.urandom(498) for f in FINGER_ORDER}
        packets.append(
            seal(
                record, parts, booth_id=BOOTH, booth_signing_key=key, central_public_key=central
            ).data
        )
    return packets


def _sqlite_baseline(blobs: list[bytes], directory: Path) -> float:
    conn = sqlite3.connect(directory / "baseline.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    start = time.perf_counter()
    for blob in blobs:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO blobs (data) VALUES (?)", (blob,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(blobs) / elapsed


def _end_to_end(blobs: list[bytes], key: Ed25519PrivateKey, root: Path) -> float:
    ca = OfficeCA.create(root / "ca", "Bench Office")
    server = ca.issue_server_certificate(root / "broker-tls")
    broker = MosquittoProcess(
        BrokerConfig(
            port=_free_port(),
            ca_cert_path=ca.cert_path,
            server_cert_path=server.cert_path,
            server_key_path=server.key_path,
            persistence=False,
        )
    )
    broker.start()
    edge_id = dev_issue_identity(ca, "edge", root / "edge")
    booth_id = dev_issue_booth(ca, BOOTH, root / BOOTH)
    config = EdgeConfig.model_validate(
        {
            "mqtt": {
                "port": broker.port,
                "identity": "edge",
                "ca_cert_path": str(ca.cert_path),
                "cert_path": str(edge_id.cert_path),
                "key_path": str(edge_id.key_path),
            },
            "database": {"path": str(root / "edge.sqlite3")},
        }
    )
    conn = connect(config.database.path)
    register_booth_key(conn, BOOTH, _public_pem(key), dt.datetime.now(dt.UTC))
    conn.close()
    service = build_edge_service(config)
    thread = threading.Thread(target=lambda: asyncio.run(service.run()), daemon=True)
    thread.start()
    booth = MqttClient(
        MqttClientConfig(
            port=broker.port,
            identity=BOOTH,
            ca_cert_path=ca.cert_path,
            cert_path=booth_id.cert_path,
            key_path=booth_id.key_path,
        )
    )
    try:
        if not service.ready.wait(60):
            raise RuntimeError("the edge service did not start")
        booth.start()
        booth.wait_until_connected(30)
        acked: set[str] = set()
        done = threading.Event()

        def on_ack(message: ReceivedMessage) -> None:
            acked.update(json.loads(message.payload)["packet_ids"])
            if len(acked) >= len(blobs):
                done.set()

        booth.subscribe(f"booths/{BOOTH}/acks", on_ack)
        topic = f"booths/{BOOTH}/enrollments"
        start = time.perf_counter()
        for blob in blobs:
            booth.paho_client.publish(topic, blob, qos=1)
        if not done.wait(600):
            raise RuntimeError(f"only {len(acked)} of {len(blobs)} packets were acked")
        return len(blobs) / (time.perf_counter() - start)
    finally:
        booth.stop(publish_offline=False)
        service.stop()
        thread.join(30)
        broker.close()


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def run(quick: bool) -> list[dict[str, Any]]:
    count = 200 if quick else 1000
    key = Ed25519PrivateKey.generate()
    blobs = _packets(count, key)
    size_kb = sum(map(len, blobs)) / len(blobs) / 1024
    with tempfile.TemporaryDirectory(prefix="rekam-bench-ingest-") as directory:
        root = Path(directory)
        os.chmod(root, 0o755)  # mosquitto, dropped to its own user, reads its runtime dir
        baseline = _sqlite_baseline(blobs, root)
        value = _end_to_end(blobs, key, root)
    return [
        {
            "name": f"edge_ingest_e2e_{size_kb:.0f}kb_tls",
            "value": round(value, 1),
            "unit": "packets/s",
            "baseline": "raw SQLite insert, WAL synchronous=FULL, one row per transaction, "
            "same blobs",
            "baseline_value": round(baseline, 1),
            "ratio": round(value / baseline, 3),
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer packets.")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['name']}: {row['value']} {row['unit']}  |  baseline {row['baseline_value']}"
            f" ({row['baseline']})  |  ratio {row['ratio']}"
        )


if __name__ == "__main__":
    main()
