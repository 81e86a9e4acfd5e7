"""Replace a small file's whole content so that a crash or power cut leaves the old
content or the new, never half of either (temporary file, fsync, rename, fsync of the
directory)."""

from __future__ import annotations

import os
from pathlib import Path

from ektp.sqlite_store import fsync_directory


def write_atomically(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """``data`` as ``path``'s whole content, or the old content after a crash.

    With ``mode`` the file is created with it (so a secret is never readable by others,
    not even briefly) and ends with exactly that mode; without it, the umask decides.
    """
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if mode is not None:
        os.chmod(temporary, mode)
    os.replace(temporary, path)
    fsync_directory(path.parent)
