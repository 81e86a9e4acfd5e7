"""What the office broker's log tells the edge: takeovers, refusals, retained publishes.

mosquitto 2.0.11 tells no client about another's misdeeds, but it logs them (to the
``log_file`` of :class:`~edge_controller.config.broker.BrokerConfig`, which
:class:`~edge_controller.broker.process.MosquittoProcess` always sets). The lines read
here, at the ``log_type`` each needs (the generated config turns all of them on):

=================================================================  ===========
line                                                               log_type
=================================================================  ===========
``New client connected from ADDR as CN (p5, c1, k30, u'CN').``     information
``Client CN already connected, closing old connection.``           information
``CN QOS FILTER`` (a subscription)                                 subscribe
``Denied PUBLISH from CN (d0, q1, r0, m7, 'TOPIC', ... (N bytes))``  debug
``Received PUBLISH from CN (d0, q1, r1, m8, 'TOPIC', ... (N bytes))``  debug
=================================================================  ===========

The client id is the certificate CN (``use_username_as_clientid``), so every CN here is
a certificate the office CA signed. mosquitto drops a client that sends a control
character in a topic, so a topic cannot forge a line. :class:`BrokerLogWatch` follows
the file from where it was when the watch began (what happened before is not counted
twice after an edge restart), and starts over when the file is truncated or replaced.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_STAMP = r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: |\d+: )?"
_CN = r"(?P<cn>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
_PUBLISH_FLAGS = (
    r"\(d\d, q\d, r(?P<retain>\d), m\d+, '(?P<topic>.*)', \.\.\. \((?P<size>\d+) bytes\)\)"
)
CONNECTED = re.compile(_STAMP + r"New client connected from (?P<address>\S+) as " + _CN + r" \(")
TAKEOVER = re.compile(_STAMP + r"Client " + _CN + r" already connected, closing old connection\.$")
SUBSCRIBED = re.compile(_STAMP + _CN + r" \d+ (?P<filter>\S.*)$")
DENIED_PUBLISH = re.compile(_STAMP + r"Denied PUBLISH from " + _CN + " " + _PUBLISH_FLAGS + "$")
RECEIVED_PUBLISH = re.compile(_STAMP + r"Received PUBLISH from " + _CN + " " + _PUBLISH_FLAGS + "$")

MAX_READ_BYTES = 4 * 1024 * 1024
"""At most this much log per poll (a burst is read over the next polls)."""


@dataclass(frozen=True)
class Connected:
    cn: str
    address: str


@dataclass(frozen=True)
class Takeover:
    """A second connection with certificate ``cn``: the broker closed the older one."""

    cn: str


@dataclass(frozen=True)
class Subscribed:
    cn: str
    topic_filter: str


@dataclass(frozen=True)
class DeniedPublish:
    cn: str
    topic: str


@dataclass(frozen=True)
class RetainedPublish:
    """``cn`` published a retained message (``size`` 0: it cleared one)."""

    cn: str
    topic: str
    size: int


BrokerEvent = Connected | Takeover | Subscribed | DeniedPublish | RetainedPublish


def parse_line(line: str) -> BrokerEvent | None:
    """The event one log line tells of, or None for every other line."""
    line = line.rstrip("\r\n")
    if " PUBLISH from " in line:
        if found := DENIED_PUBLISH.match(line):
            return DeniedPublish(found["cn"], found["topic"])
        found = RECEIVED_PUBLISH.match(line)
        if found and found["retain"] == "1":
            return RetainedPublish(found["cn"], found["topic"], int(found["size"]))
        return None
    if found := TAKEOVER.match(line):
        return Takeover(found["cn"])
    if found := CONNECTED.match(line):
        return Connected(found["cn"], found["address"])
    if found := SUBSCRIBED.match(line):
        return Subscribed(found["cn"], found["filter"])
    return None


class BrokerLogWatch:
    """Follows mosquitto's log file; :meth:`poll` returns the events of the new lines.

    ``from_start`` reads what the file already holds (a broker this edge just started);
    otherwise the watch begins at its current end. Call :meth:`poll` from one thread.
    """

    def __init__(self, path: Path, *, from_start: bool = False) -> None:
        self.path = path
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._partial = b""
        if not from_start:
            self._skip_to_end()

    def _skip_to_end(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return
        self._identity = (stat.st_dev, stat.st_ino)
        self._offset = stat.st_size

    def poll(self) -> list[BrokerEvent]:
        """Events of the complete lines written since the last poll."""
        try:
            with self.path.open("rb") as log:
                stat = os.fstat(log.fileno())
                identity = (stat.st_dev, stat.st_ino)
                if identity != self._identity or stat.st_size < self._offset:
                    self._identity, self._offset, self._partial = identity, 0, b""
                log.seek(self._offset)
                chunk = log.read(MAX_READ_BYTES)
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        events = []
        for raw in lines:
            event = parse_line(raw.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        return events
