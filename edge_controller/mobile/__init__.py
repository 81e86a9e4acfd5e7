"""edge_controller.mobile."""
