"""``build_edge_service(config)``: the one place the edge controller is wired.

Every collaborator is made here from the loaded config and handed to the
:class:`~edge_controller.ingest.service.EdgeService`: the broker link, the one
database executor (shared by the ingest, the office events, the alert recorder, the
roster and review publishers and the forwarder), the pipelines, and the optional
parts (local mosquitto, power watcher, forwarder). Nothing here opens the database or
a device; :meth:`EdgeService.run` does, in order.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from edge_controller.booths.monitor import BoothMonitor
from edge_controller.broker.guard import BrokerGuard
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.alert_recorder import AlertRecorder
from edge_controller.ingest.db import connect
from edge_controller.ingest.executor import DatabaseExecutor
from edge_controller.ingest.office_events import OfficeEvents
from edge_controller.ingest.packet_alerts import PacketAlertTracker
from edge_controller.ingest.pipeline import BeforeCommit, IngestPipeline
from edge_controller.ingest.service import EdgeParts, EdgeService, Reconnects
from edge_controller.power import build_power_watcher
from edge_controller.power.watcher import PowerWatcher
from edge_controller.review.publisher import ReviewPublisher
from edge_controller.roster.publisher import RosterPublisher
from edge_controller.upstream.forwarder import Forwarder
from ektp.mqtt.client import MqttClient
from ektp.regions import RegionTable


def build_edge_service(
    config: EdgeConfig,
    *,
    before_commit: BeforeCommit | None = None,
    clock: Callable[[], float] = time.time,
) -> EdgeService:
    """The edge service for ``config``, ready to ``await run()``.

    ``before_commit`` is for tests only: it is called (on a worker thread) with each
    checked batch that holds a verified packet, just before the commit.
    """

    def now() -> dt.datetime:
        return dt.datetime.fromtimestamp(clock(), dt.UTC)

    reconnects = Reconnects()
    client = MqttClient(config.mqtt, on_connection_change=reconnects.notify)
    db = DatabaseExecutor(config.database.path)
    monitor = BoothMonitor(config.health)
    alerts = AlertRecorder(db, now)
    packet_alerts = PacketAlertTracker(config.health.packet_alert_quiet_seconds)
    roster_publisher = RosterPublisher(config.roster)
    packets = IngestPipeline(
        config.ingest,
        db=db,
        client=client,
        timezone=config.timezone,
        alerts=alerts,
        packet_alerts=packet_alerts,
        on_committed=roster_publisher.request,  # the resident is now recorded
        now=now,
        before_commit=before_commit,
    )
    events = OfficeEvents(
        config.queue,
        db=db,
        client=client,
        timezone=config.timezone,
        now=now,
        regions=RegionTable.from_config(config.region),
    )

    def review_publisher() -> ReviewPublisher:
        return ReviewPublisher(config.review, config.database.path, client, db.run, now)

    def online_booths() -> list[str]:
        views = monitor.snapshot(clock())
        return [view.booth_id for view in views if view.state == "online"]

    open_power: Callable[[], PowerWatcher] | None = None
    if config.power is not None:
        power_config = config.power

        def open_power() -> PowerWatcher:
            return build_power_watcher(
                power_config,
                mqtt=client,
                conn=connect(config.database.path),
                booths_online=online_booths,
                on_alert=alerts.power_alert,
            )

    forwarder = None
    if config.upstream is not None:
        forwarder = Forwarder(
            config.upstream,
            config.database.path,
            timezone=config.timezone,
            on_alert=alerts.upstream_status,
            database=db,
        )
    broker = MosquittoProcess(config.broker) if config.broker else None
    guard = BrokerGuard(
        monitor,
        client,
        alerts.booth_changes,
        log_path=broker.log_path if broker else config.broker_log_path,
        log_from_start=broker is not None,  # the log of the broker we start: all of it
    )
    parts = EdgeParts(
        client=client,
        reconnects=reconnects,
        db=db,
        monitor=monitor,
        alerts=alerts,
        packet_alerts=packet_alerts,
        packets=packets,
        events=events,
        roster_publisher=roster_publisher,
        review_publisher=review_publisher,
        broker=broker,
        broker_guard=guard,
        open_power=open_power,
        forwarder=forwarder,
    )
    return EdgeService(config, parts, clock=clock)
