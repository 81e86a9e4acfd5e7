"""SSH host keys: every booth connection is pinned to keys the office recorded.

A new booth is pinned by the fingerprint the technician reads on the booth itself
(``ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`` on its console) or by a
known_hosts file; afterwards the inventory holds its keys and every ansible run uses a
``known_hosts`` made from them with ``StrictHostKeyChecking=yes``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import subprocess
from pathlib import Path

from provisioning.errors import HostKeyError

KEYSCAN_TIMEOUT_SECONDS = 10


def fingerprint(key: str) -> str:
    """OpenSSH's SHA256 fingerprint of ``"type base64"`` (as ``ssh-keygen -l`` prints it)."""
    parts = key.split()
    if len(parts) < 2:
        raise HostKeyError(f"not an SSH public key: {key[:40]!r}")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error as err:
        raise HostKeyError(f"not an SSH public key: {key[:40]!r}") from err
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def scan_host_keys(host: str, port: int) -> list[str]:
    """The host keys ``host`` offers right now, as ``"type base64"``."""
    completed = subprocess.run(
        ["ssh-keyscan", "-p", str(port), "-T", str(KEYSCAN_TIMEOUT_SECONDS), host],
        capture_output=True,
        text=True,
        timeout=KEYSCAN_TIMEOUT_SECONDS * 4,
        check=False,
    )
    keys = []
    for line in completed.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            keys.append(f"{parts[1]} {parts[2]}")
    if not keys:
        raise HostKeyError(
            f"No SSH server answered on {host} port {port}: is the booth on and on the LAN?"
        )
    return keys


def pin_by_fingerprint(host: str, port: int, expected: str) -> list[str]:
    """The host's key(s) matching fingerprint ``expected``; refuse when none matches."""
    expected = expected.strip()
    if not expected.startswith("SHA256:"):
        expected = f"SHA256:{expected}"
    offered = scan_host_keys(host, port)
    matching = [key for key in offered if fingerprint(key) == expected]
    if not matching:
        seen = ", ".join(f"{key.split()[0]} {fingerprint(key)}" for key in offered)
        raise HostKeyError(
            f"Refusing {host} port {port}: its SSH host key does not match the pinned "
            f"fingerprint {expected} (it offered {seen}). Check the fingerprint on the "
            "booth's own console; a different key may mean another machine answers at "
            "this address."
        )
    return matching


def host_field_matches(host_field: str, name: str) -> bool:
    """Whether a known_hosts host field names ``name`` (as :func:`known_hosts_name` spells it).

    Plain fields are comma-separated names. Hashed fields (``HashKnownHosts yes``, the
    default on Debian and Raspberry Pi OS) are ``|1|<base64 salt>|<base64 HMAC-SHA1 of the
    name keyed with the salt>``, as OpenSSH writes them.
    """
    if host_field.startswith("|1|"):
        parts = host_field.split("|")
        if len(parts) != 4:
            return False
        try:
            salt = base64.b64decode(parts[2], validate=True)
            expected = base64.b64decode(parts[3], validate=True)
        except binascii.Error:
            return False
        digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(digest, expected)
    return name in host_field.split(",")


def keys_from_known_hosts(path: Path, host: str, port: int) -> list[str]:
    """The keys a known_hosts file records for ``host`` (plain or hashed entries).

    Marker lines (``@cert-authority``, ``@revoked``) are not host keys and are skipped.
    """
    name = known_hosts_name(host, port)
    keys = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 3 or line.lstrip().startswith(("#", "@")):
            continue
        if host_field_matches(parts[0], name):
            keys.append(f"{parts[1]} {parts[2]}")
    if not keys:
        raise HostKeyError(f"{path} has no key for {name}")
    return keys


def known_hosts_text(entries: list[tuple[str, int, list[str]]]) -> str:
    """known_hosts lines for (host, port, keys) entries."""
    lines = [
        f"{known_hosts_name(host, port)} {key}" for host, port, keys in entries for key in keys
    ]
    return "".join(f"{line}\n" for line in lines)


def explain_connection_failure(message: str, host: str, port: int) -> str | None:
    """A plain sentence for an SSH failure caused by the host key, else None."""
    lowered = message.lower()
    if "host key verification failed" in lowered or "identification has changed" in lowered:
        return (
            f"Refusing {host} port {port}: its SSH host key is not the one pinned in the "
            "inventory. If this unit was really reinstalled or swapped, run `rekam-provision "
            "booth replace` with --host-key from its console; otherwise someone else may be "
            "answering at this address."
        )
    return None
