"""Issue 3's acceptance: a scripted enrollment through the real drivers and the emulated
devices seals a packet that verifies and whose content central can open."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
from booth_fixtures import (
    BoothSetup,
    booth_setup,
    resident_kk,
    resident_nik,
    write_booth_config,
)

from ektp.packet import open_sealed, verify
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import FINGER_ORDER, Finger
from kiosk.audit import AuditLog
from kiosk.keys import load_or_create_signing_key
from kiosk.outbox.store import Outbox
from tests.cli_run import run_module

PIN = "135790"


def write_script(path: Path) -> tuple[str, str]:
    in_roster, walk_in = resident_nik(1), resident_nik(2, female=False)
    path.write_text(
        "[operator]\n"
        'operator_id = "OP-0007"\n'
        'name = "Siti Rahma"\n'
        f'pin = "{PIN}"\n'
        "[[residents]]\n"
        f'nik = "{in_roster}"\n'
        f'kk = "{resident_kk(3)}"\n'
        'name = "Ani Lestari"\n'
        "[[residents]]\n"
        f'nik = "{walk_in}"\n'
        f'kk = "{resident_kk(4)}"\n'
        'name = "Budi Santoso"\n'
        "in_roster = false\n"
        'finger_exceptions = { left_little = "bandaged" }\n'
    )
    return in_roster, walk_in


def run_kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("kiosk.cli", *args, timeout=600)


def test_scripted_enrollment_seals_packets_central_can_open(
    booth_setup: BoothSetup, tmp_path: Path
) -> None:
    script = tmp_path / "session.toml"
    first_nik, second_nik = write_script(script)

    done = run_kiosk(
        "--config", str(booth_setup.config_path), "--headless", "--script", str(script)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["outbox_depth"] == 2
    first, second = report["residents"]
    assert "not_in_roster" not in first["flags"]
    assert {"not_in_roster", "finger_exception"} <= set(second["flags"])
    assert PIN not in done.stdout + done.stderr

    booth_key = load_or_create_signing_key(booth_setup.data_dir / "keys" / "booth-signing.pem")
    with Outbox(booth_setup.data_dir / "outbox.sqlite") as outbox:
        records = {r.packet_id: r for r in outbox.unacked()}
    assert set(records) == {first["packet_id"], second["packet_id"]}

    for outcome, nik, fingers in (
        (first, first_nik, FINGER_ORDER),
        (second, second_nik, tuple(f for f in FINGER_ORDER if f is not Finger.LEFT_LITTLE)),
    ):
        sealed = records[outcome["packet_id"]].sealed
        assert sealed is not None
        manifest = verify(sealed, booth_public_key=booth_key.public_key())
        assert manifest.record.nik == nik
        assert manifest.record.operator_id == "OP-0007"
        assert nik.encode() not in sealed.split(b'"blobs"')[1]  # biometrics are ciphertext
        content = open_sealed(sealed, booth_setup.central_private_key)
        photo = cv2.imdecode(np.frombuffer(content[PHOTO_PART], np.uint8), cv2.IMREAD_COLOR)
        assert photo.shape[:2] == (640, 480)  # a 3:4 portrait
        assert cv2.imdecode(np.frombuffer(content[SIGNATURE_PART], np.uint8), 0) is not None
        assert {template_part(f) for f in fingers} <= set(content)
        assert template_part(Finger.LEFT_LITTLE) in content or nik == second_nik
        captured = [c for c in manifest.record.quality.fingers if c.exception is None]
        assert len(captured) == len(fingers)

    audit = AuditLog(booth_setup.data_dir / "audit.sqlite")
    try:
        assert audit.verify_chain() is None
        events = [e.event for e in audit.entries()]
        assert events.count("session.saved") == 2
        assert "operator.login" in events
        assert all(PIN not in json.dumps(e.fields) for e in audit.entries())
    finally:
        audit.close()


def test_headless_refuses_a_booth_without_emulated_devices(tmp_path: Path) -> None:
    setup = write_booth_config(tmp_path)
    config = setup.config_path.read_text().replace(
        '[hardware.camera]\nbackend = "emulated"\nfps = 30\n',
        '[hardware.camera]\nbackend = "opencv"\nsource = "/nonexistent.mp4"\n',
    )
    setup.config_path.write_text(config)
    script = tmp_path / "session.toml"
    write_script(script)
    done = run_kiosk("--config", str(setup.config_path), "--headless", "--script", str(script))
    assert done.returncode == 1
    assert "camera" in done.stderr.lower()
