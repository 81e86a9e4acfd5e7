"""The booth keeps the office CRL current from the edge's retained ``office/crl``.

:class:`CrlFeed` subscribes ``office/crl`` on the booth's MQTT client. A CRL is
installed at ``[operator_cards] crl_path`` — where every operator login reads it
(:class:`kiosk.operator_trust.OperatorCardTrust`) — only when it is signed by the
office CA the booth trusts and its CRL number is higher than the installed one's; it
is written atomically (temporary file, fsync, rename), so a login never reads half a
list. A CRL from another CA, an older or equal one, or a malformed message changes
nothing and is logged. Provisioning also installs the CRL on ``booth add`` and
``booth update``; this feed makes a revocation reach a booth within seconds.
"""

from __future__ import annotations

import enum
import logging
import threading
from pathlib import Path

from cryptography import x509

from ektp.atomic_file import write_atomically
from ektp.messages import CrlMessage
from ektp.mqtt.client import MqttClient
from ektp.mqtt.message import ReceivedMessage
from ektp.mqtt.subscriptions import subscribe_when_connected
from ektp.pki import crl_signed_by_one_of
from ektp.topics import OFFICE_CRL
from kiosk.operator_trust import OperatorCardTrust, OperatorTrustUnavailable
from kiosk.uplink.received import parse_or_warn

log = logging.getLogger(__name__)


class CrlUpdate(enum.StrEnum):
    """What one ``office/crl`` message did."""

    INSTALLED = "installed"
    NOT_NEWER = "not_newer"
    REFUSED = "refused"


def crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return 0


class CrlFeed:
    """Installs newer office CRLs from ``office/crl`` at ``trust.crl_path``."""

    def __init__(self, trust: OperatorCardTrust) -> None:
        if trust.crl_path is None:
            raise ValueError("the booth has no [operator_cards] crl_path to keep")
        self.trust = trust
        self.crl_path: Path = trust.crl_path
        self.last_result: CrlUpdate | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def attach(self, client: MqttClient) -> None:
        """Subscribe ``office/crl`` once ``client`` is connected (background thread; the
        client keeps the subscription across reconnects)."""

        subscribe_when_connected(
            client, [OFFICE_CRL], self.on_mqtt_message, stop=self._stopped, name="crl-subscribe"
        )

    def close(self) -> None:
        self._stopped.set()

    def on_mqtt_message(self, message: ReceivedMessage) -> None:
        """MQTT callback (paho's thread)."""
        self.receive(message.topic, message.payload)

    def receive(self, topic: str, payload: bytes) -> CrlUpdate:
        """Take one ``office/crl`` payload; install it when it is the office's and newer."""
        with self._lock:
            self.last_result = self._receive(topic, payload)
            return self.last_result

    def installed_number(self) -> int | None:
        """The CRL number of the installed CRL; None when there is none (or unreadable)."""
        try:
            return crl_number(x509.load_pem_x509_crl(self.crl_path.read_bytes()))
        except (OSError, ValueError):
            return None

    def _receive(self, topic: str, payload: bytes) -> CrlUpdate:
        message = parse_or_warn(topic, payload, log, "crl")
        if not isinstance(message, CrlMessage):
            return CrlUpdate.REFUSED
        pem = message.crl_pem.encode("ascii", "replace")
        try:
            crl = x509.load_pem_x509_crl(pem)
            issuers = self.trust.issuers()
        except ValueError:
            log.warning("crl: the edge sent something that is not a CRL")
            return CrlUpdate.REFUSED
        except OperatorTrustUnavailable as err:
            log.warning("crl: cannot check the office CRL: %s", err.cause)
            return CrlUpdate.REFUSED
        if not crl_signed_by_one_of(crl, issuers):
            log.warning("crl: refused a CRL not signed by the office CA")
            return CrlUpdate.REFUSED
        number, installed = crl_number(crl), self.installed_number()
        if installed is not None and number <= installed:
            return CrlUpdate.NOT_NEWER
        self.crl_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.crl_path, pem, mode=0o644)
        log.info("crl: installed office CRL number %d (%d revoked)", number, len(list(crl)))
        return CrlUpdate.INSTALLED
