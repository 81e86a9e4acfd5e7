"""Wire one booth from its configuration: devices, outbox, audit log, sealer and the flows.

``build_booth`` is the only place that knows how the pieces fit; the UI and the
headless runner both start from it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from ektp.nik import parse_nik
from ektp.photo_rule import required_background
from ektp.regions import RegionTable
from ektp.roster_keys import RosterSecret
from ektp.services import ServiceType
from hardware.camera import Camera, open_camera
from hardware.fingerprint import FingerprintSensor, open_fingerprint
from hardware.smartcard import SmartCardReader, open_smartcard
from kiosk.audit import AuditLog
from kiosk.config.booth import BoothConfig
from kiosk.devices import SmartCardLogin, photo_step
from kiosk.flow.capture import CaptureFlow
from kiosk.flow.checkin import CheckInFlow
from kiosk.flow.ports import InMemoryRoster, InMemoryTicketDesk, Roster, TicketDesk
from kiosk.flow.session import Enrollment, OutboxWriter
from kiosk.health_probe import DeviceHealthProbe
from kiosk.keys import load_central_public_key, load_or_create_signing_key
from kiosk.mobile.duty import MobileDuty
from kiosk.mobile.tickets import MobileStore, MobileTicketDesk
from kiosk.operator_trust import OperatorCardTrust, emulated_card_issuer
from kiosk.outbox.records import Send
from kiosk.outbox.store import Outbox
from kiosk.photo import PhotoQualityChecker
from kiosk.power.guard import guard_booth
from kiosk.power.parking import ParkedSessionStore, resume_parked
from kiosk.power.policy import PowerPolicy
from kiosk.sealing import PacketSealer, edge_review_key
from kiosk.signals import BoothSignals, open_booth_signals
from kiosk.training.session import TrainingDesk, capture_flow_factory, open_training_desk
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.crl_feed import CrlFeed
from kiosk.uplink.desk import EdgeTicketDesk
from kiosk.uplink.review_notices import ReviewNotices
from kiosk.uplink.roster_feed import RosterFeed
from kiosk.uplink.stage_events import StageRecorder


@dataclass
class Booth:
    """A running booth. ``close()`` releases every device and database, once."""

    config: BoothConfig
    sensor: FingerprintSensor
    reader: SmartCardReader
    camera: Camera
    outbox: Outbox
    audit: AuditLog
    checkin: CheckInFlow
    capture: CaptureFlow
    roster: Roster
    tickets: TicketDesk
    uplink: BoothUplink | None
    _resources: ExitStack = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    power: PowerPolicy | None = None
    reviews: ReviewNotices | None = None
    training: TrainingDesk | None = None
    mobile: MobileDuty | None = None
    signals: BoothSignals | None = None
    photo_checker: PhotoQualityChecker | None = None
    """The photo gate (from ``[photo]``): the capture's and the live guidance's."""
    roster_feed: RosterFeed | None = None
    """The edge's digests and the office roster secret (also when ``roster`` is given)."""

    def follow_card_events(self, dispatch: Callable[[Callable[[], None]], None]) -> None:
        """Card insertions and removals reach the capture flow through ``dispatch``.

        The reader reports on its own thread; ``dispatch`` moves the call where the
        flow lives (the Kivy clock in the UI, a lock in headless use).
        """

        def on_card(event: str) -> None:
            flow = self.capture
            dispatch(flow.card_inserted if event == "inserted" else flow.card_removed)

        self.reader.add_card_observer(on_card)
        self._resources.callback(self.reader.remove_card_observer, on_card)

    def roster_secret(self) -> RosterSecret | None:
        """The office roster secret this booth opened (None: no edge, or not registered)."""
        return self.roster_feed.secret if self.roster_feed is not None else None

    def run_locked(self, action: Callable[[], None]) -> None:
        with self._lock:
            action()

    def close(self) -> None:
        self._resources.close()


class _WakingOutbox:
    """Commits to the outbox, then tells the uplink there is something to send."""

    def __init__(self, outbox: Outbox, wake: Callable[[], None]) -> None:
        self._outbox = outbox
        self._wake = wake

    def commit(self, packet_id: str, sealed: bytes, meta: dict[str, Any]) -> None:
        self._outbox.commit(packet_id, sealed, meta)
        self._wake()


def _guard_power(booth: Booth, uplink: BoothUplink) -> None:
    """Follow ``office/power``: refuse new captures when power is short, park and shut
    down cleanly on LOW_BATTERY/SHUTDOWN, and resume a session parked by the last cut."""
    config = booth.config
    policy = PowerPolicy(
        booth_id=config.booth_id,
        capture_margin_s=config.power.capture_margin_s,
        on_refusal=uplink.send_event,
    )
    booth.capture.new_capture_allowed = policy.new_capture_allowed
    store = ParkedSessionStore.in_data_dir(
        config.data_dir,
        signing_key=load_or_create_signing_key(config.signing_key_path),
        booth_id=config.booth_id,
    )
    resume_parked(booth.capture, store, booth.sensor)
    guard = guard_booth(booth, policy, config.power, store=store, after_command=uplink.stop)
    guard.attach(uplink.client)
    booth.power = policy


def build_booth(
    config: BoothConfig,
    *,
    roster: Roster | None = None,
    tickets: TicketDesk | None = None,
    checker: PhotoQualityChecker | None = None,
    new_capture_allowed: Callable[[], bool] = lambda: True,
    guard_power: bool = True,
    stage_clock: Callable[[], dt.datetime] | None = None,
) -> Booth:
    """Open everything the booth config names. On any failure, what was opened is closed.

    With an edge, the booth follows ``office/power`` (``guard_power``): it refuses new
    captures when power is short, parks and shuts down on LOW_BATTERY/SHUTDOWN, and
    resumes a parked session at start. Each stage of a visit is timed with
    ``stage_clock`` (the wall clock by default) and kept for the edge (issue 21).
    """
    hw = config.hardware
    if hw.fingerprint is None or hw.smartcard is None or hw.camera is None:
        raise ValueError("a booth needs a fingerprint sensor, a smart-card reader and a camera")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    checker = checker or PhotoQualityChecker(config.photo)  # the office's [photo] thresholds
    with ExitStack() as stack:
        sensor = stack.enter_context(open_fingerprint(hw.fingerprint))
        issuer = emulated_card_issuer(hw.smartcard)
        reader = stack.enter_context(open_smartcard(hw.smartcard, card_issuer=issuer))
        camera = stack.enter_context(open_camera(hw.camera))
        outbox = stack.enter_context(Outbox(config.outbox_path))
        audit = AuditLog(config.audit_path)
        stack.callback(audit.close)
        signals = open_booth_signals(config)  # LEDs, buzzer, call button
        stack.callback(signals.close)
        device_health = signals.watch_health(DeviceHealthProbe((sensor, reader)))
        feed: RosterFeed | None = None
        uplink = None
        send: Send = outbox.sendables.enqueue  # everything to send waits in the outbox
        if config.edge is not None:
            uplink = BoothUplink(
                config.booth_id,
                config.edge,
                outbox,
                settings=config.uplink,
                device_health=device_health,
                office_secret=lambda: feed.secret if feed is not None else None,  # packets' seal
            )
            send = uplink.send
        duty = MobileDuty(config.data_dir, config.mobile)
        mobile_store = MobileStore.in_data_dir(config.data_dir)
        stack.callback(mobile_store.close)
        mobile_store.hand_over_kept_events(send)  # kept by an older version
        if tickets is None and duty.active:  # away from the office: the booth's own queue
            tickets = MobileTicketDesk(
                mobile_store,
                booth_id=config.booth_id,
                send=send,
                prefix=config.mobile.ticket_prefix,
                clock=config.mobile.office_now,
            )
        if config.edge is not None or (roster is None and duty.active):
            feed = RosterFeed.in_data_dir(  # the edge's digests and roster key (packets' seal)
                config.data_dir,
                booth_id=config.booth_id,
                booth_key=load_or_create_signing_key(config.signing_key_path),
            )
            stack.callback(feed.close)
            roster = feed if roster is None else roster
        roster = roster if roster is not None else InMemoryRoster()
        office = config.office

        def documents_for(service: str) -> list[str]:
            return [str(d) for d in office.services.required_documents(ServiceType(service))]

        writer: OutboxWriter = outbox
        reviews = None
        if uplink is not None:
            uplink.start()
            stack.callback(uplink.stop)
            reviews = ReviewNotices(config.booth_id, audit)  # supervisor decisions (#10)
            reviews.attach(uplink.client)
            stack.callback(reviews.close)
            if feed is not None:
                feed.attach(uplink.client)
            writer = _WakingOutbox(outbox, uplink.wake)
            if tickets is None:
                tickets = EdgeTicketDesk(
                    uplink,
                    booth_id=config.booth_id,
                    roster=roster,
                    documents_for=documents_for,
                    booth_key=load_or_create_signing_key(config.signing_key_path),
                    secret=lambda: feed.secret if feed is not None else None,
                )
        tickets = tickets if tickets is not None else InMemoryTicketDesk()
        sealer = PacketSealer(
            booth_id=config.booth_id,
            signing_key=load_or_create_signing_key(config.signing_key_path),
            central_public_key=load_central_public_key(config.central_public_key_path),
            edge_public_key=edge_review_key(config.edge),
        )

        def background_for(enrollment: Enrollment) -> str:
            birth_date = parse_nik(enrollment.ticket.checkin.nik).birth_date
            return required_background(office.photo.rule, birth_date)

        stages = StageRecorder(config.booth_id, send, stage_clock)
        checkin = CheckInFlow(
            roster=roster,
            tickets=tickets,
            audit=audit,
            documents_for=documents_for,
            services=[str(s) for s in office.services.enabled_services()],
            idle_seconds=config.timeouts.resident_idle_seconds,
            regions=RegionTable.from_config(config.region),
            stages=stages,
        )
        edge_ca = config.edge.ca_cert_path if config.edge is not None else None
        trust = OperatorCardTrust.for_booth(config.operator_cards, edge_ca)
        card_login = SmartCardLogin(reader, trust, audit=audit)
        if uplink is not None and trust.crl_path is not None:  # revocations over MQTT
            crl_feed = CrlFeed(trust)
            crl_feed.attach(uplink.client)
            stack.callback(crl_feed.close)
        capture = CaptureFlow(
            booth_id=config.booth_id,
            login=card_login,
            tickets=tickets,
            photo=photo_step(camera, checker),
            sensor=sensor,
            sealer=sealer,
            outbox=writer,
            audit=signals.watch_flow(audit),
            fingers=[str(f) for f in office.finger_order()],
            required_background=background_for,
            office_district_code=office.district_code,
            new_capture_allowed=new_capture_allowed,
            idle_lock_seconds=config.timeouts.operator_idle_lock_seconds,
            max_finger_tries=office.max_finger_tries,
            stages=stages,
        )
        training = open_training_desk(  # practice flows: no outbox, queue or uplink events
            config,
            make_flow=capture_flow_factory(
                booth_id=config.booth_id,
                login=card_login,
                photo=photo_step(camera, checker),
                sensor=sensor,
                fingers=[str(f) for f in office.finger_order()],
                required_background=background_for,
                office_district_code=office.district_code,
                new_capture_allowed=lambda: capture.new_capture_allowed(),  # noqa: PLW0108 - late: power may swap it
                idle_lock_seconds=config.timeouts.operator_idle_lock_seconds,
                max_finger_tries=office.max_finger_tries,
            ),
            documents_for=documents_for,
            audit=audit,
            send=send,
        )
        stack.callback(training.close)
        booth = Booth(
            config=config,
            sensor=sensor,
            reader=reader,
            camera=camera,
            outbox=outbox,
            audit=audit,
            checkin=checkin,
            capture=capture,
            roster=roster,
            tickets=tickets,
            uplink=uplink,
            _resources=stack,
            training=training,
            reviews=reviews,
            mobile=duty,
            signals=signals,
            photo_checker=checker,
            roster_feed=feed,
        )
        if uplink is not None and guard_power:
            _guard_power(booth, uplink)
        signals.follow(  # without an edge: no power news, no call to send, own device checks
            step=str(capture.step),
            power=booth.power,
            send=send if uplink is not None else None,
            check_devices=uplink is None,
        )
        booth._resources = stack.pop_all()
        return booth
