"""The supervisor's button on the upstream page releases the records central refused for
good, audited like ``rekam-edge upstream retry-held`` (who pressed it is on record).

Against the reference central (real HTTPS, mutual TLS) holding the wrong public key for
booth-01 until the test puts the right one back.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi.testclient import TestClient

from edge_controller.ingest.db import connect
from edge_controller.web.app import create_app
from edge_controller.web.auth import add_user
from edge_controller.web.deps import WebDeps
from ektp.i18n_build import compile_catalogs
from tests.edge_controller.upstream.upstream_fixtures import (
    CentralProcess,
    Pki,
    commit_packets,
    edge_rows,
    forwarded_ids,
    held_retry_entry,
    make_packets,
    module_central,
    run_forwarder,
    upstream_config,
    wrong_booth_key_at_central,
)

REPO = Path(__file__).resolve().parents[3]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
USERS = {"camat": ("rahasia-camat-1", "supervisor"), "operator1": ("rahasia-op-1", "operator")}


def held(database: Path) -> int:
    return len(edge_rows(database, "SELECT 1 FROM upstream_uploads WHERE held_code IS NOT NULL"))


def logged_in(database: Path, username: str) -> TestClient:
    deps = WebDeps(
        database_path=database,
        office_name="Kecamatan Gunung Tabur",
        session_secret="test-secret-" + "x" * 40,
    )
    client = TestClient(create_app(deps))
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": USERS[username][0], "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_a_supervisor_sends_held_records_again_from_the_upstream_page(
    central: tuple[Pki, CentralProcess], tmp_path: Path
) -> None:
    compile_catalogs(REPO)
    pki, server = central
    database = tmp_path / "edge.sqlite3"
    packets = make_packets(pki, 2, photo_bytes=2000, first=401)
    commit_packets(database, pki, packets)
    conn = connect(database)
    try:
        for name, (password, role) in USERS.items():
            add_user(conn, name, password, role)
    finally:
        conn.close()
    config = upstream_config(pki, server.port)
    with wrong_booth_key_at_central(pki):
        asyncio.run(run_forwarder(config, database, until=lambda: held(database) == 2))

    with logged_in(database, "operator1") as operator:
        page = operator.get("/upstream").text
        assert 'id="retry-held"' not in page  # operators see the count, not the button
        token = CSRF.search(page)
        assert token is not None
        refused = operator.post("/upstream/retry-held", data={"csrf_token": token[1]})
        assert refused.status_code == 403
    assert held(database) == 2

    with logged_in(database, "camat") as supervisor:
        page = supervisor.get("/upstream").text
        assert 'id="retry-held"' in page
        form = page.split('id="retry-held"', 1)[1]
        token = CSRF.search(form)
        assert token is not None
        answer = supervisor.post("/upstream/retry-held", data={"csrf_token": token[1]})
        assert answer.status_code == 200
        assert 'id="upstream-released"' in answer.text
        assert 'id="retry-held"' not in answer.text  # nothing held any more
    assert held(database) == 0

    entry = held_retry_entry(database)
    assert entry.fields["actor"] == "web:camat"
    assert entry.fields["count"] == 2

    asyncio.run(run_forwarder(config, database))  # the forwarder takes them as new
    assert forwarded_ids(database) == {str(p.packet_id) for p in packets}
