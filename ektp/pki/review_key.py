"""The edge's X25519 review key: booths seal the photo thumbnail for it.

Made on the edge on first start (private key PKCS#8 PEM, mode 0600, in a 0700
directory); the public key is written beside it (``<name>.pub.pem``) for provisioning
to put in each booth's configuration (``[edge] review_public_key_path``). Only the
thumbnail is sealed for this key; the biometrics stay sealed for central.

``python -m ektp.pki.review_key PATH`` creates the key if needed and prints the
public key PEM.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ektp.pki.files import pem_private_key, pem_public_key


def public_key_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.stem + ".pub.pem")


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def load_or_create_review_key(key_path: Path) -> X25519PrivateKey:
    """The review key in ``key_path``, created (with its public key file) if missing."""
    key_path = Path(key_path)
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, X25519PrivateKey):
            raise ValueError(f"{key_path} is not an X25519 private key")
    else:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(key_path.parent, 0o700)
        key = X25519PrivateKey.generate()
        _write_atomically(key_path, pem_private_key(key), 0o600)
    public = public_key_path(key_path)
    public_pem = pem_public_key(key.public_key())
    if not public.exists() or public.read_bytes() != public_pem:
        _write_atomically(public, public_pem, 0o644)
    return key


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ektp.pki.review_key PATH", file=sys.stderr)
        return 2
    key_path = Path(args[0])
    load_or_create_review_key(key_path)
    sys.stdout.write(public_key_path(key_path).read_text(encoding="ascii"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
