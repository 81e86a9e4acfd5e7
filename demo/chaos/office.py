"""The chaos office: every part a separate process the harness can SIGKILL and restart.

* **broker** — the real mosquitto (:class:`~edge_controller.broker.process.MosquittoProcess`,
  per-booth TLS certificates and ACL, no persistence: a kill loses what it held);
* **edge** — ``rekam-edge run`` (ingest, acks, the forwarder to central);
* **central** — ``rekam-central run`` (mutual TLS, receipts, its SQLite + file store);
* **booths** — one :mod:`demo.chaos.booth_worker` process per booth.

Links that can be cut: each booth reaches the broker through its own TCP proxy, and
the edge reaches central through one (:class:`~demo.shaping_proxy.ProxyThread`;
``cut()`` drops every connection and refuses new ones until
``restore()``). The edge talks to the broker directly (same box).

Files, all under the run directory: ``office-ca/``, ``central-ca/``, ``edge.sqlite3``,
``edge.toml``, ``edge.log``, ``central/`` (config, data, booth keys, log),
``<booth>/`` (outbox, journal, signing key, TLS, log), ``broker/`` (mosquitto's
config and log), ``pids`` (every child started).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from demo.chaos.booth_worker import SIGNING_KEY_PATH
from demo.chaos.children import PID_FILE, ChildProcess
from demo.chaos.evidence import JOURNAL_NAME, OUTBOX_NAME
from demo.chaos.toml_text import toml_document
from demo.office import OFFICE_NAME, free_loopback_port
from demo.shaping_proxy import LinkShape, ProxyThread
from edge_controller.booths.monitor import register_booth_key
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.db import connect
from ektp.pki import EDGE_IDENTITY, OfficeCA, dev_issue_identity
from ektp.pki.files import pem_public_key
from ektp.receipts import create_receipt_key
from kiosk.keys import load_or_create_signing_key, public_key_pem

REPO = Path(__file__).resolve().parents[2]
MOSQUITTO = "/usr/sbin/mosquitto"
UPSTREAM_LINK = "edge-central"


class Killable(Protocol):
    name: str

    @property
    def alive(self) -> bool: ...

    @property
    def uptime(self) -> float: ...

    def start(self) -> None: ...

    def kill(self) -> bool: ...

    def stop(self, timeout: float = 15.0) -> None: ...


class BrokerTarget:
    """:class:`MosquittoProcess` seen as a :class:`Killable` (restarts on the same port)."""

    name = "broker"

    def __init__(self, process: MosquittoProcess, pid_file: Path) -> None:
        self.process = process
        self.pid_file = pid_file
        self._started_at = 0.0

    @property
    def alive(self) -> bool:
        return self.process.running

    @property
    def uptime(self) -> float:
        return time.monotonic() - self._started_at if self.alive else 0.0

    def start(self) -> None:
        self.process.start()
        self._started_at = time.monotonic()
        with self.pid_file.open("a", encoding="utf-8") as pids:
            pids.write(f"{self.process.pid} {self.name}\n")

    def kill(self) -> bool:
        was_alive = self.process.running
        self.process.kill()
        return was_alive

    def stop(self, timeout: float = 15.0) -> None:
        self.process.stop(timeout)


@dataclass(frozen=True)
class BoothFiles:
    booth_id: str
    index: int
    directory: Path
    public_key_pem: bytes

    @property
    def journal(self) -> Path:
        return self.directory / "data" / JOURNAL_NAME

    @property
    def outbox(self) -> Path:
        return self.directory / "data" / OUTBOX_NAME


@dataclass(frozen=True)
class Timings:
    """How fast the parts notice a failure and come back (short: many kills per minute)."""

    ack_timeout_seconds: float = 5.0
    reconnect_max_delay_seconds: int = 1
    forwarder_backoff_max_seconds: float = 1.0


class ChaosOffice:
    """Build with :meth:`prepare` (files only), then :meth:`start`; :meth:`close` always."""

    def __init__(
        self,
        root: Path,
        *,
        booth_count: int,
        script: dict[int, list[int]],
        seed: int,
        pace_seconds: float,
        timings: Timings | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.root = root
        self.booth_ids = tuple(f"booth-{index + 1:02d}" for index in range(booth_count))
        self.script = script
        self.seed = seed
        self.pace_seconds = pace_seconds
        self.timings = timings or Timings()
        self.log = log
        self.pid_file = root / PID_FILE
        self.booths: list[BoothFiles] = []
        self.targets: dict[str, Killable] = {}
        self.links: dict[str, ProxyThread] = {}
        self.central_private_key: X25519PrivateKey | None = None
        self._broker: MosquittoProcess | None = None

    # -- files -----------------------------------------------------------------------

    def prepare(self) -> None:
        root = self.root
        root.mkdir(parents=True, exist_ok=True)
        self.office_ca = OfficeCA.create(root / "office-ca", OFFICE_NAME)
        self.central_ca = OfficeCA.create(root / "central-ca", "Disdukcapil (chaos central)")
        sealing = X25519PrivateKey.generate()
        self.central_private_key = sealing
        self.central_public_path = root / "central-x25519.pub.pem"
        self.central_public_path.write_bytes(pem_public_key(sealing.public_key()))
        (root / "central").mkdir()
        self.receipt_key = root / "central" / "receipt.key"
        self.receipt_public = root / "central" / "receipt.pub.pem"
        create_receipt_key(self.receipt_key, self.receipt_public)
        self.edge_database = root / "edge.sqlite3"
        for index, booth_id in enumerate(self.booth_ids):
            self.booths.append(self._prepare_booth(index, booth_id))

    def _prepare_booth(self, index: int, booth_id: str) -> BoothFiles:
        directory = self.root / booth_id
        key = load_or_create_signing_key(directory / "data" / SIGNING_KEY_PATH)
        pem = public_key_pem(key)
        conn = connect(self.edge_database)
        try:
            register_booth_key(conn, booth_id, pem, dt.datetime.now(dt.UTC))
        finally:
            conn.close()
        central_keys = self.root / "central" / "booths"
        central_keys.mkdir(parents=True, exist_ok=True)
        (central_keys / f"{booth_id}.pem").write_bytes(pem)
        return BoothFiles(booth_id, index, directory, pem)

    # -- processes and links -------------------------------------------------------------

    def start(self) -> None:
        self._start_broker()
        self._start_central()
        self._start_edge()
        for booth in self.booths:
            self._start_booth(booth)

    def _start_broker(self) -> None:
        server = self.office_ca.issue_server_certificate(self.root / "broker-tls")
        guarded = self.root / "broker-guarded.sh"
        guarded.write_text(
            "#!/bin/sh\n"
            f"export PYTHONPATH='{REPO}'\n"
            f"exec '{sys.executable}' -m demo.chaos.children {os.getpid()} -- {MOSQUITTO} \"$@\"\n",
            encoding="utf-8",
        )
        guarded.chmod(0o755)
        config = BrokerConfig(
            port=free_loopback_port(),
            ca_cert_path=self.office_ca.cert_path,
            server_cert_path=server.cert_path,
            server_key_path=server.key_path,
            crl_path=self.office_ca.crl_path,
            persistence=False,
            # the broker must not change user: that would cancel "die with the harness"
            run_as_user="root" if os.geteuid() == 0 else "mosquitto",
        )
        self._broker = MosquittoProcess(
            config, runtime_directory=self.root / "broker", executable=str(guarded)
        )
        target = BrokerTarget(self._broker, self.pid_file)
        target.start()
        self.targets["broker"] = target
        self.log(f"broker: mosquitto with per-booth TLS certificates on port {config.port}")

    def _start_central(self) -> None:
        directory = self.root / "central"
        server = self.central_ca.issue_server_certificate(directory / "tls", common_name="central")
        port = free_loopback_port()
        config = {
            "host": "127.0.0.1",
            "port": port,
            "tls_cert_path": str(server.cert_path),
            "tls_key_path": str(server.key_path),
            "client_ca_paths": [str(self.office_ca.cert_path)],
            "receipt_key_path": str(self.receipt_key),
            "booth_keys_dir": str(directory / "booths"),
            "data_dir": str(self.central_data),
            "body_idle_timeout_seconds": 5,
            "log_level": "WARNING",
        }
        path = directory / "central.toml"
        path.write_text(toml_document(config), encoding="utf-8")
        self._add_child(
            "central",
            [sys.executable, "-m", "central.cli", "run", "--config", str(path)],
            directory / "central.log",
        )
        link = ProxyThread("127.0.0.1", port, LinkShape(seed=self.seed))
        link.start()
        self.links[UPSTREAM_LINK] = link
        self.log(f"central: reference receiver on port {port}, behind a link that can be cut")

    @property
    def central_data(self) -> Path:
        return self.root / "central" / "data"

    def _start_edge(self) -> None:
        assert self._broker is not None
        issued = dev_issue_identity(self.office_ca, EDGE_IDENTITY, self.root / "edge-tls")
        upstream_port = self.links[UPSTREAM_LINK].proxy.port
        config: dict[str, Any] = {
            "office_name": OFFICE_NAME,
            "log_level": "INFO",
            "mqtt": {
                "host": self._broker.host,
                "port": self._broker.port,
                "identity": EDGE_IDENTITY,
                "ca_cert_path": str(self.office_ca.cert_path),
                "cert_path": str(issued.cert_path),
                "key_path": str(issued.key_path),
                "keepalive_seconds": 10,
                "reconnect_max_delay_seconds": self.timings.reconnect_max_delay_seconds,
            },
            "database": {"path": str(self.edge_database)},
            "upstream": {
                "central_url": f"https://127.0.0.1:{upstream_port}/",
                "ca_cert_path": str(self.central_ca.cert_path),
                "cert_path": str(issued.cert_path),
                "key_path": str(issued.key_path),
                "receipt_public_key_path": str(self.receipt_public),
                "chunk_bytes": 16 * 1024,
                "batch_size": 16,
                "parallel_uploads": 2,
                "request_timeout_seconds": 10,
                "backoff_initial_seconds": 0.2,
                "backoff_max_seconds": self.timings.forwarder_backoff_max_seconds,
                "retry_later_seconds": 2,
                "idle_poll_seconds": 0.2,
            },
        }
        EdgeConfig.model_validate(config)  # a mistake here fails now, not in the child
        path = self.root / "edge.toml"
        path.write_text(toml_document(config), encoding="utf-8")
        self._add_child(
            "edge",
            [sys.executable, "-m", "edge_controller.cli", "run", "--config", str(path)],
            self.root / "edge.log",
        )
        self.log("edge: rekam-edge run (ingest, acks, forwarder to central)")

    def _start_booth(self, booth: BoothFiles) -> None:
        assert self._broker is not None
        issued = dev_issue_identity(self.office_ca, booth.booth_id, booth.directory / "tls")
        link = ProxyThread("127.0.0.1", self._broker.port, LinkShape(seed=self.seed + booth.index))
        link.start()
        self.links[booth.booth_id] = link
        settings = {
            "booth_id": booth.booth_id,
            "booth_index": booth.index,
            "data_dir": str(booth.directory / "data"),
            "serials": self.script[booth.index],
            "seed": self.seed,
            "pace_seconds": self.pace_seconds,
            "central_public_key_path": str(self.central_public_path),
            "edge": {
                "host": "127.0.0.1",
                "port": link.proxy.port,
                "ca_cert_path": str(self.office_ca.cert_path),
                "cert_path": str(issued.cert_path),
                "key_path": str(issued.key_path),
            },
            "uplink": {
                "ack_timeout_seconds": self.timings.ack_timeout_seconds,
                "health_interval_seconds": 5.0,
                "keepalive_seconds": 10,
                "reconnect_max_delay_seconds": self.timings.reconnect_max_delay_seconds,
            },
        }
        path = booth.directory / "worker.json"
        path.write_text(json.dumps(settings, indent=1), encoding="utf-8")
        self._add_child(
            booth.booth_id,
            [sys.executable, "-m", "demo.chaos.booth_worker", str(path)],
            booth.directory / "worker.log",
        )

    def _add_child(self, name: str, command: list[str], log_path: Path) -> None:
        child = ChildProcess(name, command, log_path=log_path, pid_file=self.pid_file, cwd=REPO)
        child.start()
        self.targets[name] = child

    # -- after the storm -----------------------------------------------------------------

    def close(self) -> None:
        """Stop the booths first (they flush), then edge, central, broker, links. Idempotent."""
        order = [*self.booth_ids, "edge", "central", "broker"]
        for name in order:
            target = self.targets.pop(name, None)
            if target is not None:
                target.stop()
        for link in self.links.values():
            with contextlib.suppress(Exception):
                link.close()
        self.links.clear()
