"""Schemathesis fuzzes the JSON API from its own OpenAPI spec: no input gives a server error.

In-process (ASGI) against an app over a seeded database (roster, a booth online with a
failing device, queue tickets), logged in as an operator. Each endpoint gets a few
examples (``REKAM_API_FUZZ_EXAMPLES``, default 25) so the run stays short; every
response must be a non-5xx that matches the spec's status codes, content type and
schema.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from web_fixtures import OPERATOR, log_in, seed_office

from edge_controller.web.app import SESSION_COOKIE, create_app
from ektp.messages import DeviceHealth

EXAMPLES = int(os.environ.get("REKAM_API_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def logged_in(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str]]:
    office = seed_office(Path(tmp_path_factory.mktemp("fuzz")))
    office.booth_online("booth-01", outbox_depth=2)
    office.booth_online("booth-02", fingerprint=DeviceHealth(state="unavailable", error_count=3))
    for serial in (1, 2, 3):
        office.check_in(serial=serial)
    office.call_next("booth-01")
    app = create_app(office.deps())
    with TestClient(app) as client:
        assert log_in(client, *OPERATOR).status_code == 303
        cookie = client.cookies[SESSION_COOKIE]
    return app, {"Cookie": f"{SESSION_COOKIE}={cookie}"}


@pytest.fixture(scope="module")
def api_schema(logged_in: tuple[Any, dict[str, str]]) -> Any:
    app, headers = logged_in
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers)


API_PATHS = (
    "/api/v1/me",
    "/api/v1/booths",
    "/api/v1/alerts",
    "/api/v1/queue",
    "/api/v1/power",
    "/api/v1/upstream",
    "/api/v1/coverage",
    "/api/v1/coverage/rts",
    "/api/v1/schedule",
    "/api/v1/not-recorded",
    "/api/v1/power/outages",
    "/api/v1/power/report",
    "/api/v1/reviews",
    "/api/v1/training",
    "/api/v1/mobile",
    "/api/v1/service-times",
)
ACTION_PATHS = ("/api/v1/reviews/{packet_id}/decision",)
"""POST-only routes (CSRF-checked actions), covered by their own feature tests."""


# Schemathesis' own pytest plugin does not run under pytest 9 yet, so each operation's
# hypothesis strategy is driven here directly (the same generation and checks).
@pytest.mark.parametrize("path", API_PATHS)
def test_no_api_input_gives_a_server_error(
    path: str, api_schema: Any, logged_in: tuple[Any, dict[str, str]]
) -> None:
    _, headers = logged_in
    strategy = api_schema[path]["GET"].as_strategy()

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


def test_the_spec_covers_every_api_route(api_schema: Any) -> None:
    assert set(api_schema.raw_schema["paths"]) == set(API_PATHS) | set(ACTION_PATHS)
