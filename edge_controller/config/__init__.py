"""The edge controller's configuration: one pydantic model per TOML section.

The lowest room of the edge: these modules import no logic module of the edge, and
the logic imports its section from here. ``from edge_controller.config import
EdgeConfig, load_edge_config`` gives the whole file.
"""

from edge_controller.config.edge import EdgeConfig, load_edge_config

__all__ = ["EdgeConfig", "load_edge_config"]
