"""The real booth on emulated devices, driven by touch: a resident checks in, an operator
logs in with a card through pcscd and records them, then hands a printed e-KTP over.

The people act through the emulators' test controls while the UI waits: the operator
card goes into the emulated reader, the resident's fingers go on the emulated sensor
when the screen prompts for them, the resident sits in front of the emulated camera.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from booth_ui_fixtures import (
    OPERATOR_ID,
    OPERATOR_NAME,
    OPERATOR_PIN,
    RESIDENT_KELURAHAN,
    RESIDENT_NAME,
    card_template,
    resident,
)

from ektp.messages import encode_message
from ektp.nik import parse_nik
from ektp.photo_rule import required_background
from hardware.camera.scenes import portrait_frame
from hardware.smartcard import OperatorCard, ResidentEktpCard
from kiosk.config.booth import load_booth_config
from kiosk.flow.ports import InMemoryRoster, RosterEntry
from kiosk.ui.booth_app import BoothUi, build_booth_ui

STRANGER = "stranger/right_index"


CARD_EVENTS: list[str] = []


def build(config_path: Path) -> BoothUi:
    nik, kk = resident()
    roster = InMemoryRoster([RosterEntry(nik, kk, RESIDENT_NAME, RESIDENT_KELURAHAN)])
    ui = build_booth_ui(load_booth_config(config_path), roster=roster)
    # For a failure's report: the reader's card events as the app received them.
    ui.booth.reader.add_card_observer(CARD_EVENTS.append)
    return ui


def sit_in_front_of_camera(ui: BoothUi, nik: str) -> None:
    rule = ui.booth.config.office.photo.rule
    background = required_background(rule, parse_nik(nik).birth_date)
    ui.booth.camera.show([portrait_frame(background, seed=seed) for seed in range(3)])  # type: ignore[attr-defined]


async def follow_finger_prompts(d: Any, screen: Any, identity: str) -> list[str]:
    """Act like a resident at the sensor until the capture ends: place, lift, place again."""
    emulator = d.parts.booth.sensor.emulator
    seen: list[str] = []
    await d.until(lambda: d.app.busy, "the capture to start", 10)
    while d.app.busy:
        code = screen._prompt_code
        if code and (not seen or seen[-1] != code):
            seen.append(code)
            if code in ("place", "place_again"):
                emulator.present_finger(identity, 90)
            elif code == "lift":
                emulator.lift_finger()
        await asyncio.sleep(0.01)
    emulator.lift_finger()
    await d.frames(2)
    return seen


def check_in_through_the_flow(ui: BoothUi, nik: str, kk: str) -> str:
    """The resident checked in through the kiosk's flow, no screen touched: the ticket."""
    flow = ui.booth.checkin
    flow.start("id")
    flow.choose_service(flow.services[0])
    flow.enter_nik(nik)
    flow.enter_kk(kk)
    flow.confirm_name(True)
    ticket = flow.accept_documents()
    flow.finish()
    return ticket.number


async def tick_every_document(d: Any, checklist: Any) -> None:
    """The operator ticks every document on the checklist screen and confirms."""
    for toggle in list(checklist.ids.checklist.children):
        await d.tap(toggle)
    await d.tap(checklist.ids.confirm_button)


async def log_in(d: Any) -> None:
    card = OperatorCard(OPERATOR_ID, OPERATOR_NAME, OPERATOR_PIN)
    await asyncio.to_thread(d.parts.booth.reader.insert_card, card)
    pin = await d.at("pin")
    await d.type_digits(pin, OPERATOR_PIN)
    await d.tap(pin.ids.ok_button)
    await d.idle()
    if d.app.screens.current == "pin":
        raise AssertionError(f"login refused: {pin.ids.error.text!r} ({pin.dots!r} typed)")


async def check_in(d: Any, report: dict[str, Any], nik: str, kk: str) -> None:
    welcome = await d.at("welcome")
    await d.tap(welcome.ids.start_id)
    service = await d.at("service")
    await d.tap(service.ids.choices.children[-1])  # new recording
    number = await d.at("nik")
    await d.type_digits(number, nik)
    await d.tap(number.ids.next_button)
    family = await d.at("kk")
    await d.type_digits(family, kk)
    await d.tap(family.ids.next_button)
    confirm = await d.at("confirm")
    report["masked_name"] = confirm.ids.masked_name.text
    await d.tap(confirm.ids.yes_button)
    documents = await d.at("documents")
    await d.tap(documents.ids.accept_button)
    ticket = await d.at("ticket")
    report["ticket"] = ticket.ids.number.text
    await d.tap(ticket.ids.done_button)
    await d.at("welcome")


async def enroll(d: Any, report: dict[str, Any], nik: str) -> None:
    app, ui = d.app, d.parts
    sit_in_front_of_camera(ui, nik)
    await log_in(d)
    ready = await d.at("ready")
    report["operator_shown"] = ready.operator_name
    await d.tap(ready.ids.call_button)
    checklist = await d.at("checklist")
    report["checklist_resident"] = checklist.ids.resident.text
    await tick_every_document(d, checklist)
    photo = await d.at("photo")
    await d.until(lambda: photo.preview_texture is not None, "a live camera frame")
    await d.tap(photo.ids.take_button)
    await d.idle()
    report["photo_passed"] = app.screens.current != "photo"
    if not report["photo_passed"]:
        report["photo_failing"] = photo.ids.failing.text
        await d.tap(photo.ids.reasons.children[-1])
        await d.tap(photo.ids.accept_button)
    fingers = await d.at("fingers")
    prompts: list[list[str]] = []
    while app.screens.current == "fingers":
        finger = fingers.current
        await d.tap(fingers.ids.capture_button)
        prompts.append(await follow_finger_prompts(d, fingers, f"{nik}/{finger}"))
        if len(prompts) > 14:
            raise AssertionError(f"fingers do not finish: {fingers.ids.error.text!r}")
    report["finger_prompts"] = prompts
    signature = await d.at("signature")
    results = app.capture.enrollment.fingers.results
    report["finger_states"] = {name: str(r.state) for name, r in results.items()}
    await d.drag(signature.ids.pad, [(0.1 + 0.04 * i, 0.3 + 0.4 * (i % 2)) for i in range(18)])
    await d.tap(signature.ids.accept_button)
    review = await d.at("review")
    report["review_summary"] = review.ids.summary.text
    await d.tap(review.ids.seal_button)
    saved = await d.at("saved")
    report["saved_packet"] = saved.ids.packet.text
    report["outbox_ids"] = [r.packet_id for r in ui.booth.outbox.unacked()]
    d.screenshot("booth/saved.png")
    await d.tap(saved.ids.call_button)  # nobody else waits: back to the ready screen
    await d.at("ready")


async def hand_over(d: Any, report: dict[str, Any], nik: str) -> None:
    app, ui = d.app, d.parts
    reader, emulator = ui.booth.reader, ui.booth.sensor.emulator
    ready = await d.at("ready")
    await d.tap(ready.ids.handover_button)
    screen = await d.at("handover")
    report["handover_insert_text"] = screen.ids.instruction.text
    await asyncio.to_thread(reader.remove_card)  # the operator's card comes out
    await d.until(lambda: str(app.capture.step) == "locked", "the session to lock")
    report["screen_after_operator_card_out"] = app.screens.current
    card = ResidentEktpCard(
        nik,
        RESIDENT_NAME,
        (card_template(f"{nik}/right_index"), card_template(f"{nik}/left_index")),
    )
    await asyncio.to_thread(reader.insert_card, card)
    await d.until(lambda: str(ui.handover.step) == "verify" and not app.busy, "the card read")
    await d.frames(2)
    report["handover_resident"] = screen.ids.resident.text
    report["handover_tries_before"] = screen.ids.tries.text

    await d.tap(screen.ids.verify_button)
    emulator.present_finger(STRANGER, 90)  # somebody else's finger first
    await d.idle()
    emulator.lift_finger()
    report["handover_miss_error"] = screen.ids.error.text
    report["handover_tries_after_miss"] = screen.ids.tries.text
    d.screenshot("booth/handover_miss.png")

    await d.tap(screen.ids.verify_button)
    emulator.present_finger(f"{nik}/right_index", 90)
    await d.idle()
    emulator.lift_finger()
    report["handover_step"] = str(ui.handover.step)
    report["handover_title"] = screen.ids.title.text
    report["handover_outcome"] = screen.ids.instruction.text
    event = ui.handover.delivered_event
    report["delivered_event"] = encode_message(event).decode() if event else None
    d.screenshot("booth/handover_delivered.png")
    await d.tap(screen.ids.close_button)
    await d.at("lock")
    report["screen_after_handover"] = app.screens.current


async def run(d: Any, report: dict[str, Any]) -> None:
    report["card_events"] = CARD_EVENTS
    nik, kk = resident()
    await check_in(d, report, nik, kk)
    await enroll(d, report, nik)
    await hand_over(d, report, nik)
    report["audit_events"] = [entry.event for entry in d.parts.booth.audit.entries()]
    report["audit_chain_broken_at"] = d.parts.booth.audit.verify_chain()
