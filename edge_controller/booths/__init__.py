"""edge_controller.booths."""
