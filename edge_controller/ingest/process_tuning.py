"""Process-wide settings for bursts of ~60 KB packets, made once the edge has started.

Measured in the ingest bench (``python -m bench --only ingest``) with ``perf``,
``py-spy`` and ``/proc`` (issue 20); each is a documented knob of the runtime:

* :func:`gc.freeze` — what the edge built while starting (modules, schemas, config)
  lives as long as the process: set aside, the collector no longer walks its ~100,000
  objects in a full collection (one such walk held the GIL for ~0.1 s in a burst).
* the **heap pad** (glibc ``mallopt(M_TOP_PAD)``, see mallopt(3)) — each packet's
  buffers (TLS reads, the MQTT packet, the opened payload, the rows) are fresh ~60 KB
  allocations freed a moment later. By default glibc hands the top of a heap back to
  the kernel as soon as 128 KB lie free there, so the next packet faulted its pages in
  again and the kernel zeroed each one (~2 µs a page here): ~20 page faults per packet
  in the edge, and paho's copies of each PUBLISH, which write into such fresh pages,
  showed as its network thread's largest cost. With :data:`TOP_PAD_BYTES` kept, 10–14
  faults per packet, and those copies all but left the profile. It is memory a quiet
  edge holds in reserve: tens of MB against a Pi's GB. Other C libraries (musl) have
  no ``mallopt``: nothing changes there.

Tried and left out: a shorter switch interval of the GIL (``sys.setswitchinterval``,
1 ms instead of 5): fewer waits for the GIL after each cipher or hash call, but more
CPU per packet over repeated runs.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import platform

log = logging.getLogger(__name__)

M_TOP_PAD = -2
"""mallopt(3)'s parameter number for the top pad (glibc's ``malloc.h``)."""
TOP_PAD_BYTES = 16 * 1024 * 1024
"""Free bytes a heap keeps at its top: a batch of a burst's packets and their copies."""


def tune_for_bursts() -> None:
    """Apply the settings above to this process (call once, after start-up)."""
    gc.freeze()
    keep_heap_pad()


def keep_heap_pad(pad_bytes: int = TOP_PAD_BYTES) -> bool:
    """Have glibc keep ``pad_bytes`` of freed memory per heap; False where it cannot."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the C library this process already runs on
    done = bool(libc.mallopt(M_TOP_PAD, ctypes.c_int(pad_bytes)))
    if not done:
        log.warning("the C library refused a heap pad of %d bytes", pad_bytes)
    return done
