"""Records central refused for good: an office alert naming how many and why, and the
supervisor's audited ``rekam-edge upstream retry-held`` that sends them again, or the
same from the button on the upstream page (who pressed it is on record).

Against the reference central (real HTTPS, mutual TLS) holding the wrong public key
for booth-01, as when central registered a replaced unit's key by mistake.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
from pathlib import Path

import pytest

from edge_controller.booths.monitor import office_alerts
from edge_controller.cli import main as rekam_edge
from edge_controller.config.example import EXAMPLE_CONFIG_TOML
from edge_controller.ingest.db import connect
from edge_controller.upstream.held import HELD_ALERT, sync_held_alert
from tests.edge_controller.upstream.upstream_fixtures import (
    CentralProcess,
    Pki,
    forwarded_ids,
    held_codes,
    held_retry_entry,
    make_packets,
    module_central,
    refused_for_good,
    run_forwarder,
)
from tests.edge_controller.web_fixtures import (
    OPERATOR,
    SUPERVISOR,
    add_edge_user,
    csrf_from,
    dashboard_client,
)

OFFICE = "Kecamatan Gunung Tabur"


def edge_config_file(root: Path, database: Path) -> Path:
    """The default edge config with this test's database (what ``--config`` reads)."""
    text = EXAMPLE_CONFIG_TOML.replace("/var/lib/rekam/edge.sqlite3", str(database))
    path = root / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def open_held_alerts(database: Path) -> list[str]:
    conn = connect(database)
    try:
        return [alert.detail for alert in office_alerts(conn) if alert.kind == HELD_ALERT]
    finally:
        conn.close()


def sync_alert(database: Path) -> None:
    """What the running service does every idle poll (``watch_held``)."""
    conn = connect(database)
    try:
        sync_held_alert(conn, dt.datetime.now(dt.UTC))
    finally:
        conn.close()


def test_held_records_raise_an_alert_and_a_supervisor_sends_them_again(
    central: tuple[Pki, CentralProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki, server = central
    database = tmp_path / "edge.sqlite3"
    packets = make_packets(pki, 2, photo_bytes=2000, first=301)
    config = refused_for_good(pki, server, database, packets)
    [code] = set(held_codes(database))

    sync_alert(database)
    [detail] = open_held_alerts(database)
    assert detail.startswith("2 record(s) refused by central and held")
    assert f"{code} × 2" in detail
    assert "retry-held" in detail  # says what to do

    config_file = edge_config_file(tmp_path, database)
    assert rekam_edge(["upstream", "retry-held", "--config", str(config_file), "--code", "x"]) == 0
    assert held_codes(database) == [code, code]  # another code: nothing sent again

    assert rekam_edge(["upstream", "retry-held", "--config", str(config_file)]) == 0
    assert "2 held record(s) will be sent again" in capsys.readouterr().out
    assert held_codes(database) == []
    assert open_held_alerts(database) == []  # the alert cleared with the hold

    entry = held_retry_entry(database)
    assert entry.fields["actor"] == f"cli:{getpass.getuser()}"
    assert entry.fields["count"] == 2
    assert sorted(entry.fields["packet_ids"]) == sorted(str(p.packet_id) for p in packets)

    asyncio.run(run_forwarder(config, database))  # the forwarder takes them as new
    assert forwarded_ids(database) == {str(p.packet_id) for p in packets}
    sync_alert(database)
    assert open_held_alerts(database) == []


def test_the_alert_text_follows_the_number_held(
    central: tuple[Pki, CentralProcess], tmp_path: Path
) -> None:
    pki, server = central
    database = tmp_path / "edge.sqlite3"
    refused_for_good(pki, server, database, make_packets(pki, 1, photo_bytes=2000, first=311))
    sync_alert(database)
    assert open_held_alerts(database)[0].startswith("1 record(s)")
    refused_for_good(pki, server, database, make_packets(pki, 2, photo_bytes=2000, first=312))
    sync_alert(database)
    [detail] = open_held_alerts(database)  # still one alert, its text brought up to date
    assert detail.startswith("3 record(s)")


def test_a_supervisor_sends_held_records_again_from_the_upstream_page(
    central: tuple[Pki, CentralProcess], tmp_path: Path
) -> None:
    pki, server = central
    database = tmp_path / "edge.sqlite3"
    packets = make_packets(pki, 2, photo_bytes=2000, first=401)
    add_edge_user(database, SUPERVISOR, "supervisor")
    add_edge_user(database, OPERATOR, "operator")
    config = refused_for_good(pki, server, database, packets)

    with dashboard_client(database, OPERATOR, office_name=OFFICE) as operator:
        page = operator.get("/upstream").text
        assert 'id="retry-held"' not in page  # operators see the count, not the button
        token = csrf_from(page)
        refused = operator.post("/upstream/retry-held", data={"csrf_token": token})
        assert refused.status_code == 403
    assert len(held_codes(database)) == 2

    with dashboard_client(database, SUPERVISOR, office_name=OFFICE) as supervisor:
        page = supervisor.get("/upstream").text
        assert 'id="retry-held"' in page
        form = page.split('id="retry-held"', 1)[1]
        token = csrf_from(form)
        answer = supervisor.post("/upstream/retry-held", data={"csrf_token": token})
        assert answer.status_code == 200
        assert 'id="upstream-released"' in answer.text
        assert 'id="retry-held"' not in answer.text  # nothing held any more
    assert len(held_codes(database)) == 0

    entry = held_retry_entry(database)
    assert entry.fields["actor"] == "web:camat"
    assert entry.fields["count"] == 2

    asyncio.run(run_forwarder(config, database))  # the forwarder takes them as new
    assert forwarded_ids(database) == {str(p.packet_id) for p in packets}
