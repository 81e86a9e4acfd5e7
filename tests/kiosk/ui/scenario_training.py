"""A practice session on the real booth, by touch: the operator chooses "Latihan" at the
PIN pad and records a practice resident; every screen on the way must show the LATIHAN
banner and the training colours; "Selesai latihan" shows the result. A real resident
waits in the booth's queue the whole time and must still be waiting at the end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from booth_ui_fixtures import OPERATOR_ID, OPERATOR_NAME, OPERATOR_PIN, resident
from scenario_booth import follow_finger_prompts, sit_in_front_of_camera, tick_every_document

from hardware.smartcard import OperatorCard
from kiosk.config.booth import load_booth_config
from kiosk.flow.ports import CheckIn, InMemoryTicketDesk
from kiosk.ui.booth_app import BoothUi, build_booth_ui

QUEUE = InMemoryTicketDesk()


def build(config_path: Path) -> BoothUi:
    nik, kk = resident()
    QUEUE.issue(CheckIn("new_recording", nik, kk, "Warga", "Gunung Tabur", True, ("kk",)))
    return build_booth_ui(load_booth_config(config_path), tickets=QUEUE)


def banner(d: Any) -> dict[str, Any]:
    ids = d.app.root.ids
    return {
        "screen": d.app.screens.current,
        "banner_height": round(float(ids.training_banner.height)),
        "banner_opacity": float(ids.training_banner.opacity),
        "banner_text": ids.training_text.text,
        "training_active": bool(d.app.training_active),
    }


async def run(d: Any, report: dict[str, Any]) -> None:
    app, ui = d.app, d.parts
    seen: list[dict[str, Any]] = []
    report["banners"] = seen
    report["banner_before"] = banner(d)

    async def at(name: str) -> Any:
        screen = await d.at(name)
        await d.frames(2)
        seen.append(banner(d))
        d.screenshot(f"training/{len(seen):02d}_{name}.png")
        return screen

    card = OperatorCard(OPERATOR_ID, OPERATOR_NAME, OPERATOR_PIN)
    await asyncio.to_thread(ui.booth.reader.insert_card, card)
    pin = await d.at("pin")
    await d.type_digits(pin, OPERATOR_PIN)
    await d.tap(pin.ids.training_mode)
    report["banner_at_pin"] = banner(d)
    await d.tap(pin.ids.ok_button)
    ready = await at("ready")
    report["operator_shown"] = ready.operator_name
    await d.tap(ready.ids.call_button)
    checklist = await at("checklist")
    report["practice_resident"] = checklist.ids.resident.text
    await tick_every_document(d, checklist)
    practice_nik = app.capture.enrollment.ticket.checkin.nik
    sit_in_front_of_camera(ui, practice_nik)
    photo = await at("photo")
    await d.until(lambda: photo.preview_texture is not None, "a live camera frame")
    await d.tap(photo.ids.take_button)
    await d.idle()
    if app.screens.current == "photo":
        await d.tap(photo.ids.reasons.children[-1])
        await d.tap(photo.ids.accept_button)
    fingers = await at("fingers")
    while app.screens.current == "fingers":
        await d.tap(fingers.ids.capture_button)
        await follow_finger_prompts(d, fingers, f"{practice_nik}/{fingers.current}")
    signature = await at("signature")
    await d.drag(signature.ids.pad, [(0.1 + 0.04 * i, 0.3 + 0.4 * (i % 2)) for i in range(18)])
    await d.tap(signature.ids.accept_button)
    review = await at("review")
    await d.tap(review.ids.seal_button)
    await at("saved")
    await d.tap(app.root.ids.finish_practice_button)
    result = await d.at("training_result")
    await d.frames(2)
    report["result_score"] = result.ids.score.text
    report["banner_after"] = banner(d)
    d.screenshot("training/result.png")
    await d.tap(result.ids.close_button)
    await d.at("pin")  # the card is still in: log in again, for real this time
    report["outbox_depth"] = ui.booth.outbox.depth()
    report["queue_waiting"] = QUEUE.waiting
    report["audit_events"] = [entry.event for entry in ui.booth.audit.entries()]
    assert ui.booth.training is not None
    report["stored_results"] = [
        {"operator_id": r.operator_id, "score": r.score, "residents": len(r.residents)}
        for r in ui.booth.training.store.results()
    ]
