"""Prometheus ``/metrics``: booths, alerts, queue, packets, coverage, power, backlog.

No login (Prometheus scrapes it); it listens where the dashboard listens. Each scrape
builds a fresh registry from what the dashboard would show, so nothing is global and
nothing goes stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge_controller.web import data
from edge_controller.web.context import get_deps
from edge_controller.web.deps import resolve
from edge_controller.web.office_alerts import open_office_alerts
from ektp.power import PowerState

router = APIRouter(include_in_schema=False)
BOOTH_STATES = ("online", "silent", "offline", "unknown", "unregistered")
POWER_STATES = tuple(PowerState)
"""As the power watcher reports them (``PowerMessage.state``); the dashboard's "not read
yet" placeholder (``unknown``) counts as UNKNOWN."""


class _Snapshot(Collector):
    """Yields metric families built before the scrape."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _refusals(
    name: str, documentation: str, counts: dict[str, dict[str, int]]
) -> CounterMetricFamily:
    """A counter per booth and refusal code, from ``{booth: {code: count}}``."""
    family = CounterMetricFamily(name, documentation, labels=["booth", "code"])
    for booth_id, codes in sorted(counts.items()):
        for code, count in sorted(codes.items()):
            family.add_metric([booth_id, code], count)
    return family


async def _families(request: Request) -> list[Metric]:
    booths = await data.booth_rows(request)
    queue = await data.queue_snapshot(request)
    power = await data.power_view(request)
    upstream, packets = await data.upstream_view(request)
    report = await data.coverage(request)
    rejections: dict[str, dict[str, int]] = await resolve(get_deps(request).rejections)
    refused_messages: dict[str, dict[str, int]] = await resolve(
        get_deps(request).message_rejections
    )

    state = _gauge("rekam_booth_state", "1 for the booth's current state.", ["booth", "state"])
    depth = _gauge("rekam_booth_outbox_depth", "Packets not yet acked by the edge.", ["booth"])
    disk = _gauge("rekam_booth_disk_free_bytes", "Free space on the booth's disk.", ["booth"])
    temperature = _gauge("rekam_booth_cpu_temperature_celsius", "SoC temperature.", ["booth"])
    device_ok = _gauge("rekam_booth_device_ok", "1 when the device is ok.", ["booth", "device"])
    device_errors = _gauge(
        "rekam_booth_device_errors", "Errors since the booth started.", ["booth", "device"]
    )
    alerts = _gauge("rekam_alerts_open", "Open alerts.", ["booth", "kind"])
    for row in booths:
        view = row.view
        for name in BOOTH_STATES:
            state.add_metric([view.booth_id, name], float(view.state == name))
        health = view.health
        if health is not None:
            depth.add_metric([view.booth_id], health.outbox_depth)
            disk.add_metric([view.booth_id], health.disk_free_bytes)
            if health.cpu_temperature_c is not None:
                temperature.add_metric([view.booth_id], health.cpu_temperature_c)
            for device, status in sorted(health.devices.items()):
                device_ok.add_metric([view.booth_id, device], float(status.state == "ok"))
                device_errors.add_metric([view.booth_id, device], status.error_count)
        kinds: dict[str, int] = {}
        for alert in row.alerts:
            kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
        for kind, count in sorted(kinds.items()):
            alerts.add_metric([view.booth_id, kind], count)
    for alert in await open_office_alerts(request):  # office-level: booth=""
        alerts.add_metric(["", alert.kind], 1)

    rejected = _refusals(
        "rekam_packets_rejected", "Packets refused since the edge started.", rejections
    )
    refused = _refusals(
        "rekam_messages_rejected",
        "Status, health and event messages refused since the edge started.",
        refused_messages,
    )

    waiting = GaugeMetricFamily("rekam_queue_waiting", "Tickets waiting.", value=len(queue.waiting))
    called = GaugeMetricFamily(
        "rekam_queue_called", "Tickets being served.", value=len(queue.called)
    )
    stored = _gauge("rekam_packets", "Packets in the edge store by state.", ["state"])
    for name, count in sorted(packets.items()):
        stored.add_metric([name], count)
    backlog = GaugeMetricFamily(
        "rekam_upstream_backlog_packets",
        "Packets not yet forwarded to central.",
        value=upstream.pending_packets or 0,
    )
    power_state = _gauge("rekam_power_state", "1 for the office's power state.", ["state"])
    for power_name in POWER_STATES:
        power_state.add_metric([power_name.value], float(power.state.upper() == power_name))

    required = _gauge("rekam_coverage_required", "Residents who must hold a KTP.", ["kelurahan"])
    recorded = _gauge("rekam_coverage_recorded", "Of them, recorded.", ["kelurahan"])
    for line in report.kelurahan:
        required.add_metric([line.kelurahan or ""], line.required)
        recorded.add_metric([line.kelurahan or ""], line.recorded)
    target = GaugeMetricFamily(
        "rekam_coverage_target_share", "The office's target share.", value=report.target_share
    )
    families: list[Any] = [
        state, depth, disk, temperature, device_ok, device_errors, alerts, rejected, refused,
        waiting, called, stored, backlog, power_state, required, recorded, target,
    ]  # fmt: skip
    return families


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(await _families(request)))
    for collector in get_deps(request).collectors:
        registry.register(collector)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
