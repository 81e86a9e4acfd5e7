"""Issue 21's acceptance: residents driven through a real booth, against a real edge, with
set delays between their stages; the office's "Waktu layanan" (``/api/v1/service-times``
and the page) shows the counts and medians those delays make, and a fingerprint sensor
whose glass the emulator wears raises the edge's sensor alert against its own past days.

The booth's stage clock is the test's: each delay is set, never slept. Residents take
their tickets from the edge's queue; the stages travel through the booth's outbox and
uplink to the real edge like every other event.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from booth_fixtures import BoothSetup, resident_kk, resident_nik
from fastapi.testclient import TestClient

from edge_controller.booths.monitor import open_alerts
from edge_controller.ingest.db import connect
from edge_controller.web.app import create_app
from edge_controller.web.auth import add_user
from edge_controller.web.deps import WebDeps
from ektp.i18n_build import compile_catalogs
from hardware.errors import DeviceError
from kiosk.booth import Booth
from kiosk.flow.capture import CaptureStep
from kiosk.headless import HeadlessRunner, signature_png
from kiosk.script import EnrollmentScript, ScriptResident
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config, running_edge
from tests.kiosk.edge_office_fixtures import (
    booth_setup,
    office,
    register_booth_setup,
    rows_at_edge,
    running_booth,
)

REPO = Path(__file__).resolve().parents[2]
MORNING = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)  # 09:00 WITA
SUPERVISOR = ("camat", "rahasia-camat-1")


class StageClock:
    """The booth's stage clock: it moves only when the test says how long a step took."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def setup(office: Office, tmp_path: Path) -> BoothSetup:
    return booth_setup(office, tmp_path, ack_timeout_seconds=5.0)


@pytest.fixture
def edge(office: Office, tmp_path: Path, setup: BoothSetup) -> Iterator[RunningEdge]:
    config = edge_config(office, tmp_path)
    register_booth_setup(config, setup)
    conn = connect(config.database.path)
    try:
        add_user(conn, *SUPERVISOR, "supervisor")
    finally:
        conn.close()
    yield from running_edge(config)


@pytest.fixture
def clock() -> StageClock:
    return StageClock(MORNING)


@pytest.fixture
def booth(
    setup: BoothSetup, edge: RunningEdge, clock: StageClock, smartcard_pcscd: object
) -> Iterator[Booth]:
    with running_booth(setup, stage_clock=clock) as built:
        assert wait_for(lambda: built.uplink is not None and built.uplink.connected, timeout=30)
        yield built


def dashboard(edge: RunningEdge) -> TestClient:
    compile_catalogs(REPO)
    deps = WebDeps(
        database_path=edge.config.database.path,
        office_name="Kecamatan Gunung Tabur",
        session_secret="test-secret-" + "x" * 40,
        clock=lambda: MORNING,
    )
    client = TestClient(create_app(deps))
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/login",
        data={"username": SUPERVISOR[0], "password": SUPERVISOR[1], "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def logged_in_runner(booth: Booth) -> HeadlessRunner:
    """The booth's headless runner, its operator logged in with the card."""
    runner = HeadlessRunner(
        booth,
        EnrollmentScript.model_validate(
            {"residents": [{"nik": resident_nik(1), "kk": resident_kk(1), "name": "-"}]}
        ),
    )
    runner.booth.follow_card_events(booth.run_locked)
    runner.log_in()
    return runner


def resident(serial: int) -> ScriptResident:
    return ScriptResident(nik=resident_nik(serial), kk=resident_kk(serial), name=f"Warga {serial}")


def capture_fingers(runner: HeadlessRunner, who: ScriptResident) -> None:
    """Each finger until it is done; a try the sensor spoils is placed again."""
    flow, emulator = runner.flow, runner.sensor.emulator
    while flow.step is CaptureStep.FINGERPRINTS:
        assert flow.enrollment is not None
        finger = flow.enrollment.fingers.current
        on_step = emulator.resident_following_prompts(f"{who.nik}/{finger}", who.finger_quality)
        try:
            flow.capture_finger(on_step)
        except DeviceError:
            pass  # "image too messy": the operator asks for the finger again
        finally:
            emulator.lift_finger()


def record(
    runner: HeadlessRunner, clock: StageClock, who: ScriptResident, delays: dict[str, int]
) -> None:
    """Check in, wait, get called, capture and seal one resident with these delays."""
    flow = runner.flow
    runner.check_in(who)
    clock.advance(delays["waiting"])
    ticket = flow.call_next()
    assert ticket is not None
    clock.advance(delays["call_to_capture"])
    flow.confirm_documents(set(ticket.checkin.documents))
    runner.show_resident(who)
    photo = flow.take_photo()
    if not photo.ok:
        flow.accept_photo_anyway("test")
    capture_fingers(runner, who)
    flow.submit_signature(signature_png(who.nik))
    clock.advance(delays["capture_to_sealed"])
    flow.seal()


def stage_rows_at_edge(edge: RunningEdge) -> int:
    return rows_at_edge(edge, "stage_events")


def drained(booth: Booth, edge: RunningEdge) -> bool:
    return booth.outbox.sendables.sendables_waiting() == 0 and stage_rows_at_edge(edge) > 0


DELAYS = (
    {"waiting": 120, "call_to_capture": 30, "capture_to_sealed": 240},
    {"waiting": 300, "call_to_capture": 60, "capture_to_sealed": 300},
    {"waiting": 600, "call_to_capture": 90, "capture_to_sealed": 360},
)


def test_set_delays_give_the_office_its_medians_and_counts(
    booth: Booth, edge: RunningEdge, clock: StageClock
) -> None:
    runner = logged_in_runner(booth)
    first_call = clock.now + dt.timedelta(seconds=DELAYS[0]["waiting"])
    for serial, delays in enumerate(DELAYS, start=1):
        record(runner, clock, resident(serial), delays)
    runner.check_in(resident(9))  # called, and nobody comes
    clock.advance(45)
    assert runner.flow.call_next() is not None
    runner.flow.mark_absent()
    last_call = clock.now
    assert wait_for(lambda: drained(booth, edge), timeout=60)
    conn = edge.db()
    try:
        stored = " ".join(str(v) for row in conn.execute("SELECT * FROM stage_events") for v in row)
    finally:
        conn.close()
    assert not any(resident_nik(serial) in stored for serial in (1, 2, 3, 9))  # no NIK

    with dashboard(edge) as client:
        answer = client.get("/api/v1/service-times", params={"date": "2026-03-10"})
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        stages = {stage["name"]: stage for stage in body["stages"]}
        waits = [d["waiting"] for d in DELAYS] + [45]
        assert stages["waiting"]["count"] == 4
        assert stages["waiting"]["median_s"] == statistics.median(waits)
        assert stages["waiting"]["p90_s"] == 600
        assert stages["call_to_capture"]["count"] == 3
        assert stages["call_to_capture"]["median_s"] == 60
        assert stages["capture_to_sealed"]["median_s"] == 300
        visits = [sum(d.values()) for d in DELAYS]
        assert stages["visit"]["count"] == 3
        assert stages["visit"]["median_s"] == statistics.median(visits)
        assert (body["called"], body["abandoned"]) == (4, 1)
        (operator,) = body["operators"]
        assert operator["operator_id"] == "OP-0001"
        assert operator["recorded"] == 3
        assert operator["median_capture_s"] == 300
        hours = (last_call - first_call).total_seconds() / 3600
        assert operator["per_hour"] == pytest.approx(3 / hours)
        (sensor,) = body["sensors"]
        assert (sensor["fingers"], sensor["alert"]) == (30, False)

        page = client.get("/service-times", params={"date": "2026-03-10"})
        assert page.status_code == 200
        assert 'data-operator="OP-0001"' in page.text
        assert resident_nik(1) not in page.text  # no NIK on the page
        printed = client.get("/service-times/print", params={"date": "2026-03-10"})
        assert 'id="stages-office"' in printed.text
        assert "<nav>" not in printed.text  # the report alone, for paper
        csv = client.get("/service-times.csv", params={"date": "2026-03-10"}).text
        assert csv.splitlines()[1].startswith("2026-03-10,office,,waiting,4,")


def test_a_sensor_worn_in_the_emulator_raises_the_alert(
    booth: Booth, edge: RunningEdge, clock: StageClock
) -> None:
    runner = logged_in_runner(booth)
    delays = DELAYS[0]
    clock.now = MORNING - dt.timedelta(days=1)  # yesterday: a healthy sensor
    for serial in (1, 2, 3):
        record(runner, clock, resident(serial), delays)
    runner.sensor.emulator.set_messy_image_rate(0.3)  # today: the glass is worn
    clock.now = MORNING
    for serial in (4, 5, 6):
        record(runner, clock, resident(serial), delays)
    assert wait_for(lambda: drained(booth, edge), timeout=60)

    def alerts() -> list[str]:
        conn = edge.db()
        try:
            return [a.subject for a in open_alerts(conn, "booth-01") if a.kind == "sensor_retries"]
        finally:
            conn.close()

    assert wait_for(lambda: alerts() == ["booth-01/fingerprint"], timeout=30)
    with dashboard(edge) as client:
        body = client.get("/api/v1/service-times", params={"date": "2026-03-10"}).json()
        (sensor,) = body["sensors"]
        assert sensor["alert"] is True
        assert sensor["baseline_retry_rate"] == 0
        assert sensor["retry_rate"] > 0.1
        per_finger = {f["finger"]: f["count"] for f in sensor["per_finger"]}
        assert len(per_finger) == 10
        assert set(per_finger.values()) == {3}  # each finger of three residents
        page = client.get("/service-times", params={"date": "2026-03-10"}).text
        assert 'class="error sensor-alert" data-sensor="booth-01/fingerprint"' in page
