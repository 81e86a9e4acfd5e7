"""A check-in as the office queue reads it, and the check-ins it refused (with the reason).

Booth → edge, ``kind="check_in"``, ``name="check_in"``, ``data``: ``service``,
``kelurahan``, optional ``priority``, ``secret_id`` (the office roster secret the booth
used) and ``resident`` — the NIK and KK sealed with that secret, bound to the booth and
the event id (:meth:`ektp.roster_keys.RosterSecret.seal_check_in`). No NIK or KK in
clear: whoever reads the broker sees ciphertext and, on ``office/queue``, the ticket
and the resident's roster look-up key (a called ticket also the NIK and KK kept here,
sealed to the calling booth: :mod:`edge_controller.queue_tickets`).

:func:`read_check_in` opens it, applies the NIK and KK rules (:mod:`ektp.nik`,
:mod:`ektp.kk`, with the office's region table) and makes the look-up key (kept ones for
residents of the roster, one scrypt otherwise). A refusal (:class:`CheckInRefused`)
carries the rule's code and its ektp msgid with parameters; the queue keeps it in
``queue_refusals`` and lists today's latest on ``office/queue``
(:class:`~ektp.messages.QueueRefusal`), where the booth that sent it finds it by the
request id and shows the reason. A check-in for a NIK whose ticket is still waiting is
answered the same way with code :data:`ALREADY_WAITING` and that ticket's number.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

import pydantic

from edge_controller.roster.secret import office_roster_secret, resident_keys
from ektp.errors import RekamError, ValidationError
from ektp.kk import parse_kk
from ektp.messages import EventMessage, QueueRefusal
from ektp.nik import parse_nik
from ektp.regions import RegionTable
from ektp.roster_keys import (
    MSG_INCOMPLETE,
    MSG_OLD_KEY,
    RosterKeyError,
    check_in_context,
)
from ektp.services import ServiceType

ALREADY_WAITING = "check_in.already_waiting"
REFUSALS_SHOWN = 50


class CheckInRefused(ValidationError):
    """A check-in the queue does not number; ``code``, ``message`` and ``params`` say why."""

    code = "check_in.refused"


@dataclass(frozen=True)
class CheckInRequest:
    """A check-in once opened and checked (the NIK and KK stay on the edge)."""

    service: str
    kelurahan: str
    priority: bool
    nik: str
    kk: str
    resident_key: str


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    params: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    existing_number: str | None = None

    @classmethod
    def of(cls, err: RekamError) -> Refusal:
        params: dict[str, str | int | float | bool | None] = {
            k: v for k, v in err.params.items() if isinstance(v, str | int | float | bool)
        }
        return cls(err.code, err.message, params)


def read_check_in(
    conn: sqlite3.Connection, event: EventMessage, regions: RegionTable, today: dt.date
) -> CheckInRequest:
    """Open, check and key a check-in; :class:`CheckInRefused` (or a rule's error) if not."""
    data = event.data
    service, kelurahan, priority = data.get("service"), data.get("kelurahan"), data.get("priority")
    sealed, secret_id = data.get("resident"), data.get("secret_id")
    try:
        ServiceType(str(service))
    except ValueError as err:
        raise CheckInRefused(MSG_INCOMPLETE, code="check_in.service", detail="service") from err
    if not isinstance(kelurahan, str) or not 1 <= len(kelurahan) <= 64:
        raise CheckInRefused(MSG_INCOMPLETE, code="check_in.kelurahan", detail="kelurahan")
    if not isinstance(priority, bool | None):
        raise CheckInRefused(MSG_INCOMPLETE, code="check_in.priority", detail="priority")
    if not isinstance(sealed, str) or not isinstance(secret_id, str):
        raise CheckInRefused(MSG_INCOMPLETE, code="check_in.resident", detail="resident")
    secret = office_roster_secret(conn)
    if secret_id != secret.secret_id:
        raise CheckInRefused(MSG_OLD_KEY, code="check_in.old_key")
    context = check_in_context(event.booth_id, str(event.event_id))
    nik_text, kk_text = secret.open_check_in(sealed, context)
    nik = parse_nik(nik_text, today=today, regions=regions).digits
    kk = parse_kk(kk_text, today=today, regions=regions).digits
    keys = resident_keys(conn, secret, nik)
    return CheckInRequest(str(service), kelurahan, bool(priority), nik, kk, keys.lookup_key)


def insert_ticket(
    conn: sqlite3.Connection, prefix: str, event: EventMessage, request: CheckInRequest, day: str
) -> str:
    """Number a checked request (inside the queue's transaction); its ticket number."""
    seq = 1 + int(
        conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM queue_tickets WHERE day = ?", (day,)
        ).fetchone()[0]
    )
    number = f"{prefix}-{seq:03d}"
    conn.execute(
        "INSERT INTO queue_tickets (day, seq, number, request_id, from_booth, service,"
        " nik, kk, resident_key, kelurahan, priority, checked_in_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            day,
            seq,
            number,
            str(event.event_id),
            event.booth_id,
            request.service,
            request.nik,
            request.kk,
            request.resident_key,
            request.kelurahan,
            int(request.priority),
            event.at.isoformat(),
        ),
    )
    return number


def refusal_of(err: Exception) -> Refusal | None:
    """The refusal a reading error stands for (None: not a refusal, a bug)."""
    if isinstance(err, RosterKeyError | ValidationError):
        return Refusal.of(err)
    if isinstance(err, pydantic.ValidationError):
        return Refusal("check_in.schema", MSG_INCOMPLETE, {"detail": "schema"})
    return None


def record_refusal(
    conn: sqlite3.Connection, event: EventMessage, day: str, refusal: Refusal, now: dt.datetime
) -> None:
    """Keep one refusal (a re-delivered check-in changes nothing)."""
    conn.execute(
        "INSERT INTO queue_refusals (request_id, day, booth_id, code, message, params,"
        " existing_number, refused_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (request_id) DO NOTHING",
        (
            str(event.event_id),
            day,
            event.booth_id,
            refusal.code,
            refusal.message,
            json.dumps(refusal.params),
            refusal.existing_number,
            now.astimezone(dt.UTC).isoformat(),
        ),
    )


def refusals_of(conn: sqlite3.Connection, day: str) -> tuple[QueueRefusal, ...]:
    """Today's latest refusals, oldest first, for ``office/queue``."""
    rows = conn.execute(
        "SELECT * FROM (SELECT * FROM queue_refusals WHERE day = ?"
        " ORDER BY refused_at DESC, request_id LIMIT ?) ORDER BY refused_at, request_id",
        (day, REFUSALS_SHOWN),
    ).fetchall()
    return tuple(
        QueueRefusal(
            request_id=row["request_id"],
            code=row["code"],
            message=row["message"],
            params=json.loads(row["params"]),
            existing_number=row["existing_number"],
        )
        for row in rows
    )
