"""Every screen (and its error/banner variants) in both languages: screenshot + text check.

The flows are put into each state directly (this scenario is about how screens look,
the journey scenario is about touches); device calls still run off the UI thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from demo.kiosk_fakes import DEMO_KK, DEMO_REGION, demo_residents
from hardware.errors import PinError
from kiosk.ui.status import PowerState

WRONG_DAY_NIK = DEMO_REGION + "320390" + "0001"  # day 32


class Shooter:
    def __init__(self, d: Any, report: dict[str, Any]) -> None:
        self.d = d
        self.shots: list[dict[str, Any]] = report.setdefault("shots", [])
        self.size = "x".join(str(v) for v in d.window.size)
        self.count: dict[str, int] = {}
        self.lang = "id"

    async def __call__(self, name: str) -> None:
        d, app = self.d, self.d.app
        await d.frames(3)
        lang = app.lang
        self.count[lang] = number = self.count.get(lang, 0) + 1
        path = d.screenshot(f"{self.size}/{lang}/{number:02d}_{name}.png")
        self.shots.append(
            {
                "name": name,
                "screen": app.screens.current,
                "lang": lang,
                "path": path,
                "problems": d.text_problems(),
            }
        )

    def show(self) -> None:
        """The screens brought up to the flows' state, in the language being shot."""
        app = self.d.app
        app.sync()
        app.set_language(self.lang)

    async def synced(self, name: str) -> None:
        """The screens brought up to the flows' state, then shot as ``name``."""
        self.show()
        await self(name)

    def pin_typed(self, digits: str = "1234") -> Any:
        """An operator card put in and ``digits`` of its PIN typed: the PIN screen."""
        app = self.d.app
        app.capture.card_inserted()
        self.show()
        pin = app.screens.current_screen
        for digit in digits:
            pin.on_key(digit)
        return pin

    def banners(self, on: bool) -> None:
        status = self.d.app.status
        status.edge_online = not on
        status.records_waiting = 7 if on else 0
        status.power = PowerState.ON_BATTERY if on else PowerState.MAINS
        self.d.app._poll_status()


async def run(d: Any, report: dict[str, Any]) -> None:
    report["detector_control"] = await detector_control(d)
    shoot = Shooter(d, report)
    for lang in ("id", "en"):
        shoot.lang = lang
        await resident_screens(d, shoot, lang)
        await operator_screens(d, shoot)
        await training_screens(d, shoot, lang)


async def detector_control(d: Any) -> list[dict[str, Any]]:
    """A plain Label too small for its text, and one pushed off the window: the
    check must report both (else a clean report would mean nothing)."""
    from kivy.uix.label import Label  # noqa: PLC0415

    cramped = Label(text="A sentence far too long for this box", size_hint=(None, None))
    cramped.size = (60, 20)
    cramped.pos = (10, 10)
    outside = Label(text="off", size_hint=(None, None), size=(80, 40))
    outside.pos = (d.window.width - 20, 10)
    d.window.add_widget(cramped)
    d.window.add_widget(outside)
    await d.frames(2)
    problems = d.text_problems()
    d.window.remove_widget(cramped)
    d.window.remove_widget(outside)
    await d.frames(1)
    return problems


async def resident_screens(d: Any, shoot: Shooter, lang: str) -> None:
    app, checkin = d.app, d.app.checkin
    siti, budi = demo_residents()
    services = checkin.services
    app.side = "resident"
    show = shoot.show

    def next_resident(nik: str) -> None:
        """The last resident done; the next one asks for a new recording with ``nik``."""
        checkin.finish()
        checkin.start(lang)
        checkin.choose_service(services[0])
        checkin.enter_nik(nik)

    await shoot.synced("welcome")
    checkin.start(lang)
    await shoot.synced("service")
    checkin.choose_service(services[2])  # a lost card: the longest document list
    show()
    nik = app.screens.current_screen
    for digit in WRONG_DAY_NIK[:7]:
        nik.on_key(digit)
    await shoot("nik")
    for digit in WRONG_DAY_NIK[7:]:
        nik.on_key(digit)
    await shoot("nik_error")
    shoot.banners(on=True)
    await shoot("nik_error_banners")
    shoot.banners(on=False)
    checkin.enter_nik(siti.nik)
    show()
    for digit in DEMO_KK[:16]:
        app.screens.current_screen.on_key(digit)
    await shoot("kk")
    checkin.enter_kk(DEMO_KK)
    await shoot.synced("confirm")
    checkin.confirm_name(True)
    await shoot.synced("documents")
    ticket = checkin.accept_documents()
    checkin.ticket = dataclasses.replace(ticket, estimated_wait_minutes=25)
    await shoot.synced("ticket")
    next_resident(budi.nik)
    await shoot.synced("already_recorded")
    next_resident(siti.nik)
    checkin.enter_kk(DEMO_KK)
    checkin.confirm_name(False)
    await shoot.synced("see_operator")
    checkin.finish()


async def operator_screens(d: Any, shoot: Shooter) -> None:
    app, capture = d.app, d.app.capture
    app.side = "operator"
    show = shoot.show

    await shoot.synced("lock")
    pin = shoot.pin_typed()
    await shoot("pin")
    pin.show_error(PinError("wrong PIN", tries_left=2))
    await shoot("pin_wrong")
    await asyncio.to_thread(capture.enter_pin, "123456")
    await shoot.synced("ready")
    capture.call_next()
    show()
    checklist = app.screens.current_screen
    first = checklist.ids.checklist.children[-1]
    first.state = "down"
    await shoot("checklist")
    capture.confirm_documents(set(capture.enrollment.ticket.checkin.documents))
    show()
    photo = app.screens.current_screen
    await d.until(lambda: photo.preview_texture is not None, "a preview frame")
    await shoot("photo")
    d.parts.photo.failures = 1  # the fake camera fails the next burst's background check
    result = await asyncio.to_thread(capture.take_photo)
    photo._taken(result)
    await shoot("photo_failed")
    shoot.banners(on=True)
    await shoot("photo_failed_banners")
    shoot.banners(on=False)
    capture.accept_photo_anyway("head_covering")
    show()
    for _ in range(3):
        await asyncio.to_thread(capture.capture_finger)
    capture.mark_finger_exception("bandaged")
    show()
    fingers = app.screens.current_screen
    fingers._on_sensor_step("place_again")
    await d.frames(2)
    app.busy_message = ""
    await shoot("fingers")
    app.busy_message = fingers.prompt_text
    await shoot("busy")
    app.busy_message = ""
    while capture.enrollment.fingers.current is not None:
        await asyncio.to_thread(capture.capture_finger)
    show()
    signature = await d.at("signature")
    await d.drag(signature.ids.pad, [(0.1 + 0.05 * i, 0.3 + 0.4 * (i % 2)) for i in range(16)])
    await shoot("signature")
    capture.submit_signature(signature.ids.pad.export_png())
    await shoot.synced("review")
    await asyncio.to_thread(capture.seal)
    await shoot.synced("saved")
    await handover_screens(d, shoot)
    app.open_health()
    await shoot("health")
    from kivy.uix.modalview import ModalView  # noqa: PLC0415

    for widget in list(d.window.children):
        if isinstance(widget, ModalView):
            widget.dismiss(animation=False)
    capture.lock()
    show()


async def handover_screens(d: Any, shoot: Shooter) -> None:
    """The card hand-over: waiting for the card, matching, a miss, delivered, refused."""
    app, flow, sensor = d.app, d.parts.handover, d.parts.sensor
    right_finger = sensor.finger_on_glass

    async def verify(finger: bytes) -> None:
        sensor.finger_on_glass = finger
        verdict = await asyncio.to_thread(flow.verify_finger)
        app.current_screen()._verdict(verdict)

    app.open_handover()
    await shoot("handover_insert")
    await asyncio.to_thread(flow.read_card)
    app.sync()
    await shoot("handover_verify")
    await verify(b"a stranger's finger" * 8)
    await shoot("handover_no_match")
    await verify(right_finger)
    await shoot("handover_delivered")
    app.close_handover()
    app.open_handover()
    await asyncio.to_thread(flow.read_card)
    for _ in range(flow.max_tries):
        await verify(b"a stranger's finger" * 8)
    await shoot("handover_refused")
    sensor.finger_on_glass = right_finger
    app.close_handover()


def training_mode(d: Any) -> Any:
    """Practice sessions over the demo's devices (kiosk.training.session), made once per run."""
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from demo.kiosk_fakes import DEMO_REGION  # noqa: PLC0415
    from kiosk.training.session import TrainingDesk, capture_flow_factory  # noqa: PLC0415
    from kiosk.training.store import TrainingResultStore  # noqa: PLC0415
    from kiosk.ui.screens.training import TrainingMode  # noqa: PLC0415

    app, parts = d.app, d.parts
    if app.training is None:
        store = TrainingResultStore(Path(tempfile.mkdtemp(prefix="training-")) / "t.sqlite")
        make_flow = capture_flow_factory(
            booth_id="booth-01",
            login=parts.login,
            photo=parts.photo,
            sensor=parts.sensor,
            fingers=("right_thumb", "right_index", "left_thumb", "left_index"),
            required_background=lambda _enrollment: "white",
            office_district_code=DEMO_REGION,
        )
        desk = TrainingDesk(
            booth_id="booth-01",
            make_flow=make_flow,
            documents_for=lambda _service: ["kk", "birth_certificate"],
            audit=parts.audit,
            store=store,
        )
        app.training = TrainingMode(desk, app.capture)
    return app.training


async def training_screens(d: Any, shoot: Shooter, lang: str) -> None:
    """A practice session: the login choice, the LATIHAN banner on the operator screens,
    and the result ("Hasil latihan")."""
    app = d.app
    training = training_mode(d)
    app.side = "operator"
    show = shoot.show

    pin = shoot.pin_typed()
    pin.choose_training(True)
    await shoot("pin_practice_chosen")
    session = await asyncio.to_thread(training.desk.start, "123456")
    training.enter(app, session)
    show()
    capture = app.capture
    assert capture is session.flow
    assert app.training_active
    await shoot("practice_ready")
    capture.call_next()
    await shoot.synced("practice_checklist")
    capture.confirm_documents(set(capture.enrollment.ticket.checkin.documents))
    show()
    result = await asyncio.to_thread(capture.take_photo)
    if not result.ok:
        capture.accept_photo_anyway("practice")
    await shoot.synced("practice_fingers")
    while capture.enrollment.fingers.current is not None:
        await asyncio.to_thread(capture.capture_finger)
    capture.submit_signature(b"\x89PNG practice signature " * 8)
    await shoot.synced("practice_review")
    await asyncio.to_thread(capture.seal)
    await shoot.synced("practice_saved")
    training.finish(app)
    app.set_language(lang)
    app.current_screen().refresh()
    await shoot("training_result")
    training.close_result(app)
    show()
