"""The called resident who never comes, and live guidance at the photo, on the real booth.

Two residents check in. The operator calls the first; nobody comes: "Tidak hadir" ends
the ticket (the stage "abandoned" waits in the outbox for the edge) and the ready screen
calls the next. At the photo the resident stands too far from the emulated camera, then
off to one side, then right: the line under the preview and the voice follow, and the
operator sees every failing check of the newest frame.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from booth_ui_fixtures import RESIDENT_KELURAHAN, RESIDENT_NAME, resident
from scenario_booth import CARD_EVENTS, check_in_through_the_flow, log_in, tick_every_document

from ektp.kk import build_kk
from ektp.nik import Sex, build_nik, parse_nik
from ektp.photo_rule import required_background
from ektp.service_stages import stage_of
from hardware.camera.scenes import scene
from kiosk.config.booth import load_booth_config
from kiosk.flow.ports import InMemoryRoster, RosterEntry
from kiosk.photo.guidance import in_languages
from kiosk.ui.booth_app import BoothUi, build_booth_ui
from kiosk.ui.screens.operator_photo import MSG_HOLD_STILL

SECOND_NAME = "Budi Santoso"


class SpeakerLog:
    """A speaker that keeps what it was asked to say (the booth's voice is off here)."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def say(self, text: str, lang: str) -> None:
        self.said.append((text, lang))

    def stop(self) -> None:
        pass


def second_resident(district: str) -> tuple[str, str]:
    nik = build_nik(district, dt.date(1988, 6, 2), Sex.MALE, 2)
    return nik, build_kk(district, dt.date(2012, 1, 9), 4)


def build(config_path: Path) -> BoothUi:
    config = load_booth_config(config_path)
    (nik, kk), (nik2, kk2) = resident(), second_resident(config.office.district_code)
    roster = InMemoryRoster(
        [
            RosterEntry(nik, kk, RESIDENT_NAME, RESIDENT_KELURAHAN),
            RosterEntry(nik2, kk2, SECOND_NAME, RESIDENT_KELURAHAN),
        ]
    )
    ui = build_booth_ui(config, roster=roster)
    ui.booth.reader.add_card_observer(CARD_EVENTS.append)
    return ui


def stages_waiting(ui: BoothUi) -> list[dict[str, Any]]:
    """The visit stages kept in the outbox for the edge, oldest first."""
    found = []
    for stored in ui.booth.outbox.sendables.pending_sendables(limit=500):
        message = json.loads(stored.sendable.payload)
        stage = stage_of(str(message.get("name", "")))
        if stage is not None:
            found.append({"stage": str(stage), **message.get("data", {})})
    return found


SETTLE_FRAMES = 6
"""Frames the guide judges after the resident moves before the line is read: the preview
and the face tracker (which re-detects every few frames) have caught up by then."""


async def guidance_for(d: Any, photo: Any, placement: str, background: str) -> dict[str, Any]:
    """Put the resident where ``placement`` says; read the line once it shows the move."""
    guide = d.app.photo_guide
    d.parts.booth.camera.show([scene(placement, background)])
    shown_at = guide.judged
    await d.until(lambda: guide.judged >= shown_at + SETTLE_FRAMES, f"{placement} judged")
    verdict = guide.latest()
    first = verdict.instructions[:1]
    line = "\n".join(in_languages(first[0] if first else MSG_HOLD_STILL))
    await d.until(lambda: photo.guide_text == line, f"the guide line for {placement}")
    return {
        "instructions": verdict.instructions,
        "failing": [c.name for c in verdict.failing],
        "failing_messages": [c.message_msgid for c in verdict.failing],
        "guide_label": photo.ids.guide.text,
        "operator_label": photo.ids.failing.text,
    }


async def run(d: Any, report: dict[str, Any]) -> None:
    app, ui = d.app, d.parts
    report["card_events"] = CARD_EVENTS
    nik, kk = resident()
    nik2, kk2 = second_resident(ui.booth.config.office.district_code)
    report["tickets"] = [
        check_in_through_the_flow(ui, nik, kk),
        check_in_through_the_flow(ui, nik2, kk2),
    ]
    speaker = SpeakerLog()
    app.voice = speaker
    await log_in(d)
    ready = await d.at("ready")
    await d.tap(ready.ids.call_button)
    checklist = await d.at("checklist")
    report["first_called"] = checklist.ids.resident.text
    report["absent_button"] = checklist.ids.absent_button.text
    await d.tap(checklist.ids.absent_button)
    ready = await d.at("ready")
    report["screen_after_absent"] = app.screens.current
    report["stages_after_absent"] = stages_waiting(ui)
    await d.tap(ready.ids.call_button)
    checklist = await d.at("checklist")
    report["second_called"] = checklist.ids.resident.text
    await tick_every_document(d, checklist)
    background = required_background(ui.booth.config.office.photo.rule, parse_nik(nik2).birth_date)
    report["background"] = background
    photo = await d.at("photo")
    guidance = {}
    for placement in ("too_far", "left_in_picture", "placed_right"):
        guidance[placement] = await guidance_for(d, photo, placement, background)
        d.screenshot(f"photo_guide/{placement}.png")
    report["guidance"] = guidance
    report["spoken"] = speaker.said
    await d.tap(photo.ids.cancel_button)  # the operator stops here: back to the ready screen
    await d.at("ready")
