"""A small MQTT v5 client over paho-mqtt 2 for the edge and the booths alike.

It connects with the identity's client certificate (client id = certificate CN),
keeps a retained availability message on ``status_topic`` (last will ``offline``,
``online`` published on every connect), reconnects by itself with backoff and
re-subscribes after each reconnect.

Nothing is dropped silently: :meth:`MqttClient.publish_and_wait` raises
:class:`MqttNotConnected` while the client is offline (the caller's outbox keeps
the record) and returns only once the broker has answered, with the MQTT v5
reason code; a refusal by the ACL (135) raises :class:`MqttNotAuthorized`.

Callbacks run on paho's network thread: keep them short, and never call
``publish_and_wait`` or ``subscribe`` from inside one (hand work to your own
thread or event loop, e.g. with ``loop.call_soon_threadsafe``).

Payloads are JSON dicts here; their schemas live in :mod:`ektp.messages`.
This package imports nothing of the kiosk or of the edge's own logic.

Rooms: :mod:`ektp.mqtt.config` (how to reach the broker), :mod:`ektp.mqtt.errors`
(the client's error family), :mod:`ektp.mqtt.message` (received messages, payload
encoding), :mod:`ektp.mqtt.network_loop` (paho's client, reading a burst in one turn of
its thread) and :mod:`ektp.mqtt.client` (the connection itself).
"""
