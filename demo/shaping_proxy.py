"""A TCP proxy that behaves like a weak office uplink (tests, benchmark, demo).

Each direction of each connection goes through a :class:`_Pipe` modelling one
bottleneck link shared by all connections in that direction:

* **rate**: a segment of ``n`` bytes occupies the link for ``n * 8 / rate`` seconds;
  segments queue behind each other (the reader stops reading while more than
  ``queue_seconds`` of data waits, so the sender's TCP feels the back-pressure);
* **delay**: each segment arrives ``rtt / 2`` after it left the link;
* **loss**: each ``mss``-byte segment is lost with probability ``loss``. A loss is
  what a modern TCP (SACK, fast retransmit) does with it: the segment is sent again —
  it occupies the link a second time — and arrives one round trip late; the bytes
  behind it wait for it (in-order delivery), so the receiver sees a stall. Bytes are
  never dropped for good (TCP would not either); what "2% loss" costs here is 2%
  more link time and a one-RTT stall per lost segment. It does not model a TCP
  sender halving its window (real TCP over 2% loss and 300 ms rarely fills 1 Mbit/s).

:meth:`ShapingProxy.cut` drops every connection (both sides closed at once) and
refuses new ones until :meth:`ShapingProxy.restore`, like a link that went down.
``bytes_to_server`` counts what was delivered towards the server.

``netem`` would be the kernel alternative, but needs ``sch_netem`` (absent in this
sandbox's kernel), root and network namespaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

MSS = 1448


@dataclass
class LinkShape:
    """The link: ``rate_bps`` bits per second each way (None: unlimited)."""

    rate_bps: float | None = None
    rtt_seconds: float = 0.0
    loss: float = 0.0
    queue_seconds: float = 0.05
    seed: int = 1


@dataclass
class _Pipe:
    shape: LinkShape
    rng: random.Random
    link_free_at: float = 0.0
    delivered: int = 0
    lost_segments: int = 0

    def schedule(self, now: float, size: int, last_delivery: float) -> float:
        """Put a segment on the link; returns when it reaches the other end."""
        serialize = size * 8 / self.shape.rate_bps if self.shape.rate_bps else 0.0
        start = max(now, self.link_free_at)
        one_way = self.shape.rtt_seconds / 2
        arrive = start + serialize + one_way
        if self.shape.loss and self.rng.random() < self.shape.loss:
            self.lost_segments += 1
            arrive += self.shape.rtt_seconds + serialize
            serialize *= 2
        self.link_free_at = start + serialize
        return max(arrive, last_delivery)


@dataclass(eq=False)
class _Connection:
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class ShapingProxy:
    """``await start()`` → listening port; forwards to ``target_host:target_port``."""

    def __init__(self, target_host: str, target_port: int, shape: LinkShape) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.shape = shape
        rng = random.Random(shape.seed)
        self._up = _Pipe(shape, rng)
        self._down = _Pipe(shape, rng)
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._cut = False
        self.connections_total = 0
        self.port = 0

    @property
    def bytes_to_server(self) -> int:
        return self._up.delivered

    @property
    def bytes_to_client(self) -> int:
        return self._down.delivered

    @property
    def lost_segments(self) -> int:
        return self._up.lost_segments + self._down.lost_segments

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._accept, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        """The link goes down: every connection is dropped, new ones are refused."""
        self._cut = True
        for connection in list(self._connections):
            self._drop(connection)

    def restore(self) -> None:
        self._cut = False

    def _drop(self, connection: _Connection) -> None:
        for writer in connection.writers:
            with contextlib.suppress(Exception):
                writer.transport.abort()
        for task in connection.tasks:
            task.cancel()
        self._connections.discard(connection)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self.connections_total += 1
        connection = _Connection(writers=[writer, server_writer])
        self._connections.add(connection)
        connection.tasks = [
            asyncio.create_task(self._pump(reader, server_writer, self._up, connection)),
            asyncio.create_task(self._pump(server_reader, writer, self._down, connection)),
        ]
        await asyncio.gather(*connection.tasks, return_exceptions=True)
        self._drop(connection)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pipe: _Pipe,
        connection: _Connection,
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        deliverer = asyncio.create_task(self._deliver(queue, writer, pipe))
        connection.tasks.append(deliverer)
        last = 0.0
        try:
            while True:
                data = await reader.read(16 * 1024)
                if not data:
                    break
                for start in range(0, len(data), MSS):
                    segment = data[start : start + MSS]
                    last = pipe.schedule(loop.time(), len(segment), last)
                    queue.put_nowait((last, segment))
                backlog = pipe.link_free_at - loop.time() - self.shape.queue_seconds
                if backlog > 0:
                    await asyncio.sleep(backlog)
        finally:
            queue.put_nowait(None)
        await deliverer

    async def _deliver(
        self,
        queue: asyncio.Queue[tuple[float, bytes] | None],
        writer: asyncio.StreamWriter,
        pipe: _Pipe,
    ) -> None:
        loop = asyncio.get_running_loop()
        while (entry := await queue.get()) is not None:
            arrive, segment = entry
            wait = arrive - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(segment)
            pipe.delivered += len(segment)
            await writer.drain()
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()


class ProxyThread:
    """A :class:`ShapingProxy` on its own event loop in a daemon thread (for sync code)."""

    def __init__(self, target_host: str, target_port: int, shape: LinkShape) -> None:
        self.proxy = ShapingProxy(target_host, target_port, shape)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> int:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)

    def cut(self) -> None:
        self._loop.call_soon_threadsafe(self.proxy.cut)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(self.proxy.restore)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextlib.contextmanager
def shaped_link(target_host: str, target_port: int, shape: LinkShape) -> Iterator[ProxyThread]:
    """``with shaped_link(host, port, LinkShape(...)) as link: link.proxy.port``."""
    link = ProxyThread(target_host, target_port, shape)
    link.start()
    try:
        yield link
    finally:
        link.close()
