"""Helpers for the ingest, booth, queue and uplink tests: real keys, real sealed packets,
the edge service (in a thread, or as a real process), and booths with outboxes.

Everything runs against the real office broker of :mod:`broker_fixtures` (mosquitto,
TLS client certificates, the generated ACL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from edge_controller.booths.monitor import register_booth_key
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.build import build_edge_service
from edge_controller.ingest.db import connect
from edge_controller.ingest.pipeline import BeforeCommit
from edge_controller.roster.secret import office_roster_secret
from ektp.kk import build_kk
from ektp.mqtt.client import MqttClient
from ektp.nik import Sex, build_nik
from ektp.packet import SealedPacket, seal
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import FINGER_ORDER, EnrollmentRecord, FingerCapture, QualityScores
from ektp.roster_keys import RosterSecret
from ektp.services import Document, ServiceType
from ektp.transport_seal import TransportKey
from kiosk.config.booth import EdgeLink
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.outbox.store import Outbox
from kiosk.uplink.client import BoothUplink, UplinkSettings
from tests.edge_controller.broker_fixtures import CONNECT_TIMEOUT, Inbox, Office, wait_for

DISTRICT = "640306"  # Kecamatan Gunung Tabur
WITA = dt.timezone(dt.timedelta(hours=8), "WITA")
REPO = Path(__file__).resolve().parents[2]


def nik_for(serial: int) -> str:
    return build_nik(DISTRICT, dt.date(1990, 2, 14), Sex.FEMALE, serial)


def kk_for(serial: int) -> str:
    return build_kk(DISTRICT, dt.date(2010, 1, 1), serial)


def make_record(booth_id: str, serial: int = 1, **changes: Any) -> EnrollmentRecord:
    started = dt.datetime(2026, 3, 10, 9, 15, tzinfo=WITA) + dt.timedelta(minutes=serial)
    fields: dict[str, Any] = {
        "nik": nik_for(serial),
        "kk": kk_for(serial),
        "name": "Siti Aminah",
        "kelurahan": "Sambakungan",
        "service": ServiceType.NEW_RECORDING,
        "operator_id": "op-0001",
        "booth_id": booth_id,
        "documents_checked": (Document.KK,),
        "capture_started_at": started,
        "captured_at": started + dt.timedelta(minutes=8),
        "quality": QualityScores(
            fingers=tuple(FingerCapture(finger=f, quality=80) for f in FINGER_ORDER),
            signature_captured=True,
        ),
    }
    fields.update(changes)
    return EnrollmentRecord.model_validate(fields)


def make_biometrics(photo_bytes: int = 512) -> dict[str, bytes]:
    """Parts of plausible sizes; ``photo_bytes=40_000`` gives a ~60 KB sealed packet."""
    parts = {
        PHOTO_PART: b"\xff\xd8\xff\xe0" + os.urandom(photo_bytes) + b"\xff\xd9",
        SIGNATURE_PART: b"\x89PNG\r\n\x1a\n" + os.urandom(256),
    }
    for number, finger in enumerate(FINGER_ORDER):
        parts[template_part(finger)] = bytes([number]) * 498
    return parts


CENTRAL_KEY = X25519PrivateKey.generate()


def sealed_with(
    key: Ed25519PrivateKey, booth_id: str = "booth-01", serial: int = 1, **packet: Any
) -> SealedPacket:
    """A packet for central of ``booth_id``'s resident ``serial``, signed with ``key``
    (the booth's own, an earlier unit's or another booth's)."""
    return seal(
        make_record(booth_id, serial=serial),
        make_biometrics(),
        booth_id=booth_id,
        booth_signing_key=key,
        central_public_key=CENTRAL_KEY.public_key(),
        **packet,
    )


@dataclass
class BoothKit:
    """One booth: its TLS identity, its signing key, its outbox."""

    booth_id: str
    office: Office
    root: Path
    signing_key: Ed25519PrivateKey
    outbox: Outbox
    serial: int = 0
    uplinks: list[BoothUplink] = field(default_factory=list)
    office_secret: RosterSecret | None = None
    """The office roster secret (set by :func:`register`/:func:`share_office_secret`):
    without it the booth's uplink keeps its packets."""

    @property
    def public_key_pem(self) -> bytes:
        return public_key_pem(self.signing_key)

    def link(self) -> EdgeLink:
        issued = self.office.identity(self.booth_id)
        return EdgeLink(
            host=self.office.broker.host,
            port=self.office.broker.port,
            ca_cert_path=self.office.ca.cert_path,
            cert_path=issued.cert_path,
            key_path=issued.key_path,
        )

    def seal(self, photo_bytes: int = 512, **record: Any) -> SealedPacket:
        self.serial += 1
        return seal(
            make_record(self.booth_id, serial=self.serial, **record),
            make_biometrics(photo_bytes),
            booth_id=self.booth_id,
            booth_signing_key=self.signing_key,
            central_public_key=CENTRAL_KEY.public_key(),
        )

    def wire(self, packet: SealedPacket | bytes, packet_id: uuid.UUID | None = None) -> bytes:
        """What the booth publishes on its enrollments topic: the transport envelope."""
        assert self.office_secret is not None, "register the booth (or share the secret)"
        data = packet if isinstance(packet, bytes) else packet.data
        message_id = packet_id or (uuid.uuid4() if isinstance(packet, bytes) else packet.packet_id)
        return TransportKey(self.office_secret).seal(self.booth_id, message_id, data)

    def commit(self, photo_bytes: int = 512) -> SealedPacket:
        """Seal a packet and commit it to the outbox, as the kiosk does."""
        packet = self.seal(photo_bytes)
        self.outbox.commit(str(packet.packet_id), packet.data, {"kelurahan": "Sambakungan"})
        return packet

    def uplink(self, **settings: Any) -> BoothUplink:
        values: dict[str, Any] = {
            "ack_timeout_seconds": 5.0,
            "health_interval_seconds": 1.0,
            "reconnect_max_delay_seconds": 2,
        }
        values.update(settings)
        uplink = BoothUplink(
            self.booth_id,
            self.link(),
            self.outbox,
            settings=UplinkSettings(**values),
            office_secret=lambda: self.office_secret,
        )
        self.uplinks.append(uplink)
        return uplink

    def close(self) -> None:
        for uplink in self.uplinks:
            uplink.stop(timeout=5.0)
        self.outbox.close()


def make_booth(office: Office, root: Path, booth_id: str) -> BoothKit:
    directory = root / booth_id
    key = load_or_create_signing_key(directory / "keys" / "booth-signing.pem")
    return BoothKit(booth_id, office, directory, key, Outbox(directory / "outbox.sqlite"))


@pytest.fixture
def booth(office: Office, tmp_path: Path) -> Iterator[BoothKit]:
    """Booth ``booth-01`` of the office: its signing key and outbox, closed at the end."""
    kit = make_booth(office, tmp_path, "booth-01")
    yield kit
    kit.close()


@pytest.fixture
def booths(office: Office, tmp_path: Path) -> Iterator[dict[str, BoothKit]]:
    """Booths ``booth-01`` and ``booth-02`` of the office, by id, closed at the end."""
    kits = {name: make_booth(office, tmp_path, name) for name in ("booth-01", "booth-02")}
    yield kits
    for kit in kits.values():
        kit.close()


def edge_config(office: Office, root: Path, **overrides: Any) -> EdgeConfig:
    """An edge config for this office (database under ``root``); overrides by section."""
    issued = office.identity("edge")
    values: dict[str, Any] = {
        "office_name": "Kecamatan Gunung Tabur",
        "mqtt": {
            "host": office.broker.host,
            "port": office.broker.port,
            "identity": "edge",
            "ca_cert_path": str(office.ca.cert_path),
            "cert_path": str(issued.cert_path),
            "key_path": str(issued.key_path),
            "reconnect_max_delay_seconds": 2,
        },
        "database": {"path": str(root / "edge.sqlite3")},
        "health": {"heartbeat_timeout_seconds": 3.0, "check_interval_seconds": 0.2},
    }
    values.update(overrides)
    return EdgeConfig.model_validate(values)


def register(config: EdgeConfig, *booths: BoothKit) -> None:
    """Register the booths' keys with the edge; they get the office roster secret."""
    conn = connect(config.database.path)
    try:
        for booth in booths:
            register_booth_key(conn, booth.booth_id, booth.public_key_pem, dt.datetime.now(dt.UTC))
    finally:
        conn.close()
    share_office_secret(config, *booths)


def share_office_secret(config: EdgeConfig, *booths: BoothKit) -> RosterSecret:
    """The edge's office roster secret (made now if new), handed to these booths as the
    edge hands it to registered ones (``office/roster_keys``)."""
    conn = connect(config.database.path)
    try:
        secret = office_roster_secret(conn)
    finally:
        conn.close()
    for booth in booths:
        booth.office_secret = secret
    return secret


class RunningEdge:
    """The edge service on its own asyncio loop in a thread (in-process tests)."""

    def __init__(self, config: EdgeConfig, *, before_commit: BeforeCommit | None = None) -> None:
        self.config = config
        self.service = build_edge_service(config, before_commit=before_commit)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="edge-service", daemon=True)
        self._thread.start()
        if not self.service.ready.wait(CONNECT_TIMEOUT):
            raise RuntimeError(f"the edge service did not start: {self.error!r}")

    def _main(self) -> None:
        try:
            asyncio.run(self.service.run())
        except BaseException as err:
            self.error = err

    def db(self) -> Any:
        """A fresh read connection to the edge database."""
        return connect(self.config.database.path)

    def stop(self) -> None:
        if self._thread.is_alive():  # once stopped, stopping again does nothing
            self.service.stop()
            self._thread.join(30)


def running_edge(config: EdgeConfig) -> Iterator[RunningEdge]:
    edge = RunningEdge(config)
    try:
        yield edge
    finally:
        edge.stop()


@pytest.fixture(name="edge")
def registered_edge(
    office: Office, tmp_path: Path, booths: dict[str, BoothKit]
) -> Iterator[RunningEdge]:
    """``edge``: the edge service on the office broker, with ``booths`` registered."""
    config = edge_config(office, tmp_path)
    register(config, *booths.values())
    yield from running_edge(config)


def client_with_acks(office: Office, booth_id: str, acks: Inbox) -> MqttClient:
    """``booth_id``'s own client on the office broker, its acks arriving in ``acks``."""
    client = office.client(booth_id)
    client.subscribe(f"booths/{booth_id}/acks", acks)
    return client


@pytest.fixture
def sender(office: Office) -> Iterator[tuple[MqttClient, Inbox]]:
    """booth-01's own client on the office broker, and the inbox its acks arrive in."""
    acks = Inbox()
    client = client_with_acks(office, "booth-01", acks)
    yield client, acks
    client.stop(publish_offline=False)


def acked_ids(acks: Inbox) -> list[str]:
    return [packet_id for ack in acks.payloads() for packet_id in ack["packet_ids"]]


def rejections(acks: Inbox) -> list[tuple[str, str]]:
    """(packet id, reason code) of each packet the edge refused for good, in ack order."""
    return [(r["packet_id"], r["code"]) for ack in acks.payloads() for r in ack["rejected"]]


def write_edge_toml(config: EdgeConfig, path: Path) -> Path:
    """The config as a TOML file, for the real ``rekam-edge run`` process."""
    lines: list[str] = []
    data = config.model_dump(mode="json", exclude_none=True)
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    lines += [f"{key} = {_toml(value)}" for key, value in scalars.items()]
    for section, body in data.items():
        if isinstance(body, dict):
            lines.append(f"\n[{section}]")
            lines += [f"{key} = {_toml(value)}" for key, value in body.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class EdgeProcess:
    """``python -m edge_controller.cli run --config FILE`` as a real child process.

    ``command`` replaces ``edge_controller.cli run`` (e.g. the paused edge of
    :mod:`tests.edge_controller.paused_edge`, which takes the same ``--config``).
    """

    def __init__(
        self,
        config_path: Path,
        log_path: Path,
        *,
        command: tuple[str, ...] = ("edge_controller.cli", "run"),
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *command, "--config", str(config_path), *extra_args],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_log(self, text: str, timeout: float = 30.0) -> bool:
        return wait_for(lambda: text in self.log_text(), timeout, interval=0.05)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        if not self._log.closed:
            self._log.close()
