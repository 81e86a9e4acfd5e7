"""The booths' packet-signing PUBLIC keys kept in the office directory (``booth-keys/``).

The edge and central verify each booth's packets with these. A replaced unit's key is
not thrown away: the records recovered from its outbox are signed with it.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ektp.key_ids import raw_key_id


def signing_key_id(public_key_pem: str) -> str:
    """The booth signing key's id (the one ``rekam-edge`` shows: :mod:`ektp.key_ids`)."""
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a booth signing key is an Ed25519 key")
    return raw_key_id(key)


def keep_signing_key(directory: Path, booth_id: str, public_key_pem: str) -> None:
    """``<id>.pem`` is the booth's current signing key; a replaced key moves to
    ``retired/<id>-<key id>.pem`` (central needs it for the recovered records)."""
    path = directory / f"{booth_id}.pem"
    directory.mkdir(exist_ok=True)
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if old == public_key_pem:
            return
        retired = directory / "retired" / f"{booth_id}-{signing_key_id(old)}.pem"
        retired.parent.mkdir(exist_ok=True)
        retired.write_text(old, encoding="utf-8")
    path.write_text(public_key_pem, encoding="utf-8")
