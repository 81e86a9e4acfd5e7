"""The office the booth-and-edge tests start from: the real broker (TLS, the ACL), booths
registered at the edge (so the office roster secret comes sealed to each), the edge service.

A test module imports the fixtures it uses (``office``, ``kit``, ``kits``) and writes its own
``edge`` fixture in two lines with :func:`office_edge_config` and
:func:`~tests.edge_controller.ingest_fixtures.running_edge`. A booth's roster feed, which
opens the office key, is :func:`booth_roster_feed` (attached: :func:`feed_with_office_key`).
Tests that run a whole booth (:func:`kiosk.booth.build_booth`) write its config with
:func:`booth_setup`, register its key with :func:`register_booth_setup` and run it with
:func:`running_booth`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.roster import SyntheticResident, VillageCount, insert_residents, synthetic_roster
from edge_controller.booths.monitor import register_booth_key
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.db import connect
from kiosk.flow.ports import CheckIn
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.roster_feed import RosterFeed
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    edge_config,
    make_booth,
    register,
)
from tests.kiosk.booth_fixtures import (
    BoothSetup,
    resident_kk,
    resident_nik,
    running_booth,  # booth-and-edge tests import it from here too
    write_booth_config,
)

FAST_ROSTER = {"check_interval_seconds": 0.2, "min_interval_seconds": 0.2}
"""The edge's roster section for tests: it notices roster changes within a fifth of a second."""
RECORDED_AT = dt.datetime(2026, 1, 15, 10, 30)
"""When the roster tests record a resident (a past day, kept in the digests)."""
TWO_VILLAGES = frozenset({"Tasuk", "Birang"})


def two_village_roster(tasuk_adults: int, seed: int) -> list[SyntheticResident]:
    """Adults as of today in Tasuk (two RTs, ``tasuk_adults``) and Birang (one RT, four)."""
    villages = [VillageCount("Tasuk", 2, tasuk_adults), VillageCount("Birang", 1, 4)]
    return synthetic_roster(villages, adult_on=dt.date.today(), seed=seed)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


@pytest.fixture
def kit(office: Office, tmp_path: Path) -> Iterator[BoothKit]:
    """Booth ``booth-01`` of the office (its signing key and outbox), closed at the end."""
    booth = make_booth(office, tmp_path / "booths", "booth-01")
    try:
        yield booth
    finally:
        booth.close()


@pytest.fixture
def kits(office: Office, tmp_path: Path) -> Iterator[dict[str, BoothKit]]:
    """Booths ``booth-01`` and ``booth-02`` of the office, by id, closed at the end."""
    made = {b: make_booth(office, tmp_path / "booths", b) for b in ("booth-01", "booth-02")}
    try:
        yield made
    finally:
        for booth in made.values():
            booth.close()


def office_edge_config(
    office: Office,
    root: Path,
    booths: Iterable[BoothKit] = (),
    residents: Iterable[SyntheticResident] = (),
    **overrides: Any,
) -> EdgeConfig:
    """The edge's config for this office (sections overridden by ``overrides``), with
    ``residents`` in its roster and ``booths`` registered; the edge is not started."""
    config = edge_config(office, root, **overrides)
    people = list(residents)
    if people:
        conn = connect(config.database.path)
        try:
            insert_residents(conn, people)
        finally:
            conn.close()
    register(config, *booths)
    return config


def rows_at_edge(edge: RunningEdge, table: str) -> int:
    """How many rows the running edge's database holds in ``table``."""
    conn = edge.db()
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def checkin(serial: int, *, priority: bool = False) -> CheckIn:
    """Resident ``serial`` of Tasuk (not in the roster) checking in for a new recording."""
    return CheckIn(
        service="new_recording",
        nik=resident_nik(serial),
        kk=resident_kk(serial),
        name="",
        kelurahan="Tasuk",
        in_roster=False,
        documents=("kk",),
        priority=priority,
    )


def booth_roster_feed(kit: BoothKit, directory: Path) -> RosterFeed:
    """The booth's roster feed kept in ``directory``: its id and signing key open the office
    roster key."""
    return RosterFeed(directory, booth_id=kit.booth_id, booth_key=kit.signing_key)


def feed_with_office_key(kit: BoothKit, directory: Path, uplink: BoothUplink) -> RosterFeed:
    """The booth's roster feed attached to its uplink, once it has opened the office key."""
    feed = booth_roster_feed(kit, directory)
    feed.attach(uplink.client)
    assert wait_for(lambda: feed.secret is not None, timeout=30)
    return feed


@contextlib.contextmanager
def followed_roster_feed(
    kit: BoothKit, directory: Path, villages: Collection[str] = TWO_VILLAGES
) -> Iterator[RosterFeed]:
    """One run of the booth's feed over its own uplink, once it holds ``villages``' digests
    and the office key; closed at the end."""
    with kit.uplink() as uplink:
        feed = feed_with_office_key(kit, directory, uplink)
        assert wait_for(lambda: set(feed.villages()) == set(villages), timeout=30)
        yield feed
    feed.close()


def booth_setup(
    office: Office, root: Path, booth_id: str = "booth-01", **uplink: Any
) -> BoothSetup:
    """A whole booth's config under ``root / "booth"``: this office's edge and ``uplink``'s
    settings."""
    edge_section = office.booth_toml(booth_id, **uplink)
    return write_booth_config(root / "booth", booth_id=booth_id, extra=edge_section)


def register_booth_setup(config: EdgeConfig, setup: BoothSetup, booth_id: str = "booth-01") -> None:
    """Register at the edge the signing key the booth of ``setup`` will load (made now)."""
    key = load_or_create_signing_key(setup.data_dir / "keys" / "booth-signing.pem")
    conn = connect(config.database.path)
    try:
        register_booth_key(conn, booth_id, public_key_pem(key), dt.datetime.now(dt.UTC))
    finally:
        conn.close()
