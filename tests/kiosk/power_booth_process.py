"""A booth process for the power-cut restart test (run as a script, not collected).

``--phase first``: enrol resident 1 completely (committed to the outbox), then enrol
resident 2 up to ``--fingers`` fingers and wait, idle at the fingerprint step, until
``office/power`` (through the booth's real MQTT uplink) says LOW_BATTERY: the kiosk's
guard parks the session, closes the outbox and runs the recorder shutdown command;
then the process exits, as a booth whose power is cut.

``--phase resume``: a fresh process puts the parked session back into the flow, the
same operator logs in with card and PIN, the remaining fingers and the signature are
captured and the packet is sealed.

Each phase prints one JSON line per milestone on stdout (never a biometric byte).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ektp.nik import parse_nik
from ektp.photo_rule import required_background
from hardware.camera.scenes import portrait_frame
from hardware.smartcard import OperatorCard
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import BoothPowerSettings, load_booth_config
from kiosk.flow.capture import CaptureStep
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import InMemoryTicketDesk
from kiosk.headless import HeadlessRunner, signature_png
from kiosk.keys import load_or_create_signing_key
from kiosk.power.guard import guard_booth
from kiosk.power.parking import ParkedSessionStore, resume_parked
from kiosk.power.policy import PowerPolicy
from kiosk.script import ScriptResident, load_script


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.02)
    raise TimeoutError("waited too long")


def log_in(runner: HeadlessRunner) -> None:
    operator = runner.script.operator
    pin = operator.pin.get_secret_value()
    runner.reader.insert_card(OperatorCard(operator.operator_id, operator.name, pin))
    flow = runner.booth.capture
    wait_for(lambda: flow.step is CaptureStep.PIN, 30)
    flow.enter_pin(pin)


def capture_fingers(runner: HeadlessRunner, resident: ScriptResident, limit: int) -> None:
    flow = runner.booth.capture
    emulator = runner.sensor.emulator
    done = 0
    while flow.step is CaptureStep.FINGERPRINTS and done < limit:
        assert flow.enrollment is not None
        finger = flow.enrollment.fingers.current
        on_step = emulator.resident_following_prompts(f"{resident.nik}/{finger}", 90)
        try:
            flow.capture_finger(on_step)
            done += 1
        except FlowError:
            continue
        finally:
            emulator.lift_finger()


def store_for(booth: Booth) -> ParkedSessionStore:
    config = booth.config
    return ParkedSessionStore.in_data_dir(
        config.data_dir,
        signing_key=load_or_create_signing_key(config.signing_key_path),
        booth_id=config.booth_id,
    )


def first_phase(booth: Booth, runner: HeadlessRunner, args: argparse.Namespace) -> int:
    config = booth.config
    assert config.edge is not None
    policy = PowerPolicy(booth_id=config.booth_id)
    # the flow asks the policy before each new capture
    booth.capture.new_capture_allowed = policy.new_capture_allowed
    uplink = booth.uplink  # started by build_booth: status online, outbox draining
    assert uplink is not None
    settings = BoothPowerSettings(
        shutdown_command=["sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "rec", args.label, args.record]
    )
    guard = guard_booth(booth, policy, settings, store=store_for(booth), after_command=uplink.stop)
    guard.attach(uplink.client)

    first, second = runner.script.residents[:2]
    booth.follow_card_events(booth.run_locked)
    log_in(runner)
    committed = runner.enroll(first)
    say(event="committed", packet_id=committed.packet_id)

    runner.check_in(second)
    flow = booth.capture
    ticket = flow.call_next()
    assert ticket is not None
    flow.confirm_documents(set(ticket.checkin.documents))
    rule = config.office.photo.rule
    background = required_background(rule, parse_nik(second.nik).birth_date)
    runner.camera.show([portrait_frame(background, seed=seed) for seed in range(3)])
    photo = flow.take_photo()
    if not photo.ok:
        flow.accept_photo_anyway("test: " + ", ".join(photo.failing))
    capture_fingers(runner, second, args.fingers)
    assert flow.enrollment is not None
    say(event="at_fingerprints", fingers=sorted(flow.enrollment.fingers.templates()))

    if not guard.wait(timeout=120):
        say(event="no_shutdown")
        return 3
    outcome = guard.outcome
    assert outcome is not None
    say(
        event="shut_down",
        parked=outcome.parked,
        outbox_closed=outcome.outbox_closed,
        command_returncode=outcome.command_returncode,
    )
    return 0


def resume_phase(booth: Booth, runner: HeadlessRunner) -> int:
    flow = booth.capture
    resumed = resume_parked(flow, store_for(booth), booth.sensor)
    say(event="resumed", resumed=resumed, step=str(flow.parked_step))
    booth.follow_card_events(booth.run_locked)
    log_in(runner)
    say(event="logged_in", step=str(flow.step))
    second = runner.script.residents[1]
    capture_fingers(runner, second, 99)
    flow.submit_signature(signature_png(second.nik))
    packet_id = flow.seal()
    say(event="sealed", packet_id=packet_id, outbox_depth=booth.outbox.depth())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--script", type=Path, required=True)
    parser.add_argument("--phase", choices=["first", "resume"], required=True)
    parser.add_argument("--record", default="")
    parser.add_argument("--label", default="booth poweroff")
    parser.add_argument("--fingers", type=int, default=3)
    args = parser.parse_args()
    # the office queue is not what this test is about: tickets come from a local desk
    # power is wired by hand below, to record the shutdown command instead of running it
    booth = build_booth(
        load_booth_config(args.config), tickets=InMemoryTicketDesk(), guard_power=False
    )
    try:
        runner = HeadlessRunner(booth, load_script(args.script))
        if args.phase == "first":
            return first_phase(booth, runner, args)
        return resume_phase(booth, runner)
    finally:
        booth.close()


if __name__ == "__main__":
    sys.exit(main())
