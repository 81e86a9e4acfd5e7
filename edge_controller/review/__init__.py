"""edge_controller.review."""
