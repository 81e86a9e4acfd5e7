"""Central for the demo: the reference receiver (``rekam-central run``) as its own process,
reached by the edge through a shaping proxy that plays the office's internet link.

The receiver has its own CA ("Disdukcapil") for its server certificate, trusts the
office CA for the edge's client certificate, signs receipts with its own Ed25519 key
and knows each booth's packet-signing key. :meth:`DemoCentral.cut_link` drops the
link (every connection closed, new ones refused) until :meth:`restore_link`.
"""

from __future__ import annotations

import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from demo.shaping_proxy import LinkShape, ProxyThread
from ektp.pki import OfficeCA
from ektp.receipts import create_receipt_key

START_TIMEOUT = 60.0
CENTRAL_NAME = "Disdukcapil Pusat (demo)"


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CentralError(RuntimeError):
    """The demo's central receiver did not start."""


class DemoCentral:
    """``start()`` → the receiver answers behind the link; ``stop()`` (idempotent)."""

    def __init__(self, root: Path, office_ca: OfficeCA, edge_cert: Path, edge_key: Path) -> None:
        self.root = root
        self.office_ca = office_ca
        self.edge_cert = edge_cert
        self.edge_key = edge_key
        self.booth_keys_dir = root / "booths"
        self.receipt_public_path = root / "receipt.pub.pem"
        self.log_path = root / "central.log"
        self.port = 0
        self.link: ProxyThread | None = None
        self.link_up = True
        self._process: subprocess.Popen[bytes] | None = None
        self.central_ca: OfficeCA | None = None

    # -- set-up ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Keys, certificates and the configuration (before booths are registered)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.booth_keys_dir.mkdir(exist_ok=True)
        self.central_ca = OfficeCA.create(self.root / "ca", CENTRAL_NAME)
        self.server = self.central_ca.issue_server_certificate(
            self.root / "tls", common_name="central"
        )
        self.receipt_key_path = self.root / "receipt.key"
        create_receipt_key(self.receipt_key_path, self.receipt_public_path)

    def register_booth(self, booth_id: str, public_key_pem: bytes) -> None:
        """What ``rekam-central register-booth`` does: central learns the booth's key."""
        (self.booth_keys_dir / f"{booth_id}.pem").write_bytes(public_key_pem)

    @property
    def ca_cert_path(self) -> Path:
        assert self.central_ca is not None
        return self.central_ca.cert_path

    @property
    def url(self) -> str:
        """Central's address as the edge sees it: through the link."""
        assert self.link is not None
        return f"https://127.0.0.1:{self.link.proxy.port}/"

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.port = free_loopback_port()
        config_path = self.root / "central.toml"
        config_path.write_text(
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'tls_cert_path = "{self.server.cert_path}"\n'
            f'tls_key_path = "{self.server.key_path}"\n'
            f'client_ca_paths = ["{self.office_ca.cert_path}"]\n'
            f'receipt_key_path = "{self.receipt_key_path}"\n'
            f'booth_keys_dir = "{self.booth_keys_dir}"\n'
            f'data_dir = "{self.root / "data"}"\n'
            'body_idle_timeout_seconds = 10\nlog_level = "WARNING"\n',
            encoding="utf-8",
        )
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "central.cli", "run", "--config", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_healthy()
        self.link = ProxyThread("127.0.0.1", self.port, LinkShape())
        self.link.start()

    def _wait_until_healthy(self) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_cert_path))
        context.load_cert_chain(str(self.edge_cert), str(self.edge_key))
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(verify=context, timeout=5) as client:
            while time.monotonic() < deadline:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise CentralError(f"central exited:\n{self.log_tail()}")
                try:
                    if client.get(f"https://127.0.0.1:{self.port}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise CentralError(f"central did not answer in {START_TIMEOUT:g} s:\n{self.log_tail()}")

    def log_tail(self, characters: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return "(no log)"

    def cut_link(self) -> None:
        if self.link is not None:
            self.link.cut()
        self.link_up = False

    def restore_link(self) -> None:
        if self.link is not None:
            self.link.restore()
        self.link_up = True

    def stored_packets(self) -> int:
        """Packets central has stored (read from its database; 0 before the first)."""
        path = self.root / "data" / "central.sqlite3"
        if not path.exists():
            return 0
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM packets").fetchone()[0])
        except sqlite3.OperationalError:
            return 0
        finally:
            conn.close()

    def stop(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
