"""The booth's side of supervisor review (#10): decisions and the office's waiting count.

Subscribes to ``booths/<id>/reviews`` (the edge repeats the decisions of the last days,
retained) and ``office/reviews`` (how many records wait). Each decision is written
once to the booth's audit log; a rejection becomes a notice for the operator, and the
waiting count a warning when it is above the office's limit
("Tinjauan menumpuk: N menunggu").
"""

from __future__ import annotations

import logging
import threading

from ektp.i18n import N_, translate
from ektp.messages import (
    ReviewBacklogMessage,
    ReviewDecision,
    ReviewDecisionsMessage,
)
from ektp.mqtt.client import MqttClient
from ektp.mqtt.message import ReceivedMessage
from ektp.mqtt.subscriptions import subscribe_when_connected
from ektp.topics import OFFICE_REVIEWS, Topic, booth_topic
from kiosk.audit import AuditLog
from kiosk.uplink.received import parse_or_warn

log = logging.getLogger(__name__)
DECISION_EVENT = "review.decision"
MSG_REJECTED = N_("A record was rejected by the supervisor: {comment}")
MSG_PILING_UP = N_("Reviews are piling up: {count} waiting")


class ReviewNotices:
    """Follows the review topics; ``attach(client)`` once, ``close()`` at shutdown."""

    def __init__(self, booth_id: str, audit: AuditLog) -> None:
        self.booth_id = booth_id
        self._audit = audit
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._seen = {
            str(entry.fields.get("packet"))
            for entry in audit.entries()
            if entry.event == DECISION_EVENT
        }
        self.rejections: list[ReviewDecision] = []
        """Rejections learnt since start, newest last."""
        self.backlog: ReviewBacklogMessage | None = None

    def attach(self, client: MqttClient) -> None:
        """Subscribe on ``client`` once it is connected (background thread)."""
        topics = (booth_topic(self.booth_id, Topic.REVIEWS), OFFICE_REVIEWS)

        subscribe_when_connected(
            client, topics, self.on_mqtt_message, stop=self._done, name="review-subscribe"
        )

    def close(self) -> None:
        self._done.set()

    def on_mqtt_message(self, message: ReceivedMessage) -> None:
        parsed = parse_or_warn(message.topic, message.payload, log, "reviews")
        if isinstance(parsed, ReviewDecisionsMessage) and parsed.booth_id == self.booth_id:
            self.on_decisions(parsed)
        elif isinstance(parsed, ReviewBacklogMessage):
            self.backlog = parsed

    def on_decisions(self, message: ReviewDecisionsMessage) -> list[ReviewDecision]:
        """Note the decisions not seen before (oldest first); returns them."""
        new = []
        with self._lock:
            for decision in reversed(message.decisions):
                packet = str(decision.packet_id)
                if packet in self._seen:
                    continue
                self._audit.append(
                    DECISION_EVENT,
                    packet=packet,
                    decision=decision.decision,
                    comment=decision.comment,
                    flags=list(decision.flags),
                    decided_at=decision.decided_at.isoformat(),
                )
                self._seen.add(packet)
                new.append(decision)
                if decision.decision == "rejected":
                    self.rejections.append(decision)
        return new

    def dismiss(self) -> None:
        """The operator has read the rejection notices (each stays in the audit log)."""
        self.rejections = []

    def rejection_notice(self, language: str = "id") -> str | None:
        """The latest rejection, in words for the operator; None when there is none."""
        if not self.rejections:
            return None
        return rejection_text(self.rejections[-1].comment, language)

    def backlog_warning(self, language: str = "id") -> str | None:
        """ "Tinjauan menumpuk: N menunggu" when more wait than the office allows."""
        backlog = self.backlog
        if backlog is None or not backlog.piling_up:
            return None
        return piling_up_text(backlog.waiting, language)


def rejection_text(comment: str, language: str) -> str:
    return translate(MSG_REJECTED, language, domain="kiosk").format(comment=comment)


def piling_up_text(waiting: int, language: str) -> str:
    return translate(MSG_PILING_UP, language, domain="kiosk").format(count=waiting)
