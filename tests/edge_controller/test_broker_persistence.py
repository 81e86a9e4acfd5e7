"""The managed broker keeps its persistence in ``[broker] persistence_directory``: a
retained message survives the broker's restart, even by a new process object (as
``rekam-edge run`` starting again after a reboot)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from ektp.pki import OfficeCA
from ektp.topics import OFFICE_POWER
from tests.edge_controller.broker_fixtures import Inbox, Office, office_broker_config

RETAINED = {"v": 1, "probe": "kept across restarts"}


@pytest.fixture(name="persist_dir")
def persist_dir_fixture() -> Iterator[Path]:
    # under /tmp: mosquitto, dropped to its own account, cannot enter pytest's tmp_path
    directory = Path(tempfile.mkdtemp(prefix="rekam-persist-"))
    directory.chmod(0o755)
    try:
        yield directory / "mosquitto"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _office_broker(
    tmp_path: Path, persist_dir: Path, *, persistence: bool
) -> tuple[OfficeCA, BrokerConfig]:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Gunung Tabur")
    config = office_broker_config(
        ca, tmp_path, persistence=persistence, persistence_directory=persist_dir
    )
    return ca, config


def test_retained_message_survives_a_broker_restart(tmp_path: Path, persist_dir: Path) -> None:
    ca, config = _office_broker(tmp_path, persist_dir, persistence=True)
    first = Office(root=tmp_path, ca=ca, broker=MosquittoProcess(config))
    first.broker.start()
    try:
        edge = first.client("edge")
        edge.publish_and_wait(OFFICE_POWER, RETAINED, qos=1, retain=True, timeout=20)
    finally:
        first.close()  # SIGTERM: mosquitto saves; its runtime directory is removed
    assert (persist_dir / "mosquitto.db").exists()

    second = Office(root=tmp_path, ca=ca, broker=MosquittoProcess(config))
    second.identities = first.identities
    second.broker.start()
    try:
        inbox = Inbox()
        booth = second.client("booth-01")
        booth.subscribe(OFFICE_POWER, inbox)
        received = inbox.wait_for_count(1)
        assert [m.json() for m in received] == [RETAINED]
        assert received[0].retain
    finally:
        second.close()


def test_without_persistence_nothing_is_written(tmp_path: Path, persist_dir: Path) -> None:
    _, config = _office_broker(tmp_path, persist_dir, persistence=False)
    with MosquittoProcess(config) as broker:
        assert "persistence false" in broker.conf_path.read_text()
    assert not persist_dir.exists()
