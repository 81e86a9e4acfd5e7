"""The office roster secret reaches registered booths only, sealed to each booth's own key.

Real mosquitto with TLS and the ACL, the edge service; the booths' view is a subscriber
with a booth certificate on the retained ``office/roster_keys``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.roster import VillageCount, synthetic_roster
from edge_controller.booths.keys import register_booth_key
from edge_controller.roster.secret import office_roster_secret
from ektp.messages import RosterKeysMessage, parse_message
from ektp.roster_messages import seal_context
from ektp.roster_seal import RosterSealError, open_for_booth
from ektp.topics import OFFICE_ROSTER_KEYS
from kiosk.keys import load_or_create_signing_key, public_key_pem
from tests.edge_controller.broker_fixtures import Inbox, Office, wait_for
from tests.edge_controller.ingest_fixtures import BoothKit, RunningEdge, running_edge
from tests.kiosk.edge_office_fixtures import FAST_ROSTER, kit, office, office_edge_config

TODAY = dt.date.today()


@pytest.fixture
def edge(office: Office, tmp_path: Path, kit: BoothKit) -> Iterator[RunningEdge]:
    residents = synthetic_roster([VillageCount("Tasuk", 2, 8)], adult_on=TODAY)
    yield from running_edge(
        office_edge_config(office, tmp_path, [kit], residents, roster=FAST_ROSTER)
    )


def latest_keys(inbox: Inbox) -> RosterKeysMessage | None:
    found = [m for m in inbox.messages if m.topic == OFFICE_ROSTER_KEYS]
    if not found:
        return None
    message = parse_message(OFFICE_ROSTER_KEYS, found[-1].payload)
    assert isinstance(message, RosterKeysMessage)
    return message


def test_only_registered_booths_can_open_the_roster_secret(
    office: Office, edge: RunningEdge, kit: BoothKit, tmp_path: Path
) -> None:
    inbox = Inbox()
    office.client("booth-05").subscribe(OFFICE_ROSTER_KEYS, inbox)  # an unregistered unit
    assert wait_for(lambda: latest_keys(inbox) is not None, timeout=30)
    message = latest_keys(inbox)
    assert message is not None
    assert set(message.booths) == {"booth-01"}  # booth-05 has a certificate, not a key
    conn = edge.db()
    try:
        secret = office_roster_secret(conn)
        # every resident's look-up keys were made once, off the database thread
        keys = conn.execute("SELECT count(*) FROM roster_lookup_keys").fetchone()[0]
    finally:
        conn.close()
    assert keys == 8
    assert message.secret_id == secret.secret_id
    sealed = message.booths["booth-01"].sealed()
    context = seal_context("booth-01", message.secret_id)
    assert open_for_booth(sealed, kit.signing_key, context) == secret.key
    assert secret.key.hex() not in inbox.messages[-1].payload.decode()

    # the unit is replaced: a new key is registered, the secret is sealed to it instead
    new_key = load_or_create_signing_key(tmp_path / "replacement" / "booth-signing.pem")
    conn = edge.db()
    try:
        register_booth_key(conn, "booth-01", public_key_pem(new_key), dt.datetime.now(dt.UTC))
    finally:
        conn.close()

    def resealed() -> bool:
        latest = latest_keys(inbox)
        return latest is not None and latest.booths["booth-01"].sealed() != sealed

    assert wait_for(resealed, timeout=30)
    latest = latest_keys(inbox)
    assert latest is not None
    again = latest.booths["booth-01"].sealed()
    assert open_for_booth(again, new_key, context) == secret.key
    with pytest.raises(RosterSealError):
        open_for_booth(again, kit.signing_key, context)  # the old unit's key opens nothing
