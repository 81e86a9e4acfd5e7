"""A burst's payloads handed to a check process through shared memory, not a socket.

Sent through the socket pair, each ~60 KB packet cost a system call and a kernel copy
on each side, and the child's reading (``multiprocessing``'s ``recv_bytes``) two more
copies: ~105 µs of CPU per packet over both processes, a third of the check itself
(issue 20, measured with a helper on 256-packet batches). :class:`PayloadRegion` is a
``memfd`` the edge and its check process both map: the edge copies a batch's payloads
in one after the other and sends only where each lies; the child takes each out with
one copy. Each check process has its own region, and the edge writes it only while
no check of that process is under way (:meth:`CheckProcess.check` is one call at a
time), so nothing is read while it is written.

The region grows with the batches, up to :data:`MAX_REGION_BYTES`; payloads that do not
fit (a batch of packets near the 4 MB limit) still go through the socket. Where
``memfd_create`` is missing, every payload does.
"""

from __future__ import annotations

import logging
import mmap
import os
from collections.abc import Sequence

START_BYTES = 8 * 1024 * 1024
"""A region's first size: a share of a burst's batch (64 packets of ~60 KB), with room."""
MAX_REGION_BYTES = 64 * 1024 * 1024
"""The most one region grows to (shared memory the edge keeps per check process)."""

log = logging.getLogger(__name__)

Place = tuple[int, int] | None
"""Where a payload lies in the region (offset, length); None: it follows on the socket."""


class PayloadRegion:
    """The edge's side: the memfd (its descriptor goes to the child) and its mapping."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = 0
        self._map: mmap.mmap | None = None

    @classmethod
    def create(cls) -> PayloadRegion | None:
        """A new empty region, or None where shared memory files are not available."""
        try:
            fd = os.memfd_create("rekam-check-payloads", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            return None
        return cls(fd)

    def place(self, payloads: Sequence[bytes]) -> list[Place]:
        """Copy in what fits, in order, and say where each lies (None: not placed)."""
        needed = sum(len(p) for p in payloads)
        if needed > self.size and self.size < MAX_REGION_BYTES:
            try:
                self._grow(min(MAX_REGION_BYTES, max(START_BYTES, _power_of_two(needed))))
            except OSError as err:  # no memory for it now: what does not fit takes the socket
                log.warning("the check payload region stays at %d bytes: %s", self.size, err)
        places: list[Place] = []
        offset = 0
        for payload in payloads:
            end = offset + len(payload)
            if self._map is None or end > self.size:
                places.append(None)
                continue
            self._map[offset:end] = payload
            places.append((offset, len(payload)))
            offset = end
        return places

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        os.close(self.fd)

    def _grow(self, size: int) -> None:
        os.ftruncate(self.fd, size)  # first: if it fails, the current mapping still serves
        grown = mmap.mmap(self.fd, size)
        if self._map is not None:
            self._map.close()
        self._map, self.size = grown, size


class PayloadReader:
    """The check process's side: maps the same memfd, as large as the edge says it is."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._map: mmap.mmap | None = None
        self._size = 0

    def read(self, place: tuple[int, int], region_size: int) -> bytes:
        if region_size != self._size:
            if self._map is not None:
                self._map.close()
            self._map = mmap.mmap(self._fd, region_size, access=mmap.ACCESS_READ)
            self._size = region_size
        assert self._map is not None
        offset, length = place
        return self._map[offset : offset + length]


def _power_of_two(n: int) -> int:
    return 1 << (n - 1).bit_length()
