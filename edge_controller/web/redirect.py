"""The plain-HTTP listener of an HTTPS dashboard: every request is sent to HTTPS.

Someone typing the edge's address without ``https://`` (or an old bookmark) lands on the
same path over HTTPS. The redirect keeps the host name the browser used (only a plain
host name or address is accepted from the ``Host`` header, else the listener's own
address) and swaps the port for the HTTPS one.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

HOST_NAME = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def https_location(request: Request, https_port: int) -> str:
    """Where ``request`` goes over HTTPS."""
    host_header = request.headers.get("host", "")
    found = HOST_NAME.match(host_header)
    if found:
        host = found.group(1)
    else:
        server = request.scope.get("server") or ("127.0.0.1", 0)
        host = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    port = "" if https_port == 443 else f":{https_port}"
    return f"https://{host}{port}{path}"


def redirect_app(https_port: int) -> ASGIApp:
    """An ASGI app that answers every HTTP request with a 308 to the HTTPS dashboard."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response: Response
        try:
            response = RedirectResponse(https_location(request, https_port), status_code=308)
        except ValueError:
            response = PlainTextResponse("bad request", status_code=400)
        await response(scope, receive, send)

    return app
