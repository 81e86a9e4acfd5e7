"""Mobile recording: a booth taken to a far village works for days without the edge.

Before leaving, the operator (or technician) starts the duty for the villages the
booth will serve: ``rekam-kiosk --config booth.toml mobile start --villages Tasuk,Birang``.
The booth refuses when a village's roster copy is missing or older than
``[mobile] max_roster_age_hours`` (connect to the office and let the edge's digests
refresh it first), or when the data disk has less than ``min_free_disk_mb`` free.
The duty is a small JSON file in the data dir, so a booth restarted in the field stays
on duty. While on duty:

* check-in runs against the carried digests (:mod:`kiosk.uplink.roster_feed`);
* tickets are the booth's own, durable, with their own prefix (``M-001``:
  :mod:`kiosk.mobile.tickets`), and every check-in and call is kept as an event;
* capture, sealing and the outbox work as always; the outbox waits for the edge;
* the status banner says how long the booth has been away and how many records wait
  (:func:`duty_banner`).

Back in the office, ``mobile end`` closes the duty; the outbox drains by itself and
the kept events reach the edge (which adds them to its statistics, once each).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ektp.atomic_file import write_atomically
from ektp.i18n import N_, translate
from kiosk.config.mobile import MobileSettings
from kiosk.errors import KioskError
from kiosk.uplink.roster_feed import RosterFeed

log = logging.getLogger(__name__)

MOBILE_DIR_NAME = "mobile"
MSG_UNKNOWN_VILLAGE = N_(
    "The booth carries no roster for {village}. Connect it to the office network and wait "
    "for the roster first."
)
MSG_STALE_ROSTER = N_(
    "The roster of {village} is {hours} hours old (at most {limit} allowed). Connect the "
    "booth to the office network to refresh it before leaving."
)
MSG_DISK_FULL = N_(
    "Only {free_mb} MB free on the booth's disk ({limit_mb} MB needed). Send the waiting "
    "records to the office and free space before leaving."
)
MSG_NO_VILLAGES = N_("Name at least one village for the mobile duty.")
MSG_ALREADY_AWAY = N_("The booth is already on mobile duty.")
MSG_NOT_AWAY = N_("The booth is not on mobile duty.")
MSG_BANNER = N_("Mobile duty: {days} days {hours} hours · {waiting} records waiting")


class MobileDutyRefused(KioskError):
    """The booth may not start (or end) mobile duty; the message says why, for a person."""

    code = "mobile.refused"


@dataclass(frozen=True)
class DutyState:
    villages: tuple[str, ...]
    started_at: dt.datetime

    def away_for(self, now: dt.datetime) -> dt.timedelta:
        return max(dt.timedelta(0), now - self.started_at)


class MobileDuty:
    """The booth's mobile duty, kept in ``<data_dir>/mobile/duty.json``."""

    def __init__(
        self,
        data_dir: Path,
        settings: MobileSettings,
        *,
        disk_free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free,
    ) -> None:
        self.directory = data_dir / MOBILE_DIR_NAME
        self.data_dir = data_dir
        self.settings = settings
        self._disk_free_bytes = disk_free_bytes

    @property
    def _path(self) -> Path:
        return self.directory / "duty.json"

    @property
    def state(self) -> DutyState | None:
        """The duty in progress, or None (a damaged file counts as none, and is logged)."""
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return DutyState(
                tuple(str(v) for v in raw["villages"]),
                dt.datetime.fromisoformat(raw["started_at"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("mobile: the duty file is damaged (%s); treating the booth as home", err)
            return None

    @property
    def active(self) -> bool:
        return self.state is not None

    def check_leave(self, villages: Sequence[str], roster: RosterFeed, now: dt.datetime) -> None:
        """Raise :class:`MobileDutyRefused` if the booth may not leave for ``villages``."""
        if not villages:
            raise MobileDutyRefused(MSG_NO_VILLAGES, code="mobile.no_villages")
        carried = {name.casefold(): copy for name, copy in roster.villages().items()}
        limit = self.settings.max_roster_age_hours
        for village in villages:
            copy = carried.get(village.casefold())
            if copy is None:
                raise MobileDutyRefused(
                    MSG_UNKNOWN_VILLAGE, code="mobile.unknown_village", village=village
                )
            hours = copy.age(now).total_seconds() / 3600
            if hours > limit:
                raise MobileDutyRefused(
                    MSG_STALE_ROSTER,
                    code="mobile.stale_roster",
                    village=copy.kelurahan,
                    hours=round(hours),
                    limit=round(limit),
                )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        free_mb = self._disk_free_bytes(self.data_dir) // (1024 * 1024)
        if free_mb < self.settings.min_free_disk_mb:
            raise MobileDutyRefused(
                MSG_DISK_FULL,
                code="mobile.disk_full",
                free_mb=free_mb,
                limit_mb=self.settings.min_free_disk_mb,
            )

    def start(self, villages: Sequence[str], roster: RosterFeed, now: dt.datetime) -> DutyState:
        if self.active:
            raise MobileDutyRefused(MSG_ALREADY_AWAY, code="mobile.already_away")
        self.check_leave(villages, roster, now)
        carried = {name.casefold(): name for name in roster.villages()}
        state = DutyState(tuple(carried[v.casefold()] for v in villages), now)
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {"villages": list(state.villages), "started_at": now.isoformat()}
        write_atomically(self._path, json.dumps(data).encode("utf-8"))
        log.info("mobile: duty started for %s", ", ".join(state.villages))
        return state

    def end(self, now: dt.datetime) -> DutyState:
        state = self.state
        if state is None:
            raise MobileDutyRefused(MSG_NOT_AWAY, code="mobile.not_away")
        self._path.unlink()
        log.info("mobile: duty ended after %s", state.away_for(now))
        return state


def duty_banner(state: DutyState, now: dt.datetime, waiting_records: int, language: str) -> str:
    """``Tugas keliling: 2 hari 3 jam · 14 rekaman menunggu`` in the booth's language."""
    away = state.away_for(now)
    days, rest = divmod(int(away.total_seconds()), 86400)
    return translate(MSG_BANNER, language, domain="kiosk").format(
        days=days, hours=rest // 3600, waiting=waiting_records
    )
