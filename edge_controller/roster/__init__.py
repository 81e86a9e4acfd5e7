"""edge_controller.roster."""
