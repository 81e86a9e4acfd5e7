"""Store-and-forward to central (DESIGN.md lifecycle step 5).

The edge service starts it with one call::

    from edge_controller.upstream import start_forwarder
    forwarder = await start_forwarder(config.upstream, config.database.path,
                                      timezone=config.timezone)
    ...
    forwarder.wake()             # after an ingest commit (optional: it also polls)
    status = await forwarder.status()   # or forwarder.last_status (no I/O)
    await forwarder.stop()

Modules: :mod:`.config` (``UpstreamConfig``), :mod:`.forwarder` (the task),
:mod:`.tus_client` (resumable uploads over mutual TLS), :mod:`.pacing` (bandwidth
cap with office hours), :mod:`.store` (its tables), :mod:`.status` (status and
Prometheus collector). ``python -m edge_controller.upstream`` runs the forwarder
alone; the slow, lossy link the tests, the benchmark and the demo put in front of
central is :mod:`demo.shaping_proxy` (scaffolding, not product).
"""

from edge_controller.config.upstream import OfficeHoursShare, UpstreamConfig
from edge_controller.upstream.forwarder import Forwarder, start_forwarder
from edge_controller.upstream.status import UpstreamCollector, UpstreamStatus
from edge_controller.upstream.store import enqueue_telemetry

__all__ = [
    "Forwarder",
    "OfficeHoursShare",
    "UpstreamCollector",
    "UpstreamConfig",
    "UpstreamStatus",
    "enqueue_telemetry",
    "start_forwarder",
]
