"""Run the touchscreen app on a booth built from its configuration.

    python -m kiosk.ui.booth_app --config /etc/rekam/booth.toml [--kiosk] [--voice]

``rekam-kiosk --config FILE`` calls :func:`run_app` too. ``--kiosk`` gives full screen
and no cursor (the systemd unit ``kiosk/systemd/rekam-kiosk.service`` uses it);
``--voice`` says the resident prompts aloud with espeak-ng. Kivy is imported only once
the window settings are made.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ektp.messages import EventMessage
from hardware.errors import DeviceError
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import BoothConfig, load_booth_config
from kiosk.config.voice import VoiceConfig
from kiosk.flow.ports import Roster, TicketDesk
from kiosk.handover import HandoverFlow
from kiosk.photo import LiveGuide, PhotoQualityChecker
from kiosk.ui.kiosk_mode import SystemdNotifier, configure_kivy
from kiosk.ui.preview import CameraPreview
from kiosk.ui.status import BoothStatus, DeviceHealth
from kiosk.voice import EspeakSpeaker

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)


@dataclass
class BoothUi:
    """A booth and the app over it; :meth:`start` before running, :meth:`close` after."""

    booth: Booth
    app: KioskApp
    preview: CameraPreview
    handover: HandoverFlow
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def start(self) -> None:
        booth, app = self.booth, self.app

        def dispatch(action: object) -> None:  # card events arrive on the reader's thread
            del action
            try:
                present = booth.reader.card_present()
            except DeviceError:
                present = False
            if present:
                app.card_inserted()
            else:
                app.card_removed()

        booth.follow_card_events(dispatch)
        app.after_first_frame.append(self.preview.start)  # the welcome screen has no camera
        self._closers.append(self.preview.stop)
        feed = StatusFeed(booth, app.status)
        feed.start()
        self._closers.append(feed.stop)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        self.booth.close()


class StatusFeed:
    """Keeps the banners' status current: edge reachable, records waiting, power."""

    def __init__(self, booth: Booth, status: BoothStatus, interval: float = 2.0) -> None:
        self._booth = booth
        self._status = status
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status-feed", daemon=True)
        if booth.power is not None:
            booth.power.show_on(status)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def refresh(self) -> None:
        uplink = self._booth.uplink
        self._status.edge_online = uplink is not None and uplink.connected
        try:
            self._status.records_waiting = self._booth.outbox.depth()
        except Exception:  # the outbox closed for a shutdown: keep the last count
            log.debug("outbox depth unavailable", exc_info=True)
        booth = self._booth
        self._status.mobile_duty = booth.mobile.state if booth.mobile is not None else None
        reviews = booth.reviews
        if reviews is not None:
            latest = reviews.rejections[-1] if reviews.rejections else None
            self._status.review_rejection = latest.comment if latest is not None else None
            backlog = reviews.backlog
            piling_up = backlog is not None and backlog.piling_up
            self._status.reviews_piling_up = backlog.waiting if backlog and piling_up else None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.refresh()


def device_health(booth: Booth) -> dict[str, DeviceHealth]:
    """The sensor's and the reader's self-tests (a few milliseconds) for the first screen.

    Not the camera's: its self-test opens and closes the camera (on the Pi, picamera2
    takes a second or more) just before the live preview opens it again; the camera's
    state comes from the preview, at the health corner's first check after the first
    frame (:func:`kiosk.ui.health_corner.booth_device_check`).
    """
    health = {}
    for device in (booth.sensor, booth.reader):
        result = device.self_test()
        health[result.device] = DeviceHealth(result.ok, result.detail)
    return health


def build_booth_ui(
    config: BoothConfig,
    *,
    roster: Roster | None = None,
    tickets: TicketDesk | None = None,
    voice: VoiceConfig | None = None,
    publish_event: Callable[[EventMessage], None] | None = None,
    heartbeat: SystemdNotifier | None = None,
    **app_options: Any,
) -> BoothUi:
    """Open the booth's devices and make the app over them (the window comes on run).

    Card hand-overs go to ``publish_event``, else to the booth's uplink (if it has one).
    """
    from kiosk.ui.app import KioskApp  # noqa: PLC0415 - imports Kivy's window
    from kiosk.ui.health_corner import booth_device_check  # noqa: PLC0415 - imports Kivy
    from kiosk.ui.screens.training import TrainingMode  # noqa: PLC0415 - imports Kivy

    booth = build_booth(config, roster=roster, tickets=tickets)
    try:
        preview = CameraPreview(booth.camera)
        checker = booth.photo_checker or PhotoQualityChecker(config.photo)
        guide = LiveGuide(checker, preview.latest_frame)  # judges frames off the UI thread
        status = BoothStatus(records_waiting=booth.outbox.depth(), devices=device_health(booth))
        handover = HandoverFlow(
            booth_id=config.booth_id,
            reader=booth.reader,
            sensor=booth.sensor,
            audit=booth.audit,
            publish=publish_event or (booth.uplink.send_event if booth.uplink else None),
            secret=booth.roster_secret,  # names the resident by look-up key, not NIK
        )
        app = KioskApp(
            checkin=booth.checkin,
            capture=booth.capture,
            status=status,
            preview=preview,
            photo_guide=guide,
            handover=handover,
            voice=EspeakSpeaker(voice) if voice is not None and voice.enabled else None,
            heartbeat=heartbeat,
            health_check=booth_device_check(booth, preview),
            **app_options,
        )
        if booth.reviews is not None:  # the operator closes a rejection notice by tapping it
            app.dismiss_review_notice = booth.reviews.dismiss
        if booth.training is not None:  # practice sessions on this booth (kiosk.training.session)
            app.training = TrainingMode(booth.training, booth.capture, booth.reader.card_present)
    except BaseException:
        booth.close()
        raise
    return BoothUi(booth, app, preview, handover)


def run_app(config: BoothConfig, *, kiosk: bool = False, voice: VoiceConfig | None = None) -> int:
    """Run the booth's touchscreen app until it is closed."""
    configure_kivy(kiosk=kiosk)
    ui = build_booth_ui(config, voice=voice, heartbeat=SystemdNotifier.from_environment(os.environ))
    ui.start()
    try:
        asyncio.run(ui.app.async_run(async_lib="asyncio"))
    finally:
        ui.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="the booth's TOML file")
    parser.add_argument("--kiosk", action="store_true", help="full screen, no mouse cursor")
    parser.add_argument("--voice", action="store_true", help="say resident prompts aloud")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = load_booth_config(args.config)
    return run_app(config, kiosk=args.kiosk, voice=VoiceConfig(enabled=args.voice))


if __name__ == "__main__":
    raise SystemExit(main())
