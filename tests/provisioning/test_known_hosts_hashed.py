"""``--known-hosts FILE`` accepts the hashed entries OpenSSH writes by default on Debian
and Raspberry Pi OS (``HashKnownHosts yes``): a technician can pass their own file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from provisioning.hostkeys import HostKeyError, keys_from_known_hosts


def _public_key(directory: Path, name: str) -> str:
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    kind, blob, *_ = Path(f"{key}.pub").read_text().split()
    return f"{kind} {blob}"


def _hashed_known_hosts(tmp_path: Path, lines: list[str]) -> Path:
    """A known_hosts file hashed by OpenSSH itself (``ssh-keygen -H``)."""
    path = tmp_path / "known_hosts"
    path.write_text("".join(f"{line}\n" for line in lines))
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], check=True, capture_output=True)
    assert "127.0.0.1" not in path.read_text()  # really hashed
    return path


def test_hashed_entries_give_the_units_key_and_only_its_key(tmp_path: Path) -> None:
    unit = _public_key(tmp_path, "unit")
    other = _public_key(tmp_path, "other")
    known_hosts = _hashed_known_hosts(
        tmp_path,
        [f"[127.0.0.1]:2222 {unit}", f"127.0.0.1 {other}", f"booth-07.lan {other}"],
    )
    assert keys_from_known_hosts(known_hosts, "127.0.0.1", 2222) == [unit]
    assert keys_from_known_hosts(known_hosts, "127.0.0.1", 22) == [other]
    with pytest.raises(HostKeyError, match=r"no key for \[10\.0\.0\.9\]:2222"):
        keys_from_known_hosts(known_hosts, "10.0.0.9", 2222)


def test_plain_and_hashed_entries_mix_and_revoked_markers_are_not_keys(tmp_path: Path) -> None:
    unit = _public_key(tmp_path, "unit")
    revoked = _public_key(tmp_path, "revoked")
    known_hosts = _hashed_known_hosts(tmp_path, [f"[10.0.0.21]:2200 {unit}"])
    with known_hosts.open("a") as handle:
        handle.write(f"booth-21.lan,10.0.0.21 {unit}\n")
        handle.write(f"@revoked 10.0.0.21 {revoked}\n")
    assert keys_from_known_hosts(known_hosts, "10.0.0.21", 2200) == [unit]
    assert keys_from_known_hosts(known_hosts, "10.0.0.21", 22) == [unit]
