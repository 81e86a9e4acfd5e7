"""The directory a demo office lives in (``python -m demo``, ``--keep DIR``).

A re-run on the same directory replaces the previous demo office with a fresh one; see
:func:`prepare_office_directory`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
from pathlib import Path

from cryptography import x509

OFFICE_MARKER = ".rekam-demo-office"
"""Written in the directory of every demo office: a re-run may replace what it finds there."""
KEPT_ENTRIES = frozenset({"kivy", "mesa-shader-cache"})
"""Kivy's settings and shader cache (``demo.kiosk_window.prepare_kivy``, made before the
office starts): kept across runs, they hold nothing of the office."""
CONTROL_SOCKET = "control.sock"


class DemoDirectoryError(RuntimeError):
    """The directory given for the office cannot hold a new one (message for the visitor)."""


def _demo_running(root: Path) -> bool:
    """Whether a demo still answers on its control socket in ``root``."""
    path = root / CONTROL_SOCKET
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False  # left behind by a demo that was killed
    return True


def _holds_demo_office(root: Path, office_name: str) -> bool:
    """Marked by a demo, or (made before the marker existed) its CA is the demo's."""
    if (root / OFFICE_MARKER).exists():
        return True
    with contextlib.suppress(OSError, ValueError):
        certificate = x509.load_pem_x509_certificate((root / "ca" / "ca.crt").read_bytes())
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
        return [name.value for name in names] == [office_name]
    return False


def prepare_office_directory(root: Path, office_name: str) -> bool:
    """Make ``root`` ready for a new office; True when a previous demo office was replaced.

    ``python -m demo --keep DIR`` run again on the same DIR starts a FRESH office there:
    the previous run's files (CA, broker and booth certificates, edge database, roster,
    central's store, booth outboxes) are removed first. Reusing them is not offered: the
    demo makes central's key pair, the roster and the login anew on every start, so old
    outboxes and databases would not match them. Refused: a directory where a demo still
    runs, and a non-empty directory that holds no demo office (nothing of the visitor's
    is ever deleted).
    """
    root.mkdir(parents=True, exist_ok=True)
    entries = [path for path in root.iterdir() if path.name not in KEPT_ENTRIES]
    replaced = False
    if entries:
        if _demo_running(root):
            raise DemoDirectoryError(
                f"A demo is still running in {root}: stop it (Ctrl-C) or choose another "
                "directory for --keep."
            )
        if not _holds_demo_office(root, office_name):
            raise DemoDirectoryError(
                f"{root} is not empty and holds no demo office: give --keep an empty or new "
                "directory (the demo replaces what it finds in its own directory)."
            )
        for path in entries:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        replaced = True
    (root / OFFICE_MARKER).write_text(
        "A Rekam demo office (python -m demo): a new demo run in this directory replaces it.\n",
        encoding="utf-8",
    )
    return replaced
