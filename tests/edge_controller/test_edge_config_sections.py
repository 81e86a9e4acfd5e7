"""The office's own target, plan and calendar in edge.toml, and a complete example config.

An office sets its target share and date, its holidays and working days, and its booths
and minutes per resident in ``[coverage]``, ``[calendar]`` and ``[schedule]``; the
dashboard's coverage page, the JSON API and the schedule follow them.
``rekam-edge --print-default-config`` and provisioning's edge.toml show every section.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from broker_fixtures import Office, office
from edge_db_fixtures import VillageCount, insert_residents, synthetic_roster
from ingest_fixtures import RunningEdge
from web_fixtures import SUPERVISOR, log_in

from edge_controller.cli import main
from edge_controller.config import EdgeConfig, load_edge_config
from edge_controller.config.example import example_config, uncomment_settings
from edge_controller.ingest.db import connect
from edge_controller.web.auth import add_user
from provisioning.inventory import OfficeSettings
from provisioning.office import edge_config_toml

VILLAGES = (
    VillageCount("Sambakungan", rt_count=6, wajib_ktp=60),
    VillageCount("Gunung Tabur", rt_count=4, wajib_ktp=40),
)
REPORT_DAY = "2012-03-21"  # a Wednesday; nothing recorded yet


def office_edge_toml(office: Office, root: Path) -> str:
    """An edge.toml as an office would write it: target, holidays, Saturdays worked."""
    issued = office.identity("edge")
    return f"""\
office_name = "Kecamatan Gunung Tabur"

[mqtt]
host = "{office.broker.host}"
port = {office.broker.port}
identity = "edge"
ca_cert_path = "{office.ca.cert_path}"
cert_path = "{issued.cert_path}"
key_path = "{issued.key_path}"

[database]
path = "{root / "edge.sqlite3"}"

[web]
port = 0
session_secret_path = "{root / "web-session.key"}"

[coverage]
target_share = 0.7
target_date = 2012-03-26

[schedule]
kits = 1
minutes_per_resident = 48.0

[calendar]
weekly_days_off = ["sunday"]
holidays = [2012-03-22, 2012-03-23]
"""


def paragraph(page: str, element_id: str) -> str:
    found = re.search(rf'<p id="{element_id}">(.*?)</p>', page, re.DOTALL)
    assert found, f"the page has no #{element_id}"
    return found.group(1)


def get_json(web: httpx.Client, path: str) -> Any:
    response = web.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_offices_target_holidays_and_booths_reach_coverage_and_schedule(
    office: Office, tmp_path: Path
) -> None:
    path = tmp_path / "edge.toml"
    path.write_text(office_edge_toml(office, tmp_path), encoding="utf-8")
    config = load_edge_config(path)
    conn = connect(config.database.path)
    try:
        insert_residents(conn, synthetic_roster(VILLAGES, adult_on=dt.date(2012, 3, 1)))
        add_user(conn, *SUPERVISOR, "supervisor")
    finally:
        conn.close()

    edge = RunningEdge(config)
    try:
        dashboard = edge.service.dashboard
        assert dashboard is not None
        with httpx.Client(base_url=dashboard.url, timeout=30) as web:
            assert log_in(web, *SUPERVISOR).status_code == 303  # type: ignore[arg-type]
            coverage = get_json(web, f"/api/v1/coverage?as_of={REPORT_DAY}")
            schedule = get_json(web, "/api/v1/schedule?start=2012-03-22")
            page = web.get(f"/coverage?as_of={REPORT_DAY}").text
    finally:
        edge.stop()

    # the office's target: 70% of 100 residents by Monday 26 March
    assert coverage["target_share"] == 0.7
    assert coverage["target_date"] == "2012-03-26"
    assert coverage["total"]["target"] == 70
    # 22 and 23 March are holidays, Sunday is off, Saturday is worked:
    # 24 and 26 March are left, so 35 a day are needed (not 70 / 3 by the default calendar)
    assert coverage["projection"]["remaining"] == 70
    assert coverage["projection"]["needed_per_working_day"] == 35.0
    assert "70.0%" in paragraph(page, "coverage-total")  # the target share
    assert "26 Maret 2012" in paragraph(page, "projection")  # the target date, in Indonesian

    # one booth at 48 minutes a resident records 10 a day; no holiday, no Sunday
    assert schedule["kits"] == 1
    assert schedule["capacity"] == 10
    dates = [dt.date.fromisoformat(day["date"]) for day in schedule["days"]]
    assert dates[0] == dt.date(2012, 3, 24)  # the first working day from the 22nd
    assert not {dt.date(2012, 3, 22), dt.date(2012, 3, 23)} & set(dates)
    assert all(day.weekday() != 6 for day in dates)
    assert any(day.weekday() == 5 for day in dates)  # Saturdays are worked


def printed_default_config(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--print-default-config"]) == 0
    return capsys.readouterr().out


def section_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def test_printed_default_config_is_valid_and_shows_every_section(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = printed_default_config(capsys)
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")

    config = load_edge_config(path)

    assert config == example_config()
    lines = section_lines(text)
    for name, info in EdgeConfig.model_fields.items():
        shown = {f"[{name}]", f"#[{name}]"} & lines or any(
            line.startswith(f"{name} = ") for line in lines
        )
        assert shown, f"{name} is missing from --print-default-config"
        assert info.description
        assert info.description.split()[0] in text
    assert {"[web]", "[coverage]", "[schedule]", "[calendar]"} <= lines
    assert {"#[power]", "#[upstream]", "#[broker]"} <= lines  # optional, commented out


def test_uncommenting_the_optional_sections_gives_a_valid_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = EdgeConfig.model_validate(
        tomllib.loads(uncomment_settings(printed_default_config(capsys)))
    )

    assert config.power is not None
    assert config.power.ups.backend == "real"
    assert config.power.generator is not None
    assert config.upstream is not None
    assert config.upstream.central_url.startswith("https://")
    assert config.broker is not None


def test_provisioned_edge_toml_has_the_dashboard_and_the_office_sections(
    tmp_path: Path,
) -> None:
    settings = OfficeSettings(
        name="Kecamatan Gunung Tabur",
        edge_host="192.168.10.2",
        ssh_private_key=tmp_path / "id_ed25519",
    )
    text = edge_config_toml(settings)

    config = EdgeConfig.model_validate(tomllib.loads(text))

    assert config.office_name == "Kecamatan Gunung Tabur"
    assert config.web is not None
    assert config.web.host == "0.0.0.0"
    lines = section_lines(text)
    assert {"[web]", "[coverage]", "[schedule]", "[calendar]", "[review]"} <= lines
    assert {"#[power]", "#[upstream]"} <= lines
    uncommented = EdgeConfig.model_validate(tomllib.loads(uncomment_settings(text)))
    assert uncommented.power is not None
    assert uncommented.upstream is not None
