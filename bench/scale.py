"""200 booths on one edge: the office's load mix, then a reconnect storm.

``python -m bench.scale [--quick] [--booths N]`` prints the rows; ``run(quick)`` returns them.

The office (:mod:`bench.scale_office`): the real mosquitto (TLS client certificates,
the ACL), the real edge (``rekam-edge run``, its own process group) over a roster of
Kecamatan Gunung Tabur. The booths (:mod:`bench.fleet`): N real MQTT v5 TLS clients,
each with its own certificate and packet-signing key, in four worker processes; every
packet is really sealed (~63 KB) by its booth.

1. **Steady office mix**, time compressed by :data:`TIME_SCALE` (so the rates are
   that many times an office's): per booth, one enrollment every 120 s, one check-in
   and one call of the next ticket with it, a health report every 30 s; the edge
   republishes the queue and the roster digests (its ``min_interval_seconds``
   compressed alike) to every booth, which subscribe what a kiosk subscribes.
   Measured: publish → ack of every packet (its p99), the edge group's CPU seconds per
   packet, and mosquitto's socket bytes (TLS included) per recording.
2. **Reconnect storm**: every booth drops its connection, then all reconnect at once,
   each with a backlog of 50 packets; measured: seconds until the last is acked.

Baselines, in the same run: the goal (1 s) for the p99; raw SQLite (WAL, FULL, one row
per transaction, same-sized blobs; measured before and after, averaged) for the storm;
the edge's CPU per packet in the storm (ingest alone) for its CPU under the mix; the
packet's own bytes twice (in once, out once) for the broker.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fleet import Fleet, WorkerSpec
from bench.ingest import sqlite_commit_rate
from bench.report import goal, make_row
from bench.scale_office import ScaleOffice, roster_residents
from edge_controller.ingest.db import connect
from edge_controller.roster.secret import office_roster_secret

TIME_SCALE = 4.0
WORKERS = 4
BACKLOG = 50
ENROLLMENT_EVERY_S = 120.0
HEALTH_EVERY_S = 30.0
PACKET_BYTES = 63 * 1024
P99_GOAL_S = 1.0
GUNUNG_TABUR_RESIDENTS = 14_784


def _sqlite_rate(directory: Path, name: str, rows: int = 400) -> float:
    """Rows/s of raw SQLite, WAL, FULL, one ~63 KB row per transaction."""
    return sqlite_commit_rate([os.urandom(PACKET_BYTES) for _ in range(rows)], directory, name)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def measure(root: Path, booths: int, steady_s: float, roster_size: int) -> dict[str, Any]:
    cycle = ENROLLMENT_EVERY_S / TIME_SCALE
    steady_each = math.ceil(steady_s / cycle) + 1
    roster_size = max(roster_size, booths * steady_each)
    people = roster_residents(roster_size + booths * BACKLOG)
    everyone = [(r.nik, r.kk, r.kelurahan) for r in people]
    roster = everyone[:roster_size]  # the steady phase records residents on the roster
    backlog = everyone[roster_size:]  # the storm's, anyone (walk-ins: no digest entry)
    before = _sqlite_rate(root, "before")
    office = ScaleOffice(root)
    specs = office.booth_specs(
        [
            roster[i * steady_each : (i + 1) * steady_each]
            + backlog[i * BACKLOG : (i + 1) * BACKLOG]
            for i in range(booths)
        ],
        on_roster=steady_each,
    )
    groups = [specs[i::WORKERS] for i in range(WORKERS)]
    workers = [
        WorkerSpec(office.broker.port, office.ca.cert_path, tuple(g), office_topics=True)
        for g in groups
        if g
    ]
    try:
        with Fleet(workers) as fleet:
            packets = booths * (steady_each + BACKLOG)
            _log(f"sealing {packets} packets in {len(workers)} booth processes")
            keys = fleet.public_keys()
            office.prepare_database(people[:roster_size], keys, TIME_SCALE)
            conn = connect(office.database)
            secret = office_roster_secret(conn).key
            conn.close()
            office.start()
            fleet.connect()
            waited = office.wait_until_edge_idle()
            _log(f"{booths} booths connected; edge idle after {waited:.0f} s")
            cpu, io = office.edge_cpu_seconds(), office.broker_bytes()
            steady = fleet.steady(steady_s, cycle, HEALTH_EVERY_S / TIME_SCALE, secret)
            cpu, io = office.edge_cpu_seconds() - cpu, office.broker_bytes() - io
            _log(f"steady: {len(steady.latencies)} packets, {steady.unacked} unacked")
            fleet.drop()
            time.sleep(2.0)
            start_at = time.monotonic() + 1.0
            storm_cpu = office.edge_cpu_seconds()
            last_ack, storm_unacked = fleet.reconnect_with_backlog(BACKLOG, start_at)
            storm_cpu = office.edge_cpu_seconds() - storm_cpu
    finally:
        office.close()
    after = _sqlite_rate(root, "after")  # the disk is shared: its pace drifts, so average
    rate = (before + after) / 2
    packets = len(steady.latencies)
    return {
        "steady": steady,
        "p99": _percentile(steady.latencies, 0.99),
        "p50": _percentile(steady.latencies, 0.50),
        "cpu_per_packet": cpu / packets,
        "bytes_per_recording": io / packets,
        "drain": last_ack - start_at,
        "storm_packets": booths * BACKLOG,
        "storm_unacked": storm_unacked,
        "storm_cpu_per_packet": storm_cpu / (booths * BACKLOG),
        "sqlite_rate": rate,
    }


def _log(text: str) -> None:
    print(f"bench.scale: {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def _row(
    name: str, value: float, unit: str, baseline: str, base: float, **goal: Any
) -> dict[str, Any]:
    return make_row(name, value, unit, baseline, base, places=4, ratio_places=3, **goal)


def run(quick: bool, booths: int = 200) -> list[dict[str, Any]]:
    steady_s = 60.0 if quick else 300.0
    roster_size = 2_000 if quick else GUNUNG_TABUR_RESIDENTS
    with tempfile.TemporaryDirectory(prefix="rekam-bench-scale-") as directory:
        root = Path(directory)
        os.chmod(root, 0o755)  # mosquitto, dropped to its own user, reads its runtime dir
        m = measure(root, booths, steady_s, roster_size)
    steady = m["steady"]
    n = len(steady.latencies)
    mix = f"{booths} booths, {TIME_SCALE:g}x an office's rates, {steady_s:g} s, {n} packets"
    storm_base = m["storm_packets"] / m["sqlite_rate"]
    return [
        _row(
            f"edge_p99_ack_{booths}_booths",
            m["p99"],
            "s",
            f"goal (issue 20); {mix}, {steady.unacked} unacked, p50 {m['p50']:.3f} s",
            P99_GOAL_S,
            goal=goal("value", "<=", P99_GOAL_S),
        ),
        _row(
            f"edge_reconnect_storm_{booths}_booths",
            m["drain"],
            "s",
            f"raw SQLite insert of the {m['storm_packets']} rows, WAL FULL, one per transaction"
            f" ({m['storm_unacked']} unacked)",
            storm_base,
        ),
        _row(
            f"edge_cpu_per_packet_{booths}_booths",
            m["cpu_per_packet"],
            "CPU s/packet",
            f"the edge's CPU per packet in the storm (ingest alone); steady mix: {mix}",
            m["storm_cpu_per_packet"],
        ),
        _row(
            f"broker_bytes_per_recording_{booths}_booths",
            m["bytes_per_recording"],
            "bytes",
            "the packet's bytes twice (booth → broker → edge); steady mix, TLS included",
            2.0 * PACKET_BYTES,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A shorter steady phase.")
    parser.add_argument("--booths", type=int, default=200, help="Simulated booths.")
    args = parser.parse_args()
    for row in run(args.quick, args.booths):
        print(
            f"{row['name']}: {row['value']} {row['unit']}  |  baseline {row['baseline_value']}"
            f" ({row['baseline']})  |  ratio {row['ratio']}"
        )


if __name__ == "__main__":
    main()
