"""edge_controller.ingest."""
