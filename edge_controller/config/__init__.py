"""edge_controller.config."""
