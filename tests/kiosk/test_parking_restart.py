"""Issue 6 acceptance, booth side: LOW_BATTERY in the middle of an enrollment loses no
committed record, and the partial session is resumed after a real process restart."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from booth_fixtures import resident_kk, resident_nik, write_booth_config

from ektp.messages import PowerMessage, encode_message
from ektp.packet import open_sealed, verify
from ektp.packet_models import template_part
from ektp.record import Finger
from ektp.topics import OFFICE_POWER
from kiosk.keys import load_or_create_signing_key
from kiosk.outbox.store import Outbox
from kiosk.power.parking import ParkedSessionStore
from tests.edge_controller.broker_fixtures import Office, running_office
from tests.edge_controller.power_fixtures import recorded

DRIVER = Path(__file__).with_name("power_booth_process.py")
PIN = "246810"


@pytest.fixture(name="office")
def office_fixture(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


def write_script(path: Path) -> tuple[str, str]:
    first, second = resident_nik(11), resident_nik(12, female=False)
    path.write_text(
        "[operator]\n"
        'operator_id = "OP-0003"\n'
        'name = "Rahmat Hidayat"\n'
        f'pin = "{PIN}"\n'
        "[[residents]]\n"
        f'nik = "{first}"\n'
        f'kk = "{resident_kk(21)}"\n'
        'name = "Sri Wahyuni"\n'
        "[[residents]]\n"
        f'nik = "{second}"\n'
        f'kk = "{resident_kk(22)}"\n'
        'name = "Andi Saputra"\n'
    )
    return first, second


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def next_event(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(30)
        assert process.stderr is not None
        pytest.fail(f"the booth process ended early:\n{process.stderr.read()[-3000:]}")
    event: dict[str, Any] = json.loads(line)
    return event


def test_low_battery_mid_enrollment_parks_and_resumes_after_restart(
    office: Office, tmp_path: Path
) -> None:
    setup = write_booth_config(
        tmp_path,
        extra=(office.booth_toml("booth-01")),
    )
    script = tmp_path / "session.toml"
    first_nik, second_nik = write_script(script)
    record = tmp_path / "shutdowns.txt"
    edge = office.client("edge")
    common = ["--config", str(setup.config_path), "--script", str(script)]

    booth = start(*common, "--phase", "first", "--record", str(record), "--fingers", "3")
    try:
        committed = next_event(booth)
        at_fingers = next_event(booth)
        assert at_fingers["event"] == "at_fingerprints"
        assert len(at_fingers["fingers"]) == 3
        edge.publish_and_wait(
            OFFICE_POWER,
            encode_message(
                PowerMessage(
                    state="LOW_BATTERY",
                    at="2024-03-12T15:50:00+08:00",  # type: ignore[arg-type]
                    runtime_left_s=90,
                    new_captures_allowed=False,
                )
            ),
            retain=True,
        )
        shut_down = next_event(booth)
        assert booth.wait(60) == 0
    finally:
        if booth.poll() is None:
            booth.kill()
            booth.wait(10)
    assert shut_down == {
        "event": "shut_down",
        "parked": True,
        "outbox_closed": True,
        "command_returncode": 0,
    }
    assert recorded(record) == ["booth poweroff"]

    # on the SD card: the committed packet, and the parked session only as ciphertext
    data_dir = setup.data_dir
    with Outbox(data_dir / "outbox.sqlite") as outbox:
        assert [r.packet_id for r in outbox.unacked()] == [committed["packet_id"]]
    signing_key = load_or_create_signing_key(data_dir / "keys" / "booth-signing.pem")
    store = ParkedSessionStore.in_data_dir(data_dir, signing_key=signing_key, booth_id="booth-01")
    assert store.exists
    raw = store.path.read_bytes()
    assert second_nik.encode() not in raw
    assert b"template" not in raw
    parked = store.load(sensor=None)  # type: ignore[arg-type]  # no capture on this copy
    assert parked is not None
    parked_templates = parked.enrollment.fingers.templates()
    assert sorted(parked_templates) == at_fingers["fingers"]
    for template in parked_templates.values():
        assert template not in raw

    # power is back: the booth starts again (systemd) and the operator resumes
    resumed = start(*common, "--phase", "resume")
    try:
        events = [next_event(resumed) for _ in range(3)]
        assert resumed.wait(120) == 0
    finally:
        if resumed.poll() is None:
            resumed.kill()
            resumed.wait(10)
    assert events[0] == {"event": "resumed", "resumed": True, "step": "fingerprints"}
    assert events[1] == {"event": "logged_in", "step": "fingerprints"}
    sealed_event = events[2]
    assert sealed_event["outbox_depth"] == 2
    assert not store.exists  # nothing parked any more

    with Outbox(data_dir / "outbox.sqlite") as outbox:
        records = {r.packet_id: r.sealed for r in outbox.unacked()}
    assert set(records) == {committed["packet_id"], sealed_event["packet_id"]}
    niks = set()
    for packet_id, sealed in records.items():
        assert sealed is not None
        manifest = verify(sealed, booth_public_key=signing_key.public_key())
        niks.add(manifest.record.nik)
        if packet_id == sealed_event["packet_id"]:
            content = open_sealed(sealed, setup.central_private_key)
            for finger, template in parked_templates.items():
                assert content[template_part(Finger(finger))] == template
            assert len(manifest.record.quality.fingers) == 10
    assert niks == {first_nik, second_nik}
