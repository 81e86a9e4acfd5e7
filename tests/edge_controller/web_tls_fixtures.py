"""The dashboard served for real: uvicorn over HTTPS with a certificate from the office CA.

:func:`served_dashboard` runs :func:`~edge_controller.web.serve.start_dashboard` in an
asyncio loop of its own thread (as the edge service does in its loop) and yields the
running :class:`~edge_controller.web.serve.Dashboard`; clients trust the office CA only
(:func:`office_trust`), as an office PC that was given the CA's certificate does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web_fixtures import Office

from edge_controller.config.web import WebConfig
from edge_controller.web.serve import Dashboard, start_dashboard
from ektp.pki import IssuedIdentity, OfficeCA

OFFICE_NAME = "Kecamatan Gunung Tabur"


@dataclass(frozen=True)
class OfficeTls:
    ca: OfficeCA
    dashboard: IssuedIdentity


def issue_dashboard_certificate(root: Path) -> OfficeTls:
    """An office CA and the dashboard's server certificate from it (as for the broker)."""
    ca = OfficeCA.create(root / "office-ca", OFFICE_NAME)
    issued = ca.issue_server_certificate(
        root / "web-tls", common_name="dashboard", dns_names=("localhost",)
    )
    return OfficeTls(ca, issued)


def office_trust(ca_cert_path: Path) -> ssl.SSLContext:
    """A client TLS context that trusts the office CA and nothing else."""
    return ssl.create_default_context(cafile=str(ca_cert_path))


def tls_web_config(tls: OfficeTls, **changes: Any) -> WebConfig:
    values: dict[str, Any] = {
        "port": 0,
        "http_redirect_port": 0,
        "dashboard_refresh_seconds": 0,
        "tls_cert_path": tls.dashboard.cert_path,
        "tls_key_path": tls.dashboard.key_path,
    }
    values.update(changes)
    return WebConfig(**values)


@contextlib.contextmanager
def served_dashboard(office: Office, web: WebConfig) -> Iterator[Dashboard]:
    """The office's dashboard running on ``web``'s ports in a loop of its own thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="dashboard-loop", daemon=True)
    thread.start()
    try:
        dashboard = asyncio.run_coroutine_threadsafe(
            start_dashboard(office.deps(web=web)), loop
        ).result(timeout=60)
        try:
            yield dashboard
        finally:
            asyncio.run_coroutine_threadsafe(dashboard.stop(), loop).result(timeout=60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
