"""The edge dashboard: server-rendered pages, a JSON API and Prometheus /metrics.

``create_app(deps)`` builds the FastAPI app; ``start_dashboard_for_service(service,
web_config)`` runs it in the edge service's loop; ``user_add(...)`` is what
``rekam-edge user add`` calls.

Names resolve lazily, so ``edge_controller.config`` can import ``web.config`` without
pulling in the pages (which import the service's own modules).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge_controller.web.app import create_app
    from edge_controller.web.auth import UserError, add_user, user_add
    from edge_controller.web.config import WebConfig
    from edge_controller.web.deps import PowerView, UpstreamView, WebDeps
    from edge_controller.web.serve import (
        Dashboard,
        deps_for_service,
        start_dashboard,
        start_dashboard_for_service,
    )

_WHERE = {
    "create_app": "app",
    "UserError": "auth",
    "add_user": "auth",
    "user_add": "auth",
    "WebConfig": "config",
    "PowerView": "deps",
    "UpstreamView": "deps",
    "WebDeps": "deps",
    "Dashboard": "serve",
    "deps_for_service": "serve",
    "start_dashboard": "serve",
    "start_dashboard_for_service": "serve",
}

__all__ = [
    "Dashboard",
    "PowerView",
    "UpstreamView",
    "UserError",
    "WebConfig",
    "WebDeps",
    "add_user",
    "create_app",
    "deps_for_service",
    "start_dashboard",
    "start_dashboard_for_service",
    "user_add",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        if name in {"api", "app", "auth", "config", "data", "deps", "metrics", "pages", "serve"}:
            return importlib.import_module(f"edge_controller.web.{name}")
        raise AttributeError(f"module 'edge_controller.web' has no attribute {name!r}")
    return getattr(importlib.import_module(f"edge_controller.web.{module}"), name)
