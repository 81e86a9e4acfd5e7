"""Simulated booths for the benchmarks: real MQTT v5 TLS clients sending real sealed packets.

A :class:`Fleet` runs its booths in worker processes (``multiprocessing``, spawn), so
they never share a GIL with the edge under test; in each worker every booth is an
:class:`~ektp.mqtt.client.MqttClient` with its own certificate (paho's network thread
per booth: mostly asleep in ``select``). The parent drives the workers by command and
gets back timings taken with ``time.monotonic()`` (one clock for all processes).

A booth's packets are sealed in its worker with its own Ed25519 key (the public key goes
back to the parent, which registers it at the edge), or loaded pre-sealed from a file.
The steady office load mix and its timings live in :mod:`bench.fleet_worker`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
from collections.abc import Sequence
from typing import Any

from bench.fleet_specs import BoothSpec, Resident, Steady, WorkerSpec, write_packets
from bench.fleet_worker import worker_main

__all__ = ["BoothSpec", "Fleet", "Resident", "Steady", "WorkerSpec", "write_packets"]


class Fleet:
    """Booth worker processes; call :meth:`close` (or use ``with``)."""

    def __init__(self, specs: Sequence[WorkerSpec]) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[multiprocessing.connection.Connection] = []
        self._processes: list[multiprocessing.process.BaseProcess] = []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker_main, args=(spec, child), daemon=True)
            process.start()
            child.close()
            self._pipes.append(parent)
            self._processes.append(process)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _all(self, command: str, *args: Any, timeout: float = 900.0) -> list[Any]:
        for pipe in self._pipes:
            pipe.send((command, args))
        replies = []
        for pipe in self._pipes:
            if not pipe.poll(timeout):
                raise RuntimeError(f"a booth worker did not answer {command!r}")
            status, value = pipe.recv()
            if status != "ok":
                raise RuntimeError(f"booth worker failed on {command!r}: {value}")
            replies.append(value)
        return replies

    def public_keys(self) -> dict[str, bytes]:
        """Each booth's packet-signing public key (PEM); seals its packets first."""
        keys: dict[str, bytes] = {}
        for reply in self._all("prepare"):
            keys.update(reply)
        return keys

    def connect(self) -> float:
        """Connect every booth (status online, subscriptions); returns when all are."""
        return max(self._all("connect"))

    def burst(self, count: int) -> tuple[float, float]:
        """Each booth publishes its next ``count`` packets at once; (first publish, last ack)."""
        replies = self._all("burst", count)
        return min(r[0] for r in replies), max(r[1] for r in replies)

    def steady(
        self, seconds: float, cycle_seconds: float, health_seconds: float, roster_secret: bytes
    ) -> Steady:
        """The office mix for ``seconds``: per booth one enrollment, one check-in and one
        call of the next ticket per ``cycle_seconds``, a health report per ``health_seconds``.
        Check-ins are sealed with the office ``roster_secret``, as a kiosk seals them."""
        total = Steady()
        replies = self._all("steady", seconds, cycle_seconds, health_seconds, roster_secret)
        for reply in replies:
            total.latencies += reply.latencies
            total.unacked += reply.unacked
            total.events_sent += reply.events_sent
            for topic, size in reply.bytes_received.items():
                total.bytes_received[topic] = total.bytes_received.get(topic, 0) + size
        return total

    def use_office_secret(self, roster_secret: bytes) -> None:
        """The office roster secret each booth seals its packets for the edge with."""
        self._all("office_secret", roster_secret)

    def drop(self) -> None:
        """Every booth loses its connection (no clean offline; the broker sees it go)."""
        self._all("drop")

    def reconnect_with_backlog(self, count: int, start_at: float) -> tuple[float, int]:
        """At ``start_at`` (monotonic) every booth reconnects and sends ``count`` packets
        it kept while away; returns (last ack, packets not acked)."""
        replies = self._all("storm", count, start_at)
        return max(r[0] for r in replies), sum(r[1] for r in replies)

    def close(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop", ()))
        for process in self._processes:
            process.join(30)
            if process.is_alive():
                process.terminate()
                process.join(10)
        for pipe in self._pipes:
            pipe.close()
        self._pipes, self._processes = [], []
