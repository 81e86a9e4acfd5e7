"""The edge's ingest and the service that owns it.

* :mod:`~edge_controller.ingest.build` — ``build_edge_service(config)``: the wiring;
* :mod:`~edge_controller.ingest.service` — :class:`EdgeService`: life cycle and routing;
* :mod:`~edge_controller.ingest.pipeline` — :class:`IngestPipeline`: check → group
  commit → ack;
* :mod:`~edge_controller.ingest.checks` — verifying, storing and acking packets;
* :mod:`~edge_controller.ingest.office_events` — booth events, practice results and the
  retained office queue;
* :mod:`~edge_controller.ingest.alert_recorder`, :mod:`~edge_controller.ingest.packet_alerts`
  — alerts stored in the background;
* :mod:`~edge_controller.ingest.executor` — the one database thread;
* :mod:`~edge_controller.ingest.db` — the edge database: connections and migrations;
* :mod:`~edge_controller.ingest.dashboard` — the dashboard's dependencies, handed over.
"""
