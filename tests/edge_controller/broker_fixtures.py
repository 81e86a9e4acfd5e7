"""Fixtures for tests that need the real office broker (mosquitto, TLS, the ACL).

A conftest may import the ``office`` fixture from here; a test module can also define
its own in two lines with :func:`running_office`. ``office`` gives a fresh office CA, a
running mosquitto on a free loopback port with the generated config and ACL, and
helpers that issue identities and connect clients; everything is stopped at teardown.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from ektp.messages import StatusMessage
from ektp.mqtt.client import MqttClient
from ektp.mqtt.config import MqttClientConfig
from ektp.mqtt.message import ReceivedMessage
from ektp.pki import (
    EDGE_IDENTITY,
    IssuedIdentity,
    OfficeCA,
    dev_issue_booth,
    dev_issue_identity,
)

CONNECT_TIMEOUT = 30.0
"""Generous: the test machine has two loaded cores."""

OBSERVER_IDENTITY = "observer"
"""A read-only identity the office broker knows (reads booths/# and office/#): watch
traffic with it, not with a second "edge" client (client id = CN: it would knock the
edge off)."""


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Inbox:
    """A message callback that records what arrives, for assertions."""

    def __init__(self) -> None:
        self._messages: list[ReceivedMessage] = []
        self._lock = threading.Lock()

    def __call__(self, message: ReceivedMessage) -> None:
        with self._lock:
            self._messages.append(message)

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def payloads(self, topic: str | None = None) -> list[Any]:
        return [m.json() for m in self.messages if topic is None or m.topic == topic]

    def wait_for_count(self, count: int, timeout: float = 20.0) -> list[ReceivedMessage]:
        wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages


@dataclass
class Office:
    """An office CA, a running broker and the identities issued so far."""

    root: Path
    ca: OfficeCA
    broker: MosquittoProcess
    identities: dict[str, IssuedIdentity] = field(default_factory=dict)
    clients: list[MqttClient] = field(default_factory=list)

    def identity(self, name: str) -> IssuedIdentity:
        """The identity's TLS files, issued on first use (``edge`` or a booth id)."""
        if name not in self.identities:
            directory = self.root / "identities" / name
            if name == EDGE_IDENTITY:
                self.identities[name] = dev_issue_identity(self.ca, name, directory)
            else:
                self.identities[name] = dev_issue_booth(self.ca, name, directory)
        return self.identities[name]

    def client_config(self, name: str, **overrides: Any) -> MqttClientConfig:
        issued = overrides.pop("issued", None) or self.identity(name)
        values: dict[str, Any] = {
            "host": self.broker.host,
            "port": self.broker.port,
            "identity": name,
            "ca_cert_path": self.ca.cert_path,
            "cert_path": issued.cert_path,
            "key_path": issued.key_path,
            "reconnect_max_delay_seconds": 2,
        }
        if name != EDGE_IDENTITY:
            values["status_topic"] = f"booths/{name}/status"
        values.update(overrides)
        return MqttClientConfig(**values)

    def booth_toml(self, name: str = "booth-01", **uplink: float | int) -> str:
        """The ``[edge]`` section of booth ``name``'s config for this office (and an
        ``[uplink]`` section with ``uplink``'s settings, when given)."""
        issued = self.identity(name)
        text = (
            "[edge]\n"
            f'host = "{self.broker.host}"\n'
            f"port = {self.broker.port}\n"
            f'ca_cert_path = "{self.ca.cert_path}"\n'
            f'cert_path = "{issued.cert_path}"\n'
            f'key_path = "{issued.key_path}"\n'
        )
        if uplink:
            text += "[uplink]\n" + "".join(f"{key} = {value}\n" for key, value in uplink.items())
        return text

    def client(
        self,
        name: str,
        *,
        connect: bool = True,
        on_connection_change: Callable[[bool], None] | None = None,
        **overrides: Any,
    ) -> MqttClient:
        """A started client for ``name`` (connected unless ``connect=False``), telling
        ``on_connection_change`` each time it connects or drops."""
        config = self.client_config(name, **overrides)
        return self.started(MqttClient(config, on_connection_change=on_connection_change), connect)

    def booth_client(self, booth_id: str, software_version: str) -> MqttClient:
        """A connected client for ``booth_id`` that says it is online and leaves a valid
        ``offline`` will, as a real booth does (the edge counts it as a booth)."""

        def status(state: Literal["online", "offline"]) -> dict[str, Any]:
            message = StatusMessage(
                booth_id=booth_id, state=state, software_version=software_version
            )
            return message.model_dump(mode="json", exclude_none=True)

        client = MqttClient(
            self.client_config(booth_id),
            online_payload=status("online"),
            offline_payload=status("offline"),
        )
        return self.started(client)

    def started(self, client: MqttClient, connect: bool = True) -> MqttClient:
        """``client`` started (stopped with the office), connected unless ``connect=False``."""
        self.clients.append(client)
        client.start()
        if connect:
            client.wait_until_connected(CONNECT_TIMEOUT)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.stop(publish_offline=False, timeout=2.0)
        self.broker.close()


def office_broker_config(ca: OfficeCA, root: Path, **settings: Any) -> BrokerConfig:
    """The office broker on a free loopback port, with a server certificate from ``ca``."""
    server = ca.issue_server_certificate(root / "broker-tls")
    return BrokerConfig(
        port=free_loopback_port(),
        ca_cert_path=ca.cert_path,
        server_cert_path=server.cert_path,
        server_key_path=server.key_path,
        **settings,
    )


def start_office(root: Path, office_name: str = "Kecamatan Gunung Tabur") -> Office:
    ca = OfficeCA.create(root / "ca", office_name)
    config = office_broker_config(
        ca,
        root,
        crl_path=ca.crl_path,
        persistence=False,
        observer_identities=[OBSERVER_IDENTITY],
    )
    # its own runtime directory under /tmp: mosquitto (dropped to its own user)
    # cannot traverse pytest's private tmp_path
    broker = MosquittoProcess(config)
    broker.start()
    return Office(root=root, ca=ca, broker=broker)


def running_office(root: Path) -> Iterator[Office]:
    """Generator body for an ``office`` fixture: start, yield, always close."""
    with contextlib.closing(start_office(root)) as running:
        yield running


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    """A running office broker with its own CA; identities issued on demand."""
    yield from running_office(tmp_path)
