"""edge_controller.broker."""
