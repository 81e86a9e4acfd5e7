"""The MQTT client's errors, under :class:`ektp.errors.RekamError`."""

from __future__ import annotations

from typing import Any

from ektp.errors import RekamError

NOT_AUTHORIZED = 135
"""The MQTT v5 reason code with which the broker's ACL refuses a publish or subscription."""


class MqttError(RekamError):
    """Root of the MQTT client's errors."""

    code = "mqtt"


class MqttNotConnected(MqttError, ConnectionError):
    """Not connected (or the connection dropped before the broker confirmed): not sent."""

    code = "mqtt_not_connected"


class MqttTimeout(MqttError, TimeoutError):
    """The broker did not answer in time; the message may or may not have arrived."""

    code = "mqtt_timeout"


class MqttRefused(MqttError):
    """The broker answered with a failure reason code (``reason_code``)."""

    code = "mqtt_refused"

    def __init__(self, message: str, *, reason_code: int, **params: Any) -> None:
        self.reason_code = reason_code
        super().__init__(message, reason_code=reason_code, **params)


class MqttNotAuthorized(MqttRefused, PermissionError):
    """The broker's ACL refused this publish or subscription (reason code 135)."""

    code = "mqtt_not_authorized"
