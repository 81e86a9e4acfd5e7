"""Issue 22: the booth installed and recording on arm64, as on a Raspberry Pi.

``rekam-provision lab arm64-check`` runs once for the module: an arm64 Debian root under
qemu-user, ``./setup.sh --role booth --emulated`` inside it (nothing else installed after
it), a scripted resident recorded on emulated devices and ``rekam-hw selftest --emulated``.
Both roots (debootstrapped, and after setup.sh) are cached in ``$REKAM_LAB_CACHE`` or
``~/.cache/rekam-lab``: the first run builds them (about half an hour on two cores),
later runs reuse them while ``setup.sh`` and ``pyproject.toml`` are unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ektp.packet import open_sealed, verify
from ektp.packet_models import PHOTO_PART
from kiosk.keys import load_or_create_signing_key
from kiosk.outbox.store import Outbox
from provisioning.lab.rootfs import default_cache_dir

REPO = Path(__file__).resolve().parents[2]
CHECK_TIMEOUT = 3 * 3600  # a cold run builds both roots under emulation

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux")
        or os.geteuid() != 0
        or not shutil.which("debootstrap")
        or not Path("/usr/bin/qemu-aarch64-static").exists(),
        reason="needs Linux, root, debootstrap and qemu-user-static (./setup.sh installs them)",
    ),
    pytest.mark.slow,
    pytest.mark.lab,
    pytest.mark.timeout(CHECK_TIMEOUT + 300),
]


def cache_dir() -> Path:
    """The lab's own cache (``$REKAM_LAB_CACHE``, else ``~/.cache/rekam-lab``): shared by every
    checkout on this machine, so a second run (CI's clean clone too) starts warm."""
    return default_cache_dir()


@pytest.fixture(scope="module")
def check() -> Iterator[dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "provisioning.cli",
            "lab",
            "arm64-check",
            "--json",
            "--keep",
            "--cache",
            str(cache_dir()),
        ],
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        cwd=REPO,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    try:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        report["stdout"] = done.stdout
        yield report
    finally:
        if report.get("root"):
            shutil.rmtree(Path(report["root"]).parent, ignore_errors=True)


def test_the_booth_records_a_resident_on_aarch64(check: dict[str, Any]) -> None:
    assert check["machine"] == "aarch64"
    lines = check["stdout"].splitlines()
    assert "aarch64" in lines  # uname -m inside the root, on a line of its own
    (packet_id,) = check["packet_ids"]
    assert f"sealed packet: {packet_id}" in lines
    under_systemd = check["systemd"]["packet_id"]

    data = Path(check["root"]) / "root" / "rekam-check" / "data"
    with Outbox(data / "outbox.sqlite") as outbox:
        records = {r.packet_id: r for r in outbox.unacked()}
    assert set(records) == {packet_id, under_systemd}
    booth_key = load_or_create_signing_key(data / "keys" / "booth-signing.pem")
    central = serialization.load_pem_private_key(Path(check["central_key"]).read_bytes(), None)
    assert isinstance(central, X25519PrivateKey)
    for record in records.values():
        assert record.sealed is not None
        manifest = verify(record.sealed, booth_public_key=booth_key.public_key())
        assert manifest.record.operator_id == "OP-0007"
        assert open_sealed(record.sealed, central)[PHOTO_PART].startswith(b"\xff\xd8")  # JPEG


def test_systemd_boots_as_pid1_under_qemu_and_runs_the_booth(check: dict[str, Any]) -> None:
    boot = check["systemd"]
    assert boot["state"] in ("running", "degraded")
    assert boot["packet_id"]
    # the touchscreen unit wants /dev/tty1, which no lab machine has: systemd says so
    assert boot["kiosk_unit"].startswith("failed"), boot["kiosk_unit"]


def test_the_smart_card_went_through_an_aarch64_pcscd(check: dict[str, Any]) -> None:
    assert check["pcscd"].startswith("an aarch64 pcscd")


def test_every_emulated_device_passes_its_selftest_on_aarch64(check: dict[str, Any]) -> None:
    devices = check["selftest"]
    assert {d["device"] for d in devices} >= {"fingerprint", "smartcard", "camera"}
    assert all(d["ok"] for d in devices), devices


def test_pyscard_is_named_as_built_from_source(check: dict[str, Any]) -> None:
    built = {b["name"].lower(): b for b in check["built_from_source"]}
    assert "pyscard" in built
    assert built["pyscard"]["how"].startswith("compiled")
