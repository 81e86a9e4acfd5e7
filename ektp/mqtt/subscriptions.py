"""Subscribe as soon as a client is connected, from a background thread.

Booth feeds (power, roster digests, reviews, the office CRL) attach to an
:class:`~ektp.mqtt.client.MqttClient` that may not be connected yet: the subscription is
made once it is (and the client keeps it across reconnects); a refusal is retried each
second until ``stop`` is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.mqtt.message import MessageCallback

log = logging.getLogger(__name__)


def subscribe_when_connected(
    client: MqttClient,
    topics: Sequence[str],
    callback: MessageCallback,
    *,
    stop: threading.Event,
    name: str,
) -> threading.Thread:
    """Start a daemon thread ``name`` that subscribes ``callback`` to each of ``topics``."""

    def subscribe() -> None:
        pending = list(topics)
        while pending and not stop.is_set():
            if not client.connected.wait(1.0):
                continue
            try:
                client.subscribe(pending[0], callback)
                pending.pop(0)
            except MqttError as err:
                log.warning("%s: cannot subscribe to %s yet: %s", name, pending[0], err.code)
                stop.wait(1.0)

    thread = threading.Thread(target=subscribe, name=name, daemon=True)
    thread.start()
    return thread
