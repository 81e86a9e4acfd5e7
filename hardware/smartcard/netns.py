"""Open a TCP connection inside another process's network namespace (Linux only).

The emulated smart card runs pcscd in a private network namespace, because the
vpcd driver in Debian 12 listens on *all* interfaces and cannot be told to bind
to loopback (see ``hardware.smartcard.pcscd``). The card program reaches it
through this helper: a short-lived thread enters pcscd's namespace with
``setns(2)``, connects to 127.0.0.1 there, and returns to its own namespace.
A socket keeps the namespace it was made in, so it then works from any thread.
Entering a namespace needs CAP_SYS_ADMIN (root), like starting pcscd does.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading

CLONE_NEWNET = 0x40000000


def network_namespace_id(pid: int | None) -> str | None:
    """An id of the namespace of ``pid`` (None: this thread's), or None if unreadable."""
    path = "/proc/thread-self/ns/net" if pid is None else f"/proc/{pid}/ns/net"
    try:
        return os.readlink(path)
    except OSError:
        return None


def connect_tcp(
    host: str, port: int, timeout: float, netns_pid: int | None = None
) -> socket.socket:
    """Connect to ``host:port``, inside the network namespace of ``netns_pid`` if given.

    Raises OSError when the connection is refused or the namespace can't be entered.
    """
    own = network_namespace_id(None)
    if netns_pid is None or network_namespace_id(netns_pid) in (None, own):
        return socket.create_connection((host, port), timeout=timeout)
    result: dict[str, object] = {}

    def connect_from_inside() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        own_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target_fd = os.open(f"/proc/{netns_pid}/ns/net", os.O_RDONLY)
            try:
                if libc.setns(target_fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"cannot enter the network namespace: {os.strerror(err)}")
                try:
                    result["socket"] = socket.create_connection((host, port), timeout=timeout)
                finally:
                    if libc.setns(own_fd, CLONE_NEWNET) != 0:
                        result["stuck"] = True
            finally:
                os.close(target_fd)
        except OSError as err:
            result["error"] = err
        finally:
            os.close(own_fd)

    thread = threading.Thread(target=connect_from_inside, name="vpcd-netns-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    error = result.get("error")
    if isinstance(error, OSError):
        raise error
    sock = result.get("socket")
    if not isinstance(sock, socket.socket):
        raise TimeoutError("connecting inside the network namespace did not finish")
    return sock
