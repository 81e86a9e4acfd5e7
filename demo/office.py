"""A whole recording office on one machine: office CA, TLS broker, edge service, booths.

Every part is the real one (mosquitto with per-booth certificates, the edge service
with its database, the UPS behind a real upsd and the generator contact on a mock GPIO
pin, the reference central receiver behind a link the demo can cut, booths built by
``build_booth`` on emulated devices); only the people are scripted. Used by
``python -m demo`` and by the office-level tests. :mod:`demo.control` acts on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from demo.central_receiver import DemoCentral
from demo.office_directory import prepare_office_directory
from demo.power_supply import OfficePowerSupply
from demo.roster import (
    SyntheticResident,
    VillageCount,
    gunung_tabur_counts,
    roster_csv_rows,
    synthetic_roster,
    write_roster_csv,
)
from edge_controller.booths.monitor import register_booth_key
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from edge_controller.config.edge import EdgeConfig
from edge_controller.config.upstream import UpstreamConfig
from edge_controller.ingest.build import build_edge_service
from edge_controller.ingest.db import connect
from edge_controller.ingest.service import EdgeService
from edge_controller.roster.importer import import_file
from edge_controller.web.auth import user_add
from ektp.pki import IssuedIdentity, OfficeCA, dev_issue_identity
from ektp.pki.files import pem_public_key
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import BoothConfig
from kiosk.flow.ports import Roster
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.uplink.roster_feed import RosterFeed

OFFICE_NAME = "Kecamatan Gunung Tabur"
HARMLESS_POWEROFF = [
    sys.executable,
    "-c",
    "print('demo: this is where the machine would power off')",
]
"""The demo's stand-in for ``systemctl poweroff`` (edge and booths), should the battery run low."""

BoothBuilder = Callable[[BoothConfig, Roster | None], Booth]
"""Builds a booth from its config and roster (default ``build_booth``; the demo's window
mode builds the booth under the touchscreen app instead)."""


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DemoOffice:
    """Start with :meth:`start`, stop with :meth:`stop` (idempotent; also a context manager)."""

    root: Path
    booth_ids: tuple[str, ...] = ("booth-01",)
    roster_share: float = 0.02
    web_port: int = 0
    demo_login: tuple[str, str] = ("camat", "rekam-demo-2026")
    fingerprint_speed: float = 1.0
    log: Callable[[str], None] = print
    with_power: bool = True
    """Emulated UPS (real upsd + dummy-ups) and generator contact, watched by the edge."""
    with_central: bool = True
    """The reference central receiver behind a cuttable link; the edge forwards to it."""
    booth_builder: BoothBuilder | None = None
    residents: list[SyntheticResident] = field(default_factory=list)
    booths: dict[str, Booth] = field(default_factory=dict)
    edge: EdgeService | None = None
    broker: MosquittoProcess | None = None
    central: DemoCentral | None = None
    power_supply: OfficePowerSupply | None = None
    _edge_thread: threading.Thread | None = None

    def __enter__(self) -> DemoOffice:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- start ---------------------------------------------------------------------------
    def start(self) -> None:
        if prepare_office_directory(self.root, OFFICE_NAME):
            self.log(f"replaced the previous demo office in {self.root} with a fresh one")
        ca = OfficeCA.create(self.root / "ca", OFFICE_NAME)
        self._start_broker(ca)
        central = X25519PrivateKey.generate()
        central_pub = self.root / "central-x25519.pem"
        central_pub.write_bytes(pem_public_key(central.public_key()))
        self.central_private_key = central
        edge_identity = dev_issue_identity(ca, "edge", self.root / "edge-tls")
        if self.with_central:
            self.central = DemoCentral(
                self.root / "central", ca, edge_identity.cert_path, edge_identity.key_path
            )
            self.central.prepare()
        edge_config = self._edge_config(ca, edge_identity)
        self._load_roster(edge_config)
        for booth_id in self.booth_ids:
            self._register_booth(edge_config, booth_id)
        user_add(edge_config.database.path, *self.demo_login, "supervisor", "Camat (demo)")
        if self.central is not None:
            self.central.start()
            self.log(f"central: reference receiver behind the internet link ({self.central.url})")
            edge_config = self._with_upstream(edge_config, self.central)
        self._start_edge(edge_config)
        for booth_id in self.booth_ids:
            self.booths[booth_id] = self._start_booth(ca, booth_id, central_pub)

    def _start_broker(self, ca: OfficeCA) -> None:
        server = ca.issue_server_certificate(self.root / "broker-tls")
        config = BrokerConfig(
            port=free_loopback_port(),
            ca_cert_path=ca.cert_path,
            server_cert_path=server.cert_path,
            server_key_path=server.key_path,
            crl_path=ca.crl_path,
            persistence=False,
        )
        self.broker = MosquittoProcess(config)
        self.broker.start()
        self.ca = ca
        self.log(f"broker: mosquitto with TLS client certificates on 127.0.0.1:{config.port}")

    def _edge_config(self, ca: OfficeCA, issued: IssuedIdentity) -> EdgeConfig:
        assert self.broker is not None
        return EdgeConfig.model_validate(
            {
                "office_name": OFFICE_NAME,
                "mqtt": {
                    "host": self.broker.host,
                    "port": self.broker.port,
                    "identity": "edge",
                    "ca_cert_path": str(ca.cert_path),
                    "cert_path": str(issued.cert_path),
                    "key_path": str(issued.key_path),
                    "reconnect_max_delay_seconds": 2,
                },
                "database": {"path": str(self.root / "edge.sqlite3")},
                "health": {"heartbeat_timeout_seconds": 30.0, "check_interval_seconds": 1.0},
                "web": {
                    "host": "127.0.0.1",
                    "port": self.web_port,
                    "session_secret_path": str(self.root / "web-session.key"),
                },
                "power": self._power_section() if self.with_power else None,
            }
        )

    @staticmethod
    def _power_section() -> dict[str, object]:
        """The emulated UPS and generator contact, polled briskly so a visitor sees the
        office react within seconds (the defaults suit a real office)."""
        return {
            "ups": {"backend": "emulated", "initial_status": "OL"},
            "generator": {"backend": "emulated", "bounce_s": None},
            "poll_interval_s": 0.5,
            "hold_polls": 2,
            "hold_seconds": 1.0,
            "republish_s": 10.0,
            "booth_offline_wait_s": 10.0,
            "shutdown_command": HARMLESS_POWEROFF,
        }

    def _with_upstream(self, config: EdgeConfig, central: DemoCentral) -> EdgeConfig:
        upstream = {
            "central_url": central.url,
            "ca_cert_path": str(central.ca_cert_path),
            "cert_path": str(config.mqtt.cert_path),
            "key_path": str(config.mqtt.key_path),
            "receipt_public_key_path": str(central.receipt_public_path),
            "request_timeout_seconds": 10,
            "backoff_initial_seconds": 0.5,
            "backoff_max_seconds": 3.0,
            "idle_poll_seconds": 0.5,
        }
        return config.model_copy(update={"upstream": UpstreamConfig.model_validate(upstream)})

    def _load_roster(self, config: EdgeConfig) -> None:
        villages = [
            VillageCount(v.kelurahan, v.rt_count, max(5, round(v.wajib_ktp * self.roster_share)))
            for v in gunung_tabur_counts()
        ]
        self.residents = synthetic_roster(villages, adult_on=dt.date.today())
        # The office's own path: a spreadsheet export, imported as `rekam-edge roster import`
        # does (the file stays for a visitor to upload again on the dashboard's roster page).
        csv_path = write_roster_csv(self.root / "roster.csv", roster_csv_rows(self.residents))
        conn = connect(config.database.path)
        try:
            outcome = import_file(
                conn,
                csv_path.read_bytes(),
                language="en",
                imported_by="demo",
                file_name=csv_path.name,
                at=dt.datetime.now(config.timezone),
            )
        finally:
            conn.close()
        if not outcome.ok:
            raise RuntimeError("; ".join(outcome.summary + outcome.problems[:5]))
        self.log(f"edge: {outcome.summary[0]} — {len(villages)} kelurahan, from {csv_path}")

    def _register_booth(self, config: EdgeConfig, booth_id: str) -> None:
        key = load_or_create_signing_key(
            self.root / booth_id / "data" / "keys" / "booth-signing.pem"
        )
        conn = connect(config.database.path)
        try:
            register_booth_key(conn, booth_id, public_key_pem(key), dt.datetime.now(dt.UTC))
        finally:
            conn.close()
        if self.central is not None:
            self.central.register_booth(booth_id, public_key_pem(key))

    def _start_edge(self, config: EdgeConfig) -> None:
        self.edge = build_edge_service(config)
        service = self.edge

        def main() -> None:
            asyncio.run(service.run())

        self._edge_thread = threading.Thread(target=main, name="edge-service", daemon=True)
        self._edge_thread.start()
        if not service.ready.wait(60):
            raise RuntimeError("the edge service did not start")
        self.edge_config = config
        watcher = service.power
        if watcher is not None:
            self.power_supply = OfficePowerSupply(watcher.ups, watcher.generator)  # type: ignore[arg-type]
            self.log("edge: UPS (upsd + dummy-ups) and generator contact watched")
        self.log("edge: service running (ingest, queue, booth health, dashboard)")

    @property
    def dashboard_url(self) -> str | None:
        dashboard = self.edge.dashboard if self.edge is not None else None
        return dashboard.url if dashboard is not None else None

    def _start_booth(self, ca: OfficeCA, booth_id: str, central_pub: Path) -> Booth:
        assert self.broker is not None
        issued = dev_issue_identity(ca, booth_id, self.root / booth_id / "tls")
        config = BoothConfig.model_validate(
            {
                "booth_id": booth_id,
                "data_dir": str(self.root / booth_id / "data"),
                "central_public_key_path": str(central_pub),
                "edge": {
                    "host": self.broker.host,
                    "port": self.broker.port,
                    "ca_cert_path": str(ca.cert_path),
                    "cert_path": str(issued.cert_path),
                    "key_path": str(issued.key_path),
                },
                "uplink": {"health_interval_seconds": 2.0, "reconnect_max_delay_seconds": 2},
                "power": {"shutdown_command": HARMLESS_POWEROFF},
                "hardware": {
                    "fingerprint": {"backend": "emulated", "speed": self.fingerprint_speed},
                    "smartcard": {  # the office CA issues the demo operator's card
                        "backend": "emulated",
                        "operator_card_issuer_dir": str(ca.directory),
                    },
                    "camera": {"backend": "emulated", "fps": 15},
                },
            }
        )
        # No roster handed over: the booth checks residents in against the edge's
        # retained roster digests (office/roster/<kelurahan>), as a real booth does.
        if self.booth_builder is not None:
            booth = self.booth_builder(config, None)
        else:
            booth = build_booth(config)
        self._wait_for_roster(booth)
        self.log(f"{booth_id}: fingerprint sensor, card reader and camera emulated; outbox ready")
        return booth

    def _wait_for_roster(self, booth: Booth, timeout: float = 60.0) -> None:
        """Until the booth holds the edge's digest of every village (bounded)."""
        villages = {resident.kelurahan for resident in self.residents}
        feed = booth.roster
        if not isinstance(feed, RosterFeed):
            return
        deadline = time.monotonic() + timeout
        while len(feed.villages()) < len(villages) or feed.secret is None:  # and its key
            if time.monotonic() > deadline:
                raise RuntimeError("the booth did not receive the roster digests from the edge")
            time.sleep(0.1)
        self.log(f"{booth.config.booth_id}: roster of {len(villages)} kelurahan from the edge")

    # -- what the office did --------------------------------------------------------------
    def stored_packets(self) -> int:
        conn = connect(self.edge_config.database.path)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM ingested_packets").fetchone()[0])
        finally:
            conn.close()

    # -- stop ------------------------------------------------------------------------------
    def stop(self) -> None:
        for booth in self.booths.values():
            booth.close()
        self.booths.clear()
        if self.edge is not None:
            self.edge.stop()
            if self._edge_thread is not None:
                self._edge_thread.join(timeout=15)
            self.edge = None
        self.power_supply = None
        if self.central is not None:
            self.central.stop()
            self.central = None
        if self.broker is not None:
            self.broker.close()
            self.broker = None
