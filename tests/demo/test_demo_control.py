"""A visitor at the running demo uses ``python -m demo control``: cuts the mains, starts
the generator, cuts the internet, breaks the fingerprint sensor — and sees Rekam react
on ``office/power``, on the dashboard and in the upstream backlog. Ctrl-C then stops
everything the demo started.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from demo_fixtures import orphaned_daemons, processes_mentioning

from ektp.mqtt.client import MqttClient
from ektp.mqtt.config import MqttClientConfig
from ektp.mqtt.message import ReceivedMessage
from ektp.pki import OfficeCA, dev_issue_identity
from tests.waiting import wait_for as poll_until

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300.0
REACT_TIMEOUT = 60.0
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.slow  # a whole demo office for the module


def wait_for(what: str, condition: Callable[[], Any], timeout: float = REACT_TIMEOUT) -> Any:
    """Polled gently: each status query starts a ``demo control`` process."""
    return poll_until(condition, timeout, what, interval=0.25)


@dataclass
class RunningDemo:
    root: Path
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)

    def control(self, action: str, *extra: str) -> dict[str, Any]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "demo",
                "control",
                action,
                "--dir",
                str(self.root),
                "--json",
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        reply: dict[str, Any] = json.loads(done.stdout)
        return reply

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.control("status")["status"]
        return status


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    before = orphaned_daemons()
    root = tmp_path_factory.mktemp("demo-office")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "demo", "--headless", "--residents", "1", "--every", "1",
            "--speed", "8", "--keep", str(root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )  # fmt: skip
    running = RunningDemo(root, process)
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(
        target=lambda: running.lines.extend(iter(stdout.readline, "")), daemon=True
    )
    reader.start()
    try:
        wait_for(
            "the demo to be up",
            lambda: "Ctrl-C stops everything" in running.output() or process.poll() is not None,
            START_TIMEOUT,
        )
        assert process.poll() is None, running.output()[-3000:]
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        reader.join(10)
    assert process.returncode == 0, running.output()[-3000:]
    assert "everything the demo started has stopped." in running.output()
    assert orphaned_daemons() - before == set()
    assert processes_mentioning(str(root)) == []  # central, the booth's helpers: all gone


@pytest.fixture(scope="module")
def dashboard(demo: RunningDemo) -> Iterator[httpx.Client]:
    url = re.search(
        r"dashboard: (http://127\.0\.0\.1:\d+)\s+\(login (\S+) / (\S+)\)", demo.output()
    )
    assert url, demo.output()[-2000:]
    with httpx.Client(base_url=url.group(1), timeout=30) as client:
        page = client.get("/login").text
        token = CSRF_INPUT.search(page)
        assert token
        client.post(
            "/login",
            data={
                "username": url.group(2),
                "password": url.group(3),
                "csrf_token": token.group(1),
                "next": "/",
            },
        )
        yield client


@pytest.fixture(scope="module")
def power_messages(demo: RunningDemo) -> Iterator[list[dict[str, Any]]]:
    """What a booth-side subscriber sees on ``office/power`` (a visitor's own certificate)."""
    port = re.search(r"on 127\.0\.0\.1:(\d+)", demo.output())
    assert port
    ca = OfficeCA.load(demo.root / "ca")
    issued = dev_issue_identity(ca, "booth-99", demo.root / "visitor-tls")
    client = MqttClient(
        MqttClientConfig(
            host="127.0.0.1",
            port=int(port.group(1)),
            identity="booth-99",
            ca_cert_path=ca.cert_path,
            cert_path=issued.cert_path,
            key_path=issued.key_path,
        )
    )
    seen: list[dict[str, Any]] = []

    def received(message: ReceivedMessage) -> None:
        seen.append(json.loads(message.payload))

    client.start()
    try:
        client.wait_until_connected(30)
        client.subscribe("office/power", received)
        yield seen
    finally:
        client.stop(publish_offline=False, timeout=5)


def latest_state(seen: list[dict[str, Any]]) -> str | None:
    return seen[-1]["state"] if seen else None


def test_cutting_the_mains_puts_the_office_on_battery(
    demo: RunningDemo, power_messages: list[dict[str, Any]], dashboard: httpx.Client
) -> None:
    wait_for("office/power to say MAINS", lambda: latest_state(power_messages) == "MAINS")
    reply = demo.control("cut-mains")
    assert "UPS OB" in reply["said"]
    wait_for("ON_BATTERY on office/power", lambda: latest_state(power_messages) == "ON_BATTERY")
    assert power_messages[-1]["runtime_left_s"] > 0
    wait_for(
        "the dashboard to show it",
        lambda: dashboard.get("/api/v1/power").json()["state"] == "ON_BATTERY",
    )

    demo.control("generator-on")
    wait_for("GENERATOR on office/power", lambda: latest_state(power_messages) == "GENERATOR")
    demo.control("restore-mains")
    demo.control("generator-off")
    wait_for("MAINS again", lambda: latest_state(power_messages) == "MAINS")
    assert demo.status()["office_power"] == "MAINS"


def test_cutting_the_internet_holds_records_at_the_edge_until_it_is_back(demo: RunningDemo) -> None:
    wait_for("a first record at central", lambda: demo.status().get("records_at_central", 0) >= 1)
    demo.control("cut-internet")
    at_cut = demo.status()
    central_at_cut = at_cut["records_at_central"]
    wait_for("new records waiting at the edge", lambda: demo.status()["upstream"]["backlog"] >= 2)
    during = demo.status()
    assert during["internet"] == "cut"
    assert during["records_at_central"] == central_at_cut  # nothing gets through
    assert during["records_at_edge"] > at_cut["records_at_edge"]

    demo.control("restore-internet")

    def drained() -> bool:
        status = demo.status()
        return status["records_at_central"] >= during["records_at_edge"]

    wait_for("the backlog to drain to central", drained)
    after = demo.status()
    assert after["upstream"]["last_success_at"] > (during["upstream"]["last_success_at"] or "")


def test_breaking_the_sensor_shows_on_the_dashboard_and_pauses_recording(
    demo: RunningDemo, dashboard: httpx.Client
) -> None:
    def fingerprint_state() -> str | None:
        booths = {booth["booth_id"]: booth for booth in dashboard.get("/api/v1/booths").json()}
        devices = {device["name"]: device for device in booths["booth-01"]["devices"]}
        return devices["fingerprint"]["state"] if "fingerprint" in devices else None

    wait_for("the sensor reported ok", lambda: fingerprint_state() == "ok")
    reply = demo.control("break-sensor")
    assert "broken" in reply["said"]
    wait_for(
        "the dashboard to show the sensor failing", lambda: fingerprint_state() == "unavailable"
    )
    booths = {booth["booth_id"]: booth for booth in dashboard.get("/api/v1/booths").json()}
    assert any(alert["kind"] == "device_failed" for alert in booths["booth-01"]["alerts"])
    wait_for(
        "the booth to stop calling residents",
        lambda: "booth waits: the fingerprint sensor" in demo.output(),
    )

    demo.control("fix-sensor")
    wait_for("the sensor back to ok", lambda: fingerprint_state() == "ok")
    assert demo.status()["booths"]["booth-01"]["sensor"] == "ok"
