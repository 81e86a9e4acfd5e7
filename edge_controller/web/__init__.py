"""The edge dashboard: server-rendered pages, a JSON API and Prometheus /metrics.

``web.app.create_app(deps)`` builds the FastAPI app from explicit dependencies
(``web.deps.WebDeps``); ``web.serve`` runs it in the edge service's loop;
``web.auth.user_add`` is what ``rekam-edge user add`` calls.
"""
