"""The demo's residents appear on "Waktu layanan": after ``python -m demo --once``, the
kept office's dashboard shows their visits, stage by stage, and their operator."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.edge_controller.web_fixtures import dashboard_client

QUICK_RUN = ("--residents", "2", "--speed", "8", "--once")
LOGIN = re.compile(r"dashboard: \S+  \(login (\S+) / (\S+)\)")


def test_the_demo_residents_appear_on_the_service_times_page(tmp_path: Path) -> None:
    directory = tmp_path / "office"
    done = subprocess.run(
        [sys.executable, "-m", "demo", *QUICK_RUN, "--keep", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

    printed = LOGIN.search(done.stdout)  # the login the demo prints for its visitor
    assert printed is not None
    username, password = printed.groups()
    database = directory / "edge.sqlite3"
    office = "Kecamatan Gunung Tabur"
    with dashboard_client(database, (username, password), office_name=office) as client:
        body = client.get("/api/v1/service-times").json()
        stages = {stage["name"]: stage["count"] for stage in body["stages"]}
        assert stages == {"waiting": 2, "call_to_capture": 2, "capture_to_sealed": 2, "visit": 2}
        (operator,) = body["operators"]
        assert operator["recorded"] == 2
        page = client.get("/service-times").text
        assert f'data-operator="{operator["operator_id"]}"' in page
        assert 'id="chart-waiting"' in page
