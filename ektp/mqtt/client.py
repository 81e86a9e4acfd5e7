"""One connection to the office broker (see :mod:`ektp.mqtt` for the rules)."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from ektp.i18n import N_
from ektp.mqtt.config import MqttClientConfig
from ektp.mqtt.errors import (
    NOT_AUTHORIZED,
    MqttError,
    MqttNotAuthorized,
    MqttNotConnected,
    MqttRefused,
    MqttTimeout,
)
from ektp.mqtt.message import (
    OFFLINE_PAYLOAD,
    ONLINE_PAYLOAD,
    ConnectionCallback,
    MessageCallback,
    ReceivedMessage,
    encode_payload,
)
from ektp.mqtt.network_loop import BurstReadingClient

log = logging.getLogger(__name__)


class MqttClient:
    """One connection to the office broker; see the module docstring for the rules."""

    def __init__(
        self,
        config: MqttClientConfig,
        *,
        online_payload: Mapping[str, Any] = ONLINE_PAYLOAD,
        offline_payload: Mapping[str, Any] = OFFLINE_PAYLOAD,
        on_connection_change: ConnectionCallback | None = None,
    ) -> None:
        self.config = config
        self.online_payload = dict(online_payload)
        self.offline_payload = dict(offline_payload)
        self._on_connection_change = on_connection_change
        self.connected = threading.Event()
        """Set while connected; cleared as soon as the connection drops."""
        self.last_error: str | None = None
        """Why the last connection attempt failed or dropped (no secrets), else None."""
        self._lock = threading.Condition()
        self._publish_reasons: dict[int, ReasonCode] = {}
        self._subscribe_results: dict[int, list[ReasonCode]] = {}
        self._abandoned_mids: set[int] = set()
        self._subscriptions: dict[str, int] = {}
        self._started = False
        self._paho = self._make_paho_client()

    @property
    def paho_client(self) -> paho.Client:
        """The underlying paho client (for tests and advanced use)."""
        return self._paho

    def _make_paho_client(self) -> paho.Client:
        config = self.config
        client = BurstReadingClient(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id or config.identity,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=True,
        )
        client.enable_logger(log)
        client.suppress_exceptions = True
        client.tls_set(
            ca_certs=str(config.ca_cert_path),
            certfile=str(config.cert_path),
            keyfile=str(config.key_path),
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.reconnect_delay_set(
            config.reconnect_min_delay_seconds, config.reconnect_max_delay_seconds
        )
        client.max_inflight_messages_set(config.max_inflight_messages)
        if config.status_topic:
            client.will_set(
                config.status_topic, encode_payload(self.offline_payload), qos=1, retain=True
            )
        client.on_connect = self._handle_connect
        client.on_connect_fail = self._handle_connect_fail
        client.on_disconnect = self._handle_disconnect
        client.on_publish = self._handle_publish
        client.on_subscribe = self._handle_subscribe
        client.on_unsubscribe = self._handle_subscribe
        client.on_message = self._handle_unexpected_message
        return client

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Begin connecting in the background (returns at once; retries until ``stop()``)."""
        if self._started:
            return
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.config.session_expiry_seconds
        self._paho.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive_seconds,
            clean_start=self.config.session_expiry_seconds == 0,
            properties=properties,
        )
        self._paho.loop_start()
        self._started = True

    def wait_until_connected(self, timeout: float) -> None:
        """Block until connected; raise :class:`MqttNotConnected` after ``timeout`` s."""
        if not self.connected.wait(timeout):
            raise MqttNotConnected(
                N_("Not connected to the broker at {host}:{port} ({reason})"),
                host=self.config.host,
                port=self.config.port,
                reason=self.last_error or "no answer",
            )

    def stop(self, *, publish_offline: bool = True, timeout: float = 5.0) -> None:
        """Publish ``offline`` (if connected and asked), disconnect, end the thread."""
        if not self._started:
            return
        if publish_offline and self.config.status_topic and self.connected.is_set():
            try:
                self.publish_and_wait(
                    self.config.status_topic, self.offline_payload, retain=True, timeout=timeout
                )
            except MqttError as err:
                log.warning("could not publish offline status: %s", err)
        self._paho.disconnect()
        self._paho.loop_stop()
        self.connected.clear()
        self._started = False

    def __enter__(self) -> MqttClient:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- publish and subscribe ---------------------------------------------------------

    def _refuse_from_network_thread(self) -> None:
        if threading.current_thread() is getattr(self._paho, "_thread", None):
            raise RuntimeError("do not wait for the broker from inside an MQTT callback")

    def publish_and_wait(
        self,
        topic: str,
        payload: Mapping[str, Any] | bytes | str,
        *,
        qos: int = 1,
        retain: bool = False,
        timeout: float = 10.0,
    ) -> int:
        """Publish and wait for the broker's answer; return its v5 reason code (0 or 16).

        Raises :class:`MqttNotConnected` when offline or when the connection drops
        before the answer (paho may still deliver it after reconnecting: receivers
        must be idempotent), :class:`MqttNotAuthorized` on 135, :class:`MqttRefused`
        on another failure code, :class:`MqttTimeout` after ``timeout`` s.
        """
        self._refuse_from_network_thread()
        if not self.connected.is_set():
            raise MqttNotConnected(N_("Not connected: {topic} was not sent"), topic=topic)
        info = self._paho.publish(topic, encode_payload(payload), qos=qos, retain=retain)
        if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN:
            self._abandon(info.mid)
            raise MqttNotConnected(N_("Not connected: {topic} was not sent"), topic=topic)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
            raise MqttError(
                N_("Could not queue {topic}: {reason}"),
                topic=topic,
                reason=paho.error_string(info.rc),
            )
        deadline = time.monotonic() + timeout
        while not info.is_published():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abandon(info.mid)
                raise MqttTimeout(N_("The broker did not confirm {topic} in time"), topic=topic)
            if not self.connected.is_set():
                self._abandon(info.mid)
                raise MqttNotConnected(
                    N_("The connection dropped before the broker confirmed {topic}"), topic=topic
                )
            info.wait_for_publish(min(0.2, remaining))
        with self._lock:
            reason = self._publish_reasons.pop(info.mid, None)
        value = reason.value if reason is not None else 0
        if value == NOT_AUTHORIZED:
            raise MqttNotAuthorized(
                N_("The broker refused {topic}: not authorized"), reason_code=value, topic=topic
            )
        if value >= 0x80:
            raise MqttRefused(
                N_("The broker refused {topic}: {reason}"),
                reason_code=value,
                topic=topic,
                reason=str(reason),
            )
        return value

    def subscribe(
        self, topic_filter: str, callback: MessageCallback, *, qos: int = 1, timeout: float = 10.0
    ) -> int:
        """Subscribe, wait for SUBACK and return the granted QoS; kept across reconnects.

        Raises :class:`MqttNotAuthorized` if the broker refuses the filter.
        """
        self._refuse_from_network_thread()
        self._paho.message_callback_add(topic_filter, self._wrap(callback))
        if not self.connected.is_set():
            self._paho.message_callback_remove(topic_filter)
            raise MqttNotConnected(
                N_("Not connected: cannot subscribe to {topic}"), topic=topic_filter
            )
        result, mid = self._paho.subscribe(topic_filter, options=SubscribeOptions(qos=qos))
        codes = self._wait_for_ack(result, mid, topic_filter, timeout)
        granted = codes[0].value if codes else 0x80
        if granted >= 0x80:
            self._paho.message_callback_remove(topic_filter)
            error = MqttNotAuthorized if granted == NOT_AUTHORIZED else MqttRefused
            raise error(
                N_("The broker refused the subscription to {topic}"),
                reason_code=granted,
                topic=topic_filter,
            )
        with self._lock:
            self._subscriptions[topic_filter] = qos
        return granted

    def unsubscribe(self, topic_filter: str, *, timeout: float = 10.0) -> None:
        """Forget ``topic_filter`` (and tell the broker, when connected)."""
        self._refuse_from_network_thread()
        with self._lock:
            self._subscriptions.pop(topic_filter, None)
        self._paho.message_callback_remove(topic_filter)
        if self.connected.is_set():
            result, mid = self._paho.unsubscribe(topic_filter)
            self._wait_for_ack(result, mid, topic_filter, timeout)

    def _wait_for_ack(
        self, result: MQTTErrorCode, mid: int | None, topic: str, timeout: float
    ) -> list[ReasonCode]:
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise MqttNotConnected(N_("Not connected: cannot subscribe to {topic}"), topic=topic)
        deadline = time.monotonic() + timeout
        with self._lock:
            while mid not in self._subscribe_results:
                remaining = deadline - time.monotonic()
                if not self.connected.is_set():
                    self._abandoned_mids.add(mid)
                    raise MqttNotConnected(
                        N_("The connection dropped before the broker answered for {topic}"),
                        topic=topic,
                    )
                if remaining <= 0:
                    self._abandoned_mids.add(mid)
                    raise MqttTimeout(N_("The broker did not answer for {topic}"), topic=topic)
                self._lock.wait(min(0.2, remaining))
            return self._subscribe_results.pop(mid)

    def _abandon(self, mid: int) -> None:
        with self._lock:
            if self._publish_reasons.pop(mid, None) is None:
                self._abandoned_mids.add(mid)

    def _wrap(self, callback: MessageCallback) -> Callable[..., None]:
        def deliver(_client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
            received = ReceivedMessage(
                message.topic, bytes(message.payload), message.qos, bool(message.retain)
            )
            try:
                callback(received)
            except Exception:
                log.exception("message callback for %s failed", received.topic)

        return deliver

    # -- paho callbacks (network thread) ------------------------------------------------

    def _handle_connect(
        self, client: paho.Client, _userdata: object, flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            self.last_error = str(reason)
            log.warning("broker refused %s: %s", self.config.identity, reason)
            return
        self.last_error = None
        _no_delay(client)
        if self.config.status_topic:
            info = client.publish(
                self.config.status_topic, encode_payload(self.online_payload), qos=1, retain=True
            )
            self._abandon(info.mid)
        with self._lock:
            subscriptions = dict(self._subscriptions)
        for topic_filter, qos in subscriptions.items():
            _, mid = client.subscribe(topic_filter, options=SubscribeOptions(qos=qos))
            if mid is not None:
                with self._lock:
                    self._abandoned_mids.add(mid)
        self.connected.set()
        self._notify(True)

    def _handle_connect_fail(self, _client: paho.Client, _userdata: object) -> None:
        self.last_error = "connection attempt failed (TLS or network)"

    def _handle_disconnect(
        self, _client: paho.Client, _userdata: object, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if reason.is_failure:
            self.last_error = str(reason)
        with self._lock:
            self._lock.notify_all()
        if was_connected:
            self._notify(False)

    def _handle_publish(
        self, _client: paho.Client, _userdata: object, mid: int, reason: ReasonCode, _props: Any
    ) -> None:
        with self._lock:
            if mid in self._abandoned_mids:
                self._abandoned_mids.discard(mid)
                if reason.is_failure:
                    log.warning("broker refused an unawaited publish: %s", reason)
            else:
                self._publish_reasons[mid] = reason

    def _handle_subscribe(
        self,
        _client: paho.Client,
        _userdata: object,
        mid: int,
        codes: list[ReasonCode],
        _props: Any,
    ) -> None:
        with self._lock:
            if mid in self._abandoned_mids:
                self._abandoned_mids.discard(mid)
                if any(code.is_failure for code in codes):
                    log.warning("broker refused a re-subscription: %s", codes)
                return
            self._subscribe_results[mid] = codes
            self._lock.notify_all()

    def _handle_unexpected_message(
        self, _client: paho.Client, _userdata: object, message: paho.MQTTMessage
    ) -> None:
        log.debug("message on %s matched no subscription callback", message.topic)

    def _notify(self, connected: bool) -> None:
        if self._on_connection_change is None:
            return
        try:
            self._on_connection_change(connected)
        except Exception:
            log.exception("connection-change callback failed")


def _no_delay(client: paho.Client) -> None:
    """Send each MQTT packet at once (``TCP_NODELAY``, as mosquitto is told to): with
    Nagle's algorithm on, a small packet (a PUBACK, an ack) or the last TLS record of a
    large one may wait for the peer's delayed ACK of the one before (up to 40 ms)."""
    setsockopt = getattr(client.socket(), "setsockopt", None)
    if setsockopt is None:  # not connected, or paho's websocket wrapper: nothing to tune
        return
    try:
        setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as err:  # not TCP
        log.debug("TCP_NODELAY not set: %s", err)
