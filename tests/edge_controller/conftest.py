"""The dashboard fixtures every edge test may ask for by name: a seeded office
(``web_office``), its app (``web_app``) and a client logged out (``anonymous``), as
supervisor (``supervisor``) or as operator (``operator``). See :mod:`web_fixtures`."""

from __future__ import annotations

from web_fixtures import anonymous, operator, supervisor, web_app, web_office

__all__ = ["anonymous", "operator", "supervisor", "web_app", "web_office"]
