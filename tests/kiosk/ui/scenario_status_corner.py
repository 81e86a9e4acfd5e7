"""The always-visible parts on a real booth: the NIK's region hint, the power banner
through the office power messages, and the health corner following a sensor that breaks.

Runs inside ``status_corner_driver.py`` (one Kivy process). The booth is built from its
config on emulated devices; the power messages go through the kiosk's real
:class:`~kiosk.power.guard.BoothPowerGuard` (the booth of this config has no edge, so the
scenario plays the edge's ``office/power`` messages); the sensor breaks the way
``python -m demo control break-sensor`` breaks it (the emulator's ``disconnect`` fault).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from booth_ui_fixtures import RESIDENT_KELURAHAN, RESIDENT_NAME, resident

from ektp.messages import PowerMessage
from kiosk.config.booth import BoothPowerSettings, load_booth_config
from kiosk.flow.ports import InMemoryRoster, RosterEntry
from kiosk.power.guard import BoothPowerGuard
from kiosk.power.policy import PowerPolicy
from kiosk.ui.booth_app import BoothUi, build_booth_ui

NO_SUCH_DISTRICT_NIK = "640300" + "170890" + "0001"  # Berau, district 00
HEALTH_INTERVAL_S = 1.0


def build(config_path: Path) -> BoothUi:
    nik, kk = resident()
    roster = InMemoryRoster([RosterEntry(nik, kk, RESIDENT_NAME, RESIDENT_KELURAHAN)])
    return build_booth_ui(
        load_booth_config(config_path), roster=roster, health_interval_s=HEALTH_INTERVAL_S
    )


def power(state: str, *, age_s: float = 0.0, **fields: Any) -> PowerMessage:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
    return PowerMessage(state=state, at=at, **fields)  # type: ignore[arg-type]


async def run(d: Any, report: dict[str, Any], record_path: Path) -> None:
    report["region_hint"] = await region_hint(d)
    report["power"] = await power_banner(d, str(record_path))
    report["health"] = await health_corner(d)


async def region_hint(d: Any) -> dict[str, Any]:
    """A resident types a NIK whose district does not exist: told at once, Next stays off."""
    welcome = await d.at("welcome")
    await d.tap(welcome.ids.start_id)
    service = await d.at("service")
    await d.tap(service.ids.choices.children[-1])
    nik = await d.at("nik")
    await d.type_digits(nik, NO_SUCH_DISTRICT_NIK)
    seen = {"id": nik.ids.error.text, "next_disabled": nik.ids.next_button.disabled}
    d.screenshot("status_corner/nik_no_such_district_id.png")
    d.app.set_language("en")
    await d.frames(3)
    seen["en"] = nik.ids.error.text
    await d.tap(nik.ids.pad.keys["clear"])
    await d.type_digits(nik, resident()[0])
    seen["good_nik_hint"] = nik.ids.hint.text
    seen["good_nik_next_disabled"] = nik.ids.next_button.disabled
    d.app.checkin.cancel()
    d.app.sync()
    await d.at("welcome")
    return seen


async def banner(d: Any, what: str) -> dict[str, Any]:
    """What the power banner shows now in both languages (after the app's next poll)."""
    app = d.app
    widget = app.root.ids.power_banner
    shown: dict[str, Any] = {}
    for lang in ("id", "en"):
        app.lang = lang
        app._poll_status()  # what the 1 s tick does; no need to wait for it
        await d.frames(3)
        shown[lang] = widget.text if widget.opacity > 0 and widget.height > 0 else ""
        d.screenshot(f"status_corner/power_{what}_{lang}.png")
    shown["problems"] = d.text_problems()
    app.lang = "id"
    return shown


async def power_banner(d: Any, record_path: str) -> dict[str, Any]:
    app = d.app
    policy = PowerPolicy(booth_id="booth-01")
    policy.show_on(app.status)
    guard = BoothPowerGuard(
        policy,
        shutdown_command=[sys.executable, "-c", f"open({record_path!r}, 'a').write('poweroff\\n')"],
        shutdown_max_age_s=BoothPowerSettings().shutdown_max_age_s,
    )
    seen: dict[str, Any] = {}
    # The booth starts after an outage: the broker still holds the edge's last SHUTDOWN.
    guard.on_power_message(power("SHUTDOWN", age_s=20 * 60))
    seen["stale_shutdown"] = await banner(d, "stale_shutdown")
    seen["stale_shutdown_started"] = guard.started.is_set()
    seen["stale_shutdown_captures_allowed"] = policy.captures_allowed()
    guard.on_power_message(power("MAINS"))
    seen["mains"] = await banner(d, "mains")
    guard.on_power_message(power("ON_BATTERY", runtime_left_s=1500))
    seen["on_battery"] = await banner(d, "on_battery")
    guard.on_power_message(power("ON_BATTERY", runtime_left_s=300, new_captures_allowed=False))
    seen["battery_short"] = await banner(d, "battery_short")
    guard.on_power_message(power("LOW_BATTERY", runtime_left_s=90, new_captures_allowed=False))
    seen["low_battery"] = await banner(d, "low_battery")
    seen["shut_down"] = await asyncio.to_thread(guard.wait, 30)
    guard.on_power_message(power("MAINS"))
    seen["mains_back"] = await banner(d, "mains_back")
    return seen


async def health_corner(d: Any) -> dict[str, Any]:
    """The fingerprint sensor breaks while the booth runs: the corner turns; then repaired."""
    app = d.app
    button = app.root.ids.health_button
    emulator = d.parts.booth.sensor.emulator
    seen: dict[str, Any] = {"before": button.text, "before_ok": app.health_ok}
    emulator.inject_fault("disconnect")  # what `demo control break-sensor` does
    await d.until(lambda: not app.health_ok, "the corner to show the broken sensor", 60)
    await d.frames(3)
    seen["broken"] = button.text
    seen["broken_colour"] = list(button.background_color)
    await d.tap(button)
    await d.frames(4)
    popup = next(w for w in d.window.children if type(w).__name__ == "HealthPopup")
    seen["popup_lines"] = [list(line) for line in popup.lines]
    seen["popup_text"] = "\n".join(c.text for c in popup.walk() if hasattr(c, "text"))
    d.screenshot("status_corner/health_broken_sensor.png")
    popup.dismiss()
    await d.frames(3)
    emulator.clear_faults()
    await d.until(lambda: app.health_ok, "the corner to show the sensor repaired", 60)
    await d.frames(3)
    seen["repaired"] = button.text
    seen["checks_done"] = app.health.checks_done
    return seen
