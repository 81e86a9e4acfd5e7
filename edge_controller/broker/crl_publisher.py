"""The edge hands the office CRL to the booths: retained ``office/crl``.

Provisioning installs a new CRL on the edge when a booth or an operator card is
revoked (and reloads mosquitto, which re-reads its ``crlfile`` on SIGHUP).
:class:`CrlPublisher` notices the file changed and publishes it, retained QoS 1, as a
:class:`~ektp.messages.CrlMessage`; booths install it for their operator-card checks
(:mod:`kiosk.uplink.crl_feed`). A file that is not a CRL is logged and not published.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path

from cryptography import x509

from ektp.messages import CrlMessage, encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.topics import OFFICE_CRL

log = logging.getLogger(__name__)


def crl_message(pem: bytes, at: dt.datetime) -> CrlMessage:
    """The message for a CRL file's content; ValueError when it is not a CRL."""
    crl = x509.load_pem_x509_crl(pem)
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = 0
    return CrlMessage(at=at, crl_number=number, crl_pem=pem.decode("ascii"))


class CrlPublisher:
    """Publishes ``path`` on ``office/crl`` when it changes (and after :meth:`republish`)."""

    def __init__(self, path: Path, client: MqttClient, *, check_interval_s: float = 10.0) -> None:
        self.path = path
        self.client = client
        self.check_interval_s = check_interval_s
        self.published: CrlMessage | None = None
        self._published_pem: bytes | None = None
        self._again = asyncio.Event()

    def republish(self) -> None:
        """Publish again at the next check (the broker may have lost its retained copy)."""
        self._published_pem = None
        self._again.set()

    async def publish_if_changed(self) -> bool:
        """Read the file; publish it if it differs from what was published. True if sent."""
        try:
            pem = await asyncio.to_thread(self.path.read_bytes)
        except OSError as err:
            log.warning("crl: cannot read %s: %s", self.path, err)
            return False
        if pem == self._published_pem:
            return False
        try:
            message = crl_message(pem, dt.datetime.now(dt.UTC))
        except ValueError:
            log.error("crl: %s is not a PEM CRL; booths keep theirs", self.path)
            self._published_pem = pem
            return False
        try:
            await asyncio.to_thread(
                self.client.publish_and_wait,
                OFFICE_CRL,
                encode_message(message),
                qos=1,
                retain=True,
            )
        except MqttError as err:
            log.warning("crl: not published yet: %s", err)
            return False
        self._published_pem = pem
        self.published = message
        log.info("crl: published CRL number %d on %s", message.crl_number, OFFICE_CRL)
        return True

    async def run(self) -> None:
        while True:
            await self.publish_if_changed()
            self._again.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._again.wait(), self.check_interval_s)
