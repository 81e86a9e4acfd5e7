"""Tell the booths about reviews: ``office/reviews`` and ``booths/<id>/reviews`` (retained).

One task in the edge service's loop: every ``publish_interval_seconds`` it reads the
waiting count and each booth's recent decisions from the database (decisions are made
by the dashboard, in any thread or process) and publishes what changed. Everything is
republished now and then, so a broker that lost its retained messages catches up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from edge_controller.config.review import ReviewConfig, review_key_path
from edge_controller.review.holds import backlog_message, booths_with_decisions, decisions_message
from ektp.messages import WireMessage, encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.pki.review_key import load_or_create_review_key
from ektp.topics import OFFICE_REVIEWS, Topic, booth_topic

log = logging.getLogger(__name__)
T = TypeVar("T")
RunDb = Callable[[Callable[[sqlite3.Connection], T]], Awaitable[T]]
REPUBLISH_EVERY = 150  # rounds: about five minutes at the default interval


def _content(message: WireMessage) -> str:
    """What must change for a re-publish (not the ``at`` stamp)."""
    return message.model_dump_json(exclude={"at"})


class ReviewPublisher:
    """Publishes the review summary and decisions; ``await run()`` until cancelled."""

    def __init__(
        self,
        config: ReviewConfig,
        database_path: Path,
        client: MqttClient,
        run_db: RunDb[Any],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.config = config
        self._client = client
        self._run_db = run_db
        self._clock = clock
        self._published: dict[str, str] = {}
        load_or_create_review_key(review_key_path(config, database_path))

    def _read(self, conn: sqlite3.Connection) -> dict[str, WireMessage]:
        now = self._clock()
        since = now - dt.timedelta(days=self.config.decisions_kept_days)
        messages: dict[str, WireMessage] = {
            OFFICE_REVIEWS: backlog_message(conn, self.config.warn_above, now)
        }
        for booth_id in booths_with_decisions(conn, since):
            topic = booth_topic(booth_id, Topic.REVIEWS)
            messages[topic] = decisions_message(conn, booth_id, since, now)
        return messages

    async def publish_changes(self, *, everything: bool = False) -> int:
        """Publish what changed since the last call; returns how many were sent."""
        messages = await self._run_db(self._read)
        sent = 0
        for topic, message in messages.items():
            content = _content(message)
            if not everything and self._published.get(topic) == content:
                continue
            try:
                await asyncio.to_thread(
                    self._client.publish_and_wait, topic, encode_message(message), retain=True
                )
            except MqttError as err:
                log.warning("%s not published (%s); trying again", topic, err.code)
                continue
            self._published[topic] = content
            sent += 1
        return sent

    async def run(self) -> None:
        rounds = 0
        while True:
            try:
                await self.publish_changes(everything=rounds % REPUBLISH_EVERY == 0)
            except Exception:
                log.exception("review publish failed; trying again")
            rounds += 1
            await asyncio.sleep(self.config.publish_interval_seconds)
