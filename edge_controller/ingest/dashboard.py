"""The dashboard's dependencies, handed over explicitly by the edge service.

The service calls :func:`dashboard_deps` with what lives in its memory (the booth
registry, the power watcher, the forwarder, the refusal counters) and gives the
resulting :class:`~edge_controller.web.deps.WebDeps` to
:func:`edge_controller.web.serve.start_dashboard`. The web package never sees the
service.
"""

from __future__ import annotations

from collections.abc import Callable

from edge_controller.booths.monitor import BoothView
from edge_controller.config.edge import EdgeConfig
from edge_controller.config.web import WebConfig
from edge_controller.power.watcher import PowerWatcher
from edge_controller.upstream.forwarder import Forwarder
from edge_controller.upstream.status import UpstreamCollector, UpstreamStatus
from edge_controller.web.deps import PowerView, UpstreamView, WebDeps
from edge_controller.web.upstream_data import upstream_view_of

Counts = Callable[[], dict[str, dict[str, int]]]


def power_view_of(watcher: PowerWatcher | None) -> PowerView:
    """The dashboard's view of the power watcher's latest message (unknown without one)."""
    message = watcher.last_message if watcher is not None else None
    if message is None:
        return PowerView()
    return PowerView(
        state=message.state,
        battery_charge_percent=message.battery_charge_pct,
        runtime_seconds=message.runtime_left_s,
    )


def dashboard_deps(
    config: EdgeConfig,
    web: WebConfig,
    *,
    booths: Callable[[], list[BoothView]],
    power: PowerWatcher | None,
    forwarder: Forwarder | None,
    rejections: Counts,
    message_rejections: Counts,
) -> WebDeps:
    """The deps of a dashboard running in the service's loop.

    ``booths`` is called on that loop (it must return at once); the power and upstream
    views are read from the running watcher and forwarder on every request.
    """

    def live_power() -> PowerView:
        return power_view_of(power)

    def live_upstream() -> UpstreamView:
        return upstream_view_of(forwarder)

    def latest_upstream_status() -> UpstreamStatus | None:
        return forwarder.last_status if forwarder is not None else None

    return WebDeps(
        database_path=config.database.path,
        booths=booths,
        power=live_power,
        upstream=live_upstream,
        rejections=rejections,
        message_rejections=message_rejections,
        office_name=config.office_name,
        timezone=config.timezone,
        software_version=config.software_version,
        queue_config=config.queue,
        coverage=config.coverage,
        schedule=config.schedule,
        calendar=config.calendar,
        web=web,
        collectors=(UpstreamCollector(latest_upstream_status),),
        review=config.review,
        region=config.region,
    )
