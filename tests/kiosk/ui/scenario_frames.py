"""The UI keeps drawing while the fingerprint sensor works (sensor at 2 s per image).

The resident is checked in and the session brought to the fingerprint step through the
flows (this scenario is about responsiveness, the booth scenario about touches); then
the capture button is touched and the resident follows the sensor's prompts. A Kivy
clock callback runs once per frame and records its time for the whole capture.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from booth_ui_fixtures import resident
from scenario_booth import (
    CARD_EVENTS,
    check_in_through_the_flow,
    follow_finger_prompts,
    log_in,
    sit_in_front_of_camera,
)


async def run(d: Any, report: dict[str, Any]) -> None:
    from kivy.clock import Clock  # noqa: PLC0415 - the driver configured Kivy first

    app, ui = d.app, d.parts
    report["card_events"] = CARD_EVENTS
    nik, _ = resident()
    check_in_through_the_flow(ui, *resident())
    sit_in_front_of_camera(ui, nik)
    await log_in(d)
    await d.at("ready")
    capture = app.capture
    ticket = capture.call_next()
    capture.confirm_documents(set(ticket.checkin.documents))
    photo = await asyncio.to_thread(capture.take_photo)
    if not photo.ok:
        capture.accept_photo_anyway("booth_light")
    app.sync()
    fingers = await d.at("fingers")
    report["sensor_capture_seconds"] = ui.booth.sensor.emulated_config.capture_seconds
    report["sensor_speed"] = ui.booth.sensor.emulated_config.speed

    stamps: list[float] = []
    busy: list[bool] = []

    def on_frame(_dt: float) -> None:
        stamps.append(time.perf_counter())
        busy.append(app.busy)

    event = Clock.schedule_interval(on_frame, 0)
    await d.frames(3)
    finger = fingers.current
    started = time.perf_counter()
    await d.tap(fingers.ids.capture_button)
    report["prompts"] = await follow_finger_prompts(d, fingers, f"{nik}/{finger}")
    report["capture_seconds"] = time.perf_counter() - started
    event.cancel()
    report["frame_times"] = [t - started for t in stamps]
    report["frame_busy"] = busy
    report["finger_state"] = fingers.states.get(finger)
    report["finger_error"] = fingers.ids.error.text
