"""edge_controller.planning."""
