"""A resident checks in by touch, then an operator records them by touch.

Records what a person would see (label texts, screen names) into the report; the
test module asserts on it.
"""

from __future__ import annotations

from typing import Any

from scenario_booth import tick_every_document

from demo.kiosk_fakes import DEMO_KK, DEMO_REGION, demo_residents

WRONG_MONTH_NIK = DEMO_REGION + "141390" + "0001"  # month 13


async def run(d: Any, report: dict[str, Any]) -> None:
    app = d.app
    siti, budi = demo_residents()
    seen: list[str] = []
    report["screens"] = seen

    # -- resident: welcome → service → NIK (first a wrong one) → KK → confirm → ticket
    welcome = await d.at("welcome")
    seen.append("welcome")
    await d.tap(welcome.ids.start_id)
    service = await d.at("service")
    seen.append("service")
    report["service_buttons"] = [b.text for b in reversed(service.ids.choices.children)]
    await d.tap(service.ids.choices.children[-1])  # the first service: new recording
    nik = await d.at("nik")
    seen.append("nik")
    await d.type_digits(nik, WRONG_MONTH_NIK[:10])
    report["nik_hint_partial"] = nik.ids.hint.text
    await d.type_digits(nik, WRONG_MONTH_NIK[10:])
    report["nik_shown"] = nik.ids.number.text
    report["wrong_nik_error_id"] = nik.ids.error.text
    report["wrong_nik_next_disabled"] = nik.ids.next_button.disabled
    await d.tap(app.root.ids.language_button)
    await d.frames(2)
    report["wrong_nik_error_en"] = nik.ids.error.text
    report["language_button_en"] = app.root.ids.language_button.text
    report["nik_title_en"] = next(c.text for c in nik.walk() if getattr(c, "bold", False))
    await d.tap(app.root.ids.language_button)
    await d.frames(2)
    report["language_after_second_switch"] = app.lang
    await d.tap(nik.ids.pad.keys["clear"])
    await d.type_digits(nik, siti.nik)
    report["valid_nik_hint"] = nik.ids.hint.text
    await d.tap(nik.ids.next_button)
    kk = await d.at("kk")
    seen.append("kk")
    await d.type_digits(kk, DEMO_KK)
    await d.tap(kk.ids.next_button)
    confirm = await d.at("confirm")
    seen.append("confirm")
    report["masked_name"] = confirm.ids.masked_name.text
    await d.tap(confirm.ids.yes_button)
    documents = await d.at("documents")
    seen.append("documents")
    report["documents_text"] = documents.ids.documents.text
    await d.tap(documents.ids.accept_button)
    ticket = await d.at("ticket")
    seen.append("ticket")
    report["ticket_label"] = ticket.ids.number.text
    report["queue_waiting"] = d.parts.tickets.waiting
    d.screenshot("journey/ticket.png")
    await d.tap(ticket.ids.done_button)
    await d.at("welcome")

    # -- a resident already recorded is told so, with the date and card status
    await d.tap(welcome.ids.start_id)
    service = await d.at("service")
    await d.tap(service.ids.choices.children[-1])
    nik = await d.at("nik")
    await d.type_digits(nik, budi.nik)
    await d.tap(nik.ids.next_button)
    already = await d.at("already_recorded")
    seen.append("already_recorded")
    report["already_recorded_text"] = [already.ids.recorded.text, already.ids.card.text]
    await d.tap(already.ids.done_button)
    await d.at("welcome")
    report["queue_waiting_after_already_recorded"] = d.parts.tickets.waiting

    await operator(d, report, seen)


async def operator(d: Any, report: dict[str, Any], seen: list[str]) -> None:
    app = d.app
    app.card_inserted()  # what the booth's card watcher calls when a card goes in
    pin = await d.at("pin")
    seen.append("pin")
    await d.type_digits(pin, "111111")
    report["pin_dots"] = pin.ids.dots.text
    await d.tap(pin.ids.ok_button)
    await d.idle()
    report["wrong_pin_error"] = pin.ids.error.text
    await d.type_digits(pin, "123456")
    await d.tap(pin.ids.ok_button)
    ready = await d.at("ready")
    seen.append("ready")
    await d.tap(ready.ids.call_button)
    checklist = await d.at("checklist")
    seen.append("checklist")
    report["checklist_resident"] = checklist.ids.resident.text
    await d.tap(checklist.ids.confirm_button)  # nothing ticked yet: refused
    report["checklist_refusal"] = checklist.ids.error.text
    await tick_every_document(d, checklist)
    photo = await d.at("photo")
    seen.append("photo")
    await d.until(lambda: photo.preview_texture is not None, "a live preview frame")
    report["preview_size"] = list(photo.preview_texture.size)
    await d.tap(photo.ids.take_button)
    await d.idle()
    report["photo_failing"] = photo.ids.failing.text
    await d.tap(photo.ids.reasons.children[-1])  # the first reason
    await d.tap(photo.ids.accept_button)
    fingers = await d.at("fingers")
    seen.append("fingers")
    total = len(fingers.states)
    for _ in range(total - 1):
        await d.tap(fingers.ids.capture_button)
        await d.idle()
    report["finger_states_before_last"] = dict(fingers.states)
    report["current_finger_text"] = fingers.ids.current.text
    await d.tap(fingers.ids.reasons.children[-1])  # mark the last finger "missing"
    signature = await d.at("signature")
    seen.append("signature")
    await d.tap(signature.ids.accept_button)  # empty pad: refused
    report["empty_signature_error"] = signature.ids.error.text
    await d.drag(signature.ids.pad, [(0.1 + 0.04 * i, 0.3 + 0.4 * (i % 2)) for i in range(18)])
    await d.tap(signature.ids.accept_button)
    review = await d.at("review")
    seen.append("review")
    report["review_summary"] = review.ids.summary.text
    report["review_flags"] = review.ids.flags.text
    report["review_signature_size"] = list(review.signature_texture.size)
    d.screenshot("journey/review.png")
    await d.tap(review.ids.seal_button)
    saved = await d.at("saved")
    seen.append("saved")
    report["saved_packet"] = saved.ids.packet.text
    report["outbox_ids"] = list(d.parts.outbox.records)
    manifest_json = next(iter(d.parts.outbox.records.values()))[0].decode()
    report["sealed_manifest"] = manifest_json
    await d.tap(saved.ids.lock_button)
    await d.at("lock")
    seen.append("lock")
    report["audit_events"] = [event for event, _ in d.parts.audit.events]
