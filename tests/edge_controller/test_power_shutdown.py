"""The shutdown sequence on its own: SHUTDOWN first, a bounded wait for booths, the
edge's command last, and only once. The command is a recorder, never a real poweroff."""

from __future__ import annotations

import asyncio
from pathlib import Path

from power_fixtures import recorded, recorder_command

from edge_controller.power import BoothPresence, ShutdownSequencer
from ektp.messages import StatusMessage, encode_message
from ektp.mqtt.message import ReceivedMessage


def status(booth_id: str, state: str) -> ReceivedMessage:
    message = StatusMessage(booth_id=booth_id, state=state, software_version="t")  # type: ignore[arg-type]
    return ReceivedMessage(f"booths/{booth_id}/status", encode_message(message), 1, True)


def test_booths_going_offline_let_the_edge_go_last(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    presence = BoothPresence()
    for booth in ("booth-01", "booth-02"):
        presence.on_status_message(status(booth, "online"))

    async def scenario() -> None:
        async def publish_shutdown() -> None:
            # the booths react: each shuts down, then its status goes offline
            for booth in ("booth-02", "booth-01"):
                process = await asyncio.create_subprocess_exec(*recorder_command(record, booth))
                await process.wait()
                await asyncio.sleep(0.1)
                with record.open("a") as handle:
                    handle.write(f"{booth} offline\n")
                presence.on_status_message(status(booth, "offline"))

        sequencer = ShutdownSequencer(
            command=recorder_command(record, "edge"),
            booths_online=presence.online,
            publish_shutdown=publish_shutdown,
            booth_offline_wait_s=30,
        )
        report = await sequencer.shut_down("test")
        assert report is not None
        assert report.booths_online_at_start == ("booth-01", "booth-02")
        assert report.booths_still_online == ()
        assert await sequencer.shut_down("again") is None

    asyncio.run(scenario())
    assert recorded(record)[-1] == "edge"
    assert recorded(record).count("edge") == 1


def test_a_booth_that_never_goes_offline_does_not_keep_the_edge_up(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    presence = BoothPresence()
    presence.on_status_message(status("booth-03", "online"))

    async def publish_shutdown() -> None:
        raise ConnectionError("broker gone")  # even unpublished, the edge goes down

    sequencer = ShutdownSequencer(
        command=recorder_command(record, "edge"),
        booths_online=presence.online,
        publish_shutdown=publish_shutdown,
        booth_offline_wait_s=0.5,
    )
    report = asyncio.run(sequencer.shut_down("test"))
    assert report is not None
    assert report.booths_still_online == ("booth-03",)
    assert recorded(record) == ["edge"]


def test_a_failing_shutdown_command_is_reported(tmp_path: Path) -> None:
    async def nothing() -> None:
        return None

    sequencer = ShutdownSequencer(
        command=[str(tmp_path / "no-such-command")],
        booths_online=lambda: (),
        publish_shutdown=nothing,
        booth_offline_wait_s=0,
    )
    report = asyncio.run(sequencer.shut_down("test"))
    assert report is not None
    assert report.command_returncode is None
    assert report.command_error is not None
    assert "FileNotFoundError" in report.command_error


def test_malformed_booth_status_changes_nothing() -> None:
    presence = BoothPresence()
    presence.on_status_message(status("booth-01", "online"))
    presence.on_status_message(ReceivedMessage("booths/booth-01/status", b"offline", 1, True))
    presence.on_status_message(
        ReceivedMessage("booths/booth-01/status", b'{"v":1,"state":"offline"}', 1, True)
    )
    assert presence.online() == {"booth-01"}
