"""The office :mod:`bench.scale` measures: mosquitto, ``rekam-edge run`` as a process, a roster.

Started the way :mod:`bench.ingest` and :mod:`demo.chaos.office` start them: the real
mosquitto with TLS client certificates and the generated ACL (no persistence), and the
real edge (``python -m edge_controller.cli run --config edge.toml``) in its own process
group, so its CPU — the check helper's included — can be read from ``/proc``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.fleet import BoothSpec, Resident
from bench.proc_stat import proc_stat
from demo.chaos.toml_text import toml_document
from demo.roster import (
    SyntheticResident,
    gunung_tabur_counts,
    insert_residents,
    synthetic_roster,
)
from edge_controller.booths.monitor import register_booth_key
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.db import connect
from ektp.pki import EDGE_IDENTITY, OfficeCA, dev_issue_booth, dev_issue_identity

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def roster_residents(count: int) -> list[SyntheticResident]:
    """About ``count`` residents of Kecamatan Gunung Tabur, spread as its villages are."""
    villages = gunung_tabur_counts()
    share = count / sum(v.wajib_ktp for v in villages)
    scaled = [
        dataclasses.replace(v, wajib_ktp=max(1, round(v.wajib_ktp * share))) for v in villages
    ]
    residents = synthetic_roster(scaled, adult_on=dt.date(2026, 3, 10))
    random.Random(20).shuffle(residents)  # booths record residents of every village
    return residents


class ScaleOffice:
    """CA, broker, booth identities, the edge database and the edge process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ca = OfficeCA.create(root / "ca", "Bench Office")
        server = self.ca.issue_server_certificate(root / "broker-tls")
        self.broker = MosquittoProcess(
            BrokerConfig(
                port=free_port(),
                ca_cert_path=self.ca.cert_path,
                server_cert_path=server.cert_path,
                server_key_path=server.key_path,
                persistence=False,
            )
        )
        self.database = root / "edge.sqlite3"
        self.edge: subprocess.Popen[bytes] | None = None

    def booth_specs(
        self, residents: Sequence[Sequence[Resident]], on_roster: int
    ) -> list[BoothSpec]:
        """One booth per list of residents it will record (the first ``on_roster`` of
        each on the roster), each booth with its own certificate."""
        specs = []
        for index, mine in enumerate(residents):
            booth_id = f"booth-{index + 1:03d}"
            issued = dev_issue_booth(self.ca, booth_id, self.root / "booths" / booth_id)
            spec = BoothSpec(booth_id, issued.cert_path, issued.key_path, tuple(mine), on_roster)
            specs.append(spec)
        return specs

    def prepare_database(
        self,
        residents: Sequence[SyntheticResident],
        booth_keys: dict[str, bytes],
        time_scale: float,
    ) -> None:
        """The roster (as the demo writes it) and every booth's packet-signing key."""
        conn = connect(self.database)
        try:
            insert_residents(conn, residents)
            now = dt.datetime.now(dt.UTC)
            for booth_id, pem in booth_keys.items():
                register_booth_key(conn, booth_id, pem, now)
        finally:
            conn.close()
        self._write_config(time_scale)

    def _write_config(self, time_scale: float) -> None:
        edge = dev_issue_identity(self.ca, EDGE_IDENTITY, self.root / "edge-tls")
        config: dict[str, Any] = {
            "office_name": "Bench Office",
            "log_level": "WARNING",
            "mqtt": {
                "port": self.broker.port,
                "identity": EDGE_IDENTITY,
                "ca_cert_path": str(self.ca.cert_path),
                "cert_path": str(edge.cert_path),
                "key_path": str(edge.key_path),
            },
            "database": {"path": str(self.database)},
            # the office's batching of digests, compressed like the load
            "roster": {"min_interval_seconds": 30.0 / time_scale},
        }
        EdgeConfig.model_validate(config)
        (self.root / "edge.toml").write_text(toml_document(config), encoding="utf-8")

    def start(self) -> None:
        self.broker.start()
        log = (self.root / "edge.log").open("ab")
        self.edge = subprocess.Popen(
            [sys.executable, "-m", "edge_controller.cli", "run", "--config", "edge.toml"],
            cwd=self.root,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def edge_cpu_seconds(self) -> float:
        """CPU time of the edge's process group (the edge and its check helper)."""
        assert self.edge is not None
        stats = (proc_stat(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
        return sum(
            s.user_s + s.system_s for s in stats if s is not None and s.group == self.edge.pid
        )

    def wait_until_edge_idle(self, timeout: float = 900.0, busy_share: float = 0.15) -> float:
        """Wait until the edge uses under ``busy_share`` of a core for 3 s (its start-up
        work, such as the residents' look-up keys, done); returns the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            before = self.edge_cpu_seconds()
            time.sleep(3.0)
            if (self.edge_cpu_seconds() - before) / 3.0 < busy_share:
                return time.monotonic() - started
        raise RuntimeError("the edge stayed busy")

    def broker_bytes(self) -> int:
        """Bytes mosquitto has read and written on its sockets (TLS records included)."""
        pid = self.broker.pid
        assert pid is not None
        counters = dict(
            line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines()
        )
        return int(counters["rchar"]) + int(counters["wchar"])

    def close(self) -> None:
        if self.edge is not None and self.edge.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.edge.pid, signal.SIGTERM)
            try:
                self.edge.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.edge.pid, signal.SIGKILL)
                self.edge.wait(10)
        self.broker.close()
