"""The booth's Kivy app: resident check-in and operator capture over the injected flows.

Construct :class:`KioskApp` with the flows and collaborators (``kiosk.booth`` wires the
real or emulated devices from the booth config) and run it on the asyncio loop::

    app = KioskApp(checkin=checkin_flow, capture=capture_flow, status=booth_status,
                   preview=camera_preview, handover=handover_flow, voice=speaker)
    asyncio.run(app.async_run(async_lib="asyncio"))

``kiosk.ui.booth_app`` does that for a booth config (``--kiosk`` for full screen, no cursor).
``python -m demo.kiosk_fakes`` starts it with in-memory roster and tickets and fake
devices (``demo.kiosk_fakes``) — a development convenience only, outside the product.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

from ektp.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from ektp.services import document_name, service_name
from kiosk.flow.capture import CaptureFlow, CaptureStep
from kiosk.flow.checkin import CheckInFlow, CheckInStep
from kiosk.handover import HandoverFlow, HandoverStep
from kiosk.ui.describe import describe_error
from kiosk.ui.health_corner import DeviceCheck, HealthRefresher
from kiosk.ui.kiosk_mode import Heartbeat
from kiosk.ui.ports import FramePreview, PhotoGuide
from kiosk.ui.screens import CAPTURE_SCREENS, CHECKIN_SCREENS, SCREEN_CLASSES
from kiosk.ui.status import BoothStatus, notice_lines, power_notice
from kiosk.ui.texts import DEVICE_NAMES, SPOKEN_PROMPTS, tr, words
from kiosk.ui.widgets import hand, numpad, signature  # noqa: F401 - registers kv classes
from kiosk.ui.widgets.banners import HealthPopup
from kiosk.voice import Speaker

if TYPE_CHECKING:
    from kiosk.ui.screens.training import TrainingMode

log = logging.getLogger(__name__)
KV_DIR = Path(__file__).resolve().parent / "kv"
BASE_SIZE = (800, 480)
T = TypeVar("T")
FIRST_HEALTH_CHECK_S = 2.0
"""After the first frame: the camera preview has had time to deliver (or fail)."""
MSG_OFFLINE = N_("Office server unreachable: work continues here. Records waiting: {count}.")

class KioskApp(App):
    """The booth UI. Every collaborator is injected; the app owns no device."""

    lang = StringProperty(DEFAULT_LANGUAGE)
    scale = NumericProperty(1.0)
    side = OptionProperty("resident", options=["resident", "operator", "handover"])
    busy_message = StringProperty("")
    offline_text = StringProperty("")
    power_text = StringProperty("")
    notice_text = StringProperty("")
    """Mobile duty, a rejected record, reviews piling up (tap to close a rejection)."""
    health_ok = BooleanProperty(True)
    demo_controls = BooleanProperty(False)
    handover_enabled = BooleanProperty(False)
    training_active = BooleanProperty(False)
    """A practice session is on: LATIHAN banner and the training colours (kiosk.training)."""

    def __init__(
        self,
        *,
        checkin: CheckInFlow,
        capture: CaptureFlow | None = None,
        status: BoothStatus | None = None,
        preview: FramePreview | None = None,
        demo_controls: bool = False,
        tick_seconds: float = 1.0,
        handover: HandoverFlow | None = None,
        voice: Speaker | None = None,
        heartbeat: Heartbeat | None = None,
        health_check: DeviceCheck | None = None,
        health_interval_s: float = 10.0,
        photo_guide: PhotoGuide | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "Rekam"
        self.checkin = checkin
        self.capture = capture
        self.status = status or BoothStatus()
        self.preview = preview
        self.photo_guide = photo_guide  # live guidance under the preview (kiosk.photo.live)
        self.demo_controls = demo_controls
        self.tick_seconds = tick_seconds
        self.handover = handover
        self.handover_enabled = handover is not None and capture is not None
        self.voice = voice
        self.heartbeat = heartbeat
        self.health = (  # the health corner follows the devices (kiosk.ui.health_corner)
            HealthRefresher(
                health_check,
                self.status,
                interval_s=health_interval_s,
                paused=lambda: self.busy,
                on_change=self._poll_status,
            )
            if health_check is not None
            else None
        )
        self.training: TrainingMode | None = None
        """Set by the booth wiring when the booth offers practice sessions."""
        self.dismiss_review_notice: Callable[[], None] | None = None
        """Set by the booth wiring: closes the supervisor-rejection notice."""
        self.after_first_frame: list[Callable[[], None]] = []
        """Started once the first screen shows (the booth wiring: the camera preview),
        so they do not slow the cold start down."""
        self._spoken: tuple[str, str] | None = None
        self._jobs: set[asyncio.Future[Any]] = set()

    # -- building ----------------------------------------------------------------
    def build(self) -> Any:
        for kv_file in sorted(KV_DIR.glob("*.kv")):
            if kv_file.name != "root.kv":
                Builder.load_file(str(kv_file))
        root = Builder.load_file(str(KV_DIR / "root.kv"))
        manager = root.ids.screens
        manager.transition = NoTransition()
        for name, screen_class in SCREEN_CLASSES.items():
            manager.add_widget(screen_class(name=name))
        Window.bind(size=self._rescale)
        self._rescale(Window, Window.size)
        self.fbind("lang", self._language_changed)
        Clock.schedule_interval(self._tick, self.tick_seconds)
        heartbeat = self.heartbeat
        if heartbeat is not None and heartbeat.interval_seconds:
            Clock.schedule_interval(lambda _dt: heartbeat.alive(), heartbeat.interval_seconds)
        self._poll_status()
        if self.health is not None:
            self.health.start()
        return root

    def on_start(self) -> None:
        self.sync()
        Window.bind(on_flip=self._first_frame_shown)

    def _first_frame_shown(self, *_args: Any) -> None:
        """The first screen is on the display: tell the service manager we are up, and
        check the devices again soon (the camera's state comes from its preview)."""
        Window.unbind(on_flip=self._first_frame_shown)
        if self.heartbeat is not None:
            self.heartbeat.ready()
        for start in self.after_first_frame:
            start()
        health = self.health
        if health is not None:
            Clock.schedule_once(
                lambda _dt: None if self.busy else health.refresh_now(), FIRST_HEALTH_CHECK_S
            )

    def on_stop(self) -> None:
        if self.health is not None:
            self.health.stop()
        if self.photo_guide is not None:
            self.photo_guide.stop()
        if self.voice is not None:
            self.voice.stop()

    def _rescale(self, _window: Any, size: tuple[int, int]) -> None:
        self.scale = min(size[0] / BASE_SIZE[0], size[1] / BASE_SIZE[1])

    # -- words -------------------------------------------------------------------
    def tr(self, _lang: str, message: str) -> str:
        """For kv rules: ``app.tr(app.lang, "English msgid")`` re-evaluates when lang changes."""
        return tr(message, self.lang)

    def describe(self, err: BaseException) -> str:
        return describe_error(err, self.lang)

    def service_words(self, service: str) -> str:
        try:
            return service_name(service, self.lang)  # type: ignore[arg-type]
        except (KeyError, ValueError):
            return service.replace("_", " ")

    def document_words(self, document: str) -> str:
        try:
            return document_name(document, self.lang)  # type: ignore[arg-type]
        except (KeyError, ValueError):
            return document.replace("_", " ")

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}")
        self.lang = lang
        if self.side == "resident" and self.checkin.step is not CheckInStep.WELCOME:
            # The ticket records the resident's language; the flow has no setter for it.
            self.checkin.language = lang

    def toggle_language(self) -> None:
        self.set_language("en" if self.lang == "id" else "id")

    def _language_changed(self, *_args: Any) -> None:
        self.current_screen().refresh()
        self._poll_status()
        self._speak()

    def _speak(self) -> None:
        """Say the resident screen's prompt once per screen and language (if voice is on)."""
        if self.voice is None or self.side != "resident":
            return
        key = (self.screens.current, self.lang)
        message = SPOKEN_PROMPTS.get(key[0])
        if message is None or key == self._spoken:
            return
        self._spoken = key
        self.voice.say(tr(message, self.lang), self.lang)

    # -- navigation --------------------------------------------------------------
    @property
    def screens(self) -> Any:
        return self.root.ids.screens

    def current_screen(self) -> Any:
        return self.screens.current_screen

    def sync(self) -> None:
        """Show the screen of the flow's current step (or refresh it if already shown)."""
        if self.side == "handover" and self.handover is not None:
            name = "handover"
        elif self.side == "operator" and self.capture is not None:
            name = CAPTURE_SCREENS[self.capture.step]
        else:
            name = CHECKIN_SCREENS[self.checkin.step]
            if self.checkin.step is CheckInStep.WELCOME:
                self.lang = DEFAULT_LANGUAGE
        if self.screens.current == name:
            self.current_screen().refresh()
        else:
            self.screens.current = name
            self._spoken = None
        self._speak()

    def open_operator_side(self) -> None:
        if self.capture is None:
            return
        self._leave_checkin()
        self.side = "operator"
        self.sync()

    def open_resident_side(self) -> None:
        self._leave_handover()
        if self.capture is not None and self.capture.step is not CaptureStep.LOCKED:
            self.capture.lock("resident_side")
        self.side = "resident"
        self.sync()

    def open_handover(self) -> None:
        """From the ready (or saved) screen: hand a printed card to its owner."""
        capture, handover = self.capture, self.handover
        if capture is None or handover is None or capture.operator_id is None:
            return
        if capture.step not in (CaptureStep.READY, CaptureStep.SAVED):
            return
        handover.start(capture.operator_id)
        self.side = "handover"
        self.sync()

    def close_handover(self) -> None:
        """Back to the operator side: the lock screen if the operator's card came out."""
        self._leave_handover()
        self.side = "operator"
        self.sync()

    def _leave_handover(self) -> None:
        if self.handover is not None and self.handover.step is not HandoverStep.IDLE:
            self.handover.cancel("operator")

    def _leave_checkin(self) -> None:
        if self.checkin.step is not CheckInStep.WELCOME:
            self.checkin.cancel()

    @mainthread
    def card_inserted(self) -> None:
        """The booth's card watcher calls this (any thread) when an operator card goes in."""
        if self.capture is None:
            return
        if self.side == "handover":
            screen = self.current_screen()
            if hasattr(screen, "card_inserted"):
                screen.card_inserted()
            return
        if self.side != "operator":
            self._leave_checkin()
            self.side = "operator"
        self.capture.card_inserted()
        self.sync()

    @mainthread
    def card_removed(self) -> None:
        if self.capture is not None:
            # During a hand-over the operator's card comes out: the session locks, the
            # hand-over screen stays; closing it shows the lock screen.
            self.capture.card_removed()
            if self.side == "operator":
                self.sync()

    # -- work off the UI thread ------------------------------------------------------
    def run_blocking(
        self,
        busy_message: str,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run a blocking flow call in a worker thread; show ``busy_message`` meanwhile.

        ``on_done``/``on_error`` run back on the UI thread (the asyncio loop's thread).
        """

        async def job() -> None:
            self.busy_message = busy_message
            try:
                result = await asyncio.to_thread(work)
            except Exception as err:
                log.info("blocking step failed: %s", type(err).__name__)
                self.busy_message = ""
                on_error(err)
            else:
                self.busy_message = ""
                on_done(result)

        future = asyncio.ensure_future(job())
        self._jobs.add(future)
        future.add_done_callback(self._jobs.discard)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    # -- ticks and banners -----------------------------------------------------------
    def _tick(self, _dt: float) -> None:
        self._poll_status()
        if self.busy:
            return
        changed = self.checkin.tick() and self.side == "resident"
        if self.capture is not None and self.capture.tick() and self.side == "operator":
            changed = True
        if changed:
            self.sync()

    def _poll_status(self) -> None:
        status, lang = self.status, self.lang
        if status.edge_online:
            self.offline_text = ""
        else:
            self.offline_text = tr(MSG_OFFLINE, lang).format(count=status.records_waiting)
        notice = power_notice(status)
        self.power_text = tr(notice, lang) if notice else ""
        self.health_ok = status.all_devices_ok
        self.notice_text = " · ".join(notice_lines(status, lang))

    def close_notice(self) -> None:
        if self.dismiss_review_notice is not None:
            self.dismiss_review_notice()
        self.status.review_rejection = None
        self._poll_status()

    def open_health(self) -> None:
        lines = [
            (words(DEVICE_NAMES, name, self.lang), health.ok, health.detail)
            for name, health in sorted(self.status.devices.items())
        ]
        HealthPopup(lines=lines).open()
