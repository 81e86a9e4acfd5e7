"""A scripted full enrollment on the emulated devices at real-time speed: how long a
session takes, and how much of it is Rekam's own work.

``python -m bench.enrollment [--quick]`` prints a table; ``run(quick)`` returns rows.
The booth is the real one (``kiosk.booth.build_booth``): the fingerprint emulator on a
pty under adafruit_fingerprint at speed 1.0 (0.5 s per image, 0.3 s per template,
57600 baud on the wire), the card through pcscd and vpcd, the emulated camera at
30 fps. ``kiosk.headless.HeadlessRunner`` plays the people; it has no scripted
pauses, so a human's time is only the card going in (counted with the device waits).

Device time is measured by timing every call the booth makes into the sensor, the
camera and the card reader (outermost call only, so nested calls count once), plus the
operator's login (card insertion until pcscd reports it). Everything else — flow
logic, photo quality checks, duplicate-finger bookkeeping, sealing (AES-GCM, X25519,
Ed25519), the outbox commit with fsync, the audit chain — is Rekam's own time.
``quick``: one resident, index fingers only; otherwise one resident, ten fingers.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bench.report import make_row, print_table_main
from ektp.kk import build_kk
from ektp.nik import Sex, build_nik
from ektp.pki import OfficeCA
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import load_booth_config
from kiosk.headless import HeadlessRunner
from kiosk.script import EnrollmentScript, ScriptResident

DISTRICT = "640306"
SENSOR_CALLS = ("enroll_finger", "capture_template", "compare", "wait_for_finger",
                "wait_for_lift", "search_library")  # fmt: skip
CAMERA_CALLS = ("start", "read_frame")
READER_CALLS = ("read_operator_certificate", "verify_pin", "sign_challenge", "logout",
                "wait_for_card", "card_present", "insert_card")  # fmt: skip


class DeviceClock:
    """Adds up the time spent inside wrapped device calls (outermost call per thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls: dict[str, int] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, owner: object, names: tuple[str, ...], label: str) -> None:
        for name in names:
            original = getattr(owner, name, None)
            if original is not None:
                setattr(owner, name, self._timed(original, f"{label}.{name}"))

    def _timed(self, call: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(call)
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._local, "depth", 0)
            self._local.depth = depth + 1
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self._local.depth = depth
                if depth == 0:
                    with self._lock:
                        self.seconds += time.perf_counter() - started
                        self.calls[label] = self.calls.get(label, 0) + 1

        return timed


def write_config(directory: Path, *, quick: bool) -> Path:
    central = directory / "central.pem"
    central.write_bytes(
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    office_ca = OfficeCA.create(directory / "office-ca", "Bench office")  # issues the card
    config = directory / "booth.toml"
    config.write_text(
        'booth_id = "booth-bench"\n'
        f'data_dir = "{directory / "data"}"\n'
        f'central_public_key_path = "{central}"\n'
        "[office]\n"
        f'district_code = "{DISTRICT}"\n'
        f'fingers = "{"index_only" if quick else "ten"}"\n'
        "[operator_cards]\n"
        f'issuer_cert_path = "{office_ca.cert_path}"\n'
        "[hardware.fingerprint]\n"
        'backend = "emulated"\n'
        "speed = 1.0\n"
        "[hardware.smartcard]\n"
        'backend = "emulated"\n'
        f'operator_card_issuer_dir = "{office_ca.directory}"\n'
        "[hardware.camera]\n"
        'backend = "emulated"\n'
        "fps = 30\n"
    )
    return config


def script() -> EnrollmentScript:
    nik = build_nik(DISTRICT, dt.date(1991, 5, 9), Sex.FEMALE, 41)
    kk = build_kk(DISTRICT, dt.date(2015, 3, 12), 42)
    return EnrollmentScript(residents=[ScriptResident(nik=nik, kk=kk, name="Ani Lestari")])


def timed_session(booth: Booth) -> tuple[float, float, dict[str, int], int]:
    clock = DeviceClock()
    clock.wrap(booth.sensor, SENSOR_CALLS, "sensor")
    clock.wrap(booth.camera, CAMERA_CALLS, "camera")
    clock.wrap(booth.reader, READER_CALLS, "card")
    runner = HeadlessRunner(booth, script())
    clock.wrap(runner, ("_login",), "card")  # card in, until pcscd reports it, then PIN
    outcome = runner.run()
    fingers = sum(r.fingers_captured for r in outcome.residents)
    return outcome.seconds, clock.seconds, clock.calls, fingers


def _row(name: str, value: float, unit: str, baseline: str, baseline_value: float) -> dict:
    return make_row(name, value, unit, baseline, baseline_value, ratio_places=3)


def run(quick: bool) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="rekam-bench-enroll-") as tmp:
        booth = build_booth(load_booth_config(write_config(Path(tmp), quick=quick)))
        try:
            total, device, _calls, fingers = timed_session(booth)
        finally:
            booth.close()
    own = max(0.0, total - device)
    label = f"device time: sensor, camera, card ({fingers} fingers, speed 1.0)"
    return [
        _row("enrollment_session_total", total, "s", label, device),
        _row("enrollment_rekam_own_time", own, "s", label, device),
        _row(
            "enrollment_rekam_own_share",
            100 * own / total,
            "%",
            "device share %",
            100 * device / total,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    description = __doc__.splitlines()[0]
    print_table_main(run, argv, description=description, quick_help="index fingers only")


if __name__ == "__main__":
    main()
