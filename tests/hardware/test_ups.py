"""The NUT client and UPS device against a real upsd with the dummy-ups driver."""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest
from pydantic import TypeAdapter
from ups_fixtures import (
    emulated_ups_fixture,
    fake_upsd,
    untouched_ups_fixture,
    unused_loopback_port,
)

from hardware.errors import (
    DeviceProtocolError,
    DeviceTimeout,
    DeviceUnavailable,
    PowerSourceError,
)
from hardware.ups import (
    EmulatedUps,
    EmulatedUpsConfig,
    NutClient,
    NutServerError,
    NutUps,
    NutUpsConfig,
    UpsConfig,
    open_ups,
)


def test_power_cut_is_seen_as_mains_then_battery_then_low_battery(
    emulated_ups: EmulatedUps,
) -> None:
    async def watch() -> list[tuple[bool, bool, bool, float | None, int | None]]:
        seen = []
        # one event loop and one kept-open connection, like the edge's power watch
        for status, charge, runtime in (("OL", 100, 1800), ("OB", 62, 900), ("OB LB", 9, 75)):
            emulated_ups.set_ups_status(status, charge=charge, runtime=runtime)
            await emulated_ups.wait_for_status_async(status, timeout=20)
            reading = await emulated_ups.read()
            seen.append(
                (
                    reading.on_line,
                    reading.on_battery,
                    reading.low_battery,
                    reading.charge,
                    reading.runtime_s,
                )
            )
        await emulated_ups.aclose()
        return seen

    assert asyncio.run(watch()) == [
        (True, False, False, 100.0, 1800),
        (False, True, False, 62.0, 900),
        (False, True, True, 9.0, 75),
    ]


def test_standard_nut_client_agrees_with_our_reading(emulated_ups: EmulatedUps) -> None:
    emulated_ups.set_ups_status("OB", charge=47.5, runtime=612)
    ours = emulated_ups.wait_for_status("OB", timeout=20)

    upsc = subprocess.run(
        ["upsc", f"dummy@127.0.0.1:{emulated_ups.port}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    theirs = dict(line.split(": ", 1) for line in upsc.stdout.splitlines() if ": " in line)

    assert theirs["ups.status"] == ours.raw["ups.status"] == "OB"
    assert float(theirs["battery.charge"]) == ours.charge == 47.5
    assert int(theirs["battery.runtime"]) == ours.runtime_s == 612
    assert theirs == dict(ours.raw)


def test_single_variables_and_ups_list_come_from_upsd(untouched_ups: EmulatedUps) -> None:
    async def ask() -> tuple[dict[str, str], str]:
        async with untouched_ups.new_client() as client:
            return await client.list_ups(), await client.get_var("dummy", "ups.status")

    ups_list, status = asyncio.run(ask())
    assert ups_list == {"dummy": "Rekam emulated UPS"}
    assert status == "OL"


def test_unknown_ups_name_is_a_power_source_error(untouched_ups: EmulatedUps) -> None:
    wrong = NutUps("127.0.0.1", untouched_ups.port, "nosuchups", timeout=10)
    with pytest.raises(PowerSourceError) as caught:
        wrong.read_once()
    assert isinstance(caught.value, NutServerError)
    assert caught.value.code == "UNKNOWN-UPS"
    assert caught.value.device == "ups"
    result = wrong.self_test()
    assert not result.ok
    assert "UNKNOWN-UPS" in result.detail


def test_unknown_variable_names_the_nut_code(untouched_ups: EmulatedUps) -> None:
    async def ask() -> str:
        async with untouched_ups.new_client() as client:
            return await client.get_var("dummy", "no.such.variable")

    with pytest.raises(NutServerError) as caught:
        asyncio.run(ask())
    assert caught.value.code == "VAR-NOT-SUPPORTED"


def test_upsd_stopped_is_unavailable_and_readings_resume_after_restart(
    emulated_ups: EmulatedUps,
) -> None:
    async def outage() -> list[str]:
        seen = [(await emulated_ups.read()).status_text]
        emulated_ups.stop_server()
        with pytest.raises(DeviceUnavailable) as caught:
            await emulated_ups.read()
        assert caught.value.device == "ups"
        assert caught.value.__cause__ is not None
        seen.append("unreachable")
        await asyncio.to_thread(emulated_ups.start_server)
        seen.append((await emulated_ups.read()).status_text)
        await emulated_ups.aclose()
        return seen

    assert asyncio.run(outage()) == ["OL", "unreachable", "OL"]


def test_self_test_reports_the_ups_and_says_why_it_fails(emulated_ups: EmulatedUps) -> None:
    healthy = emulated_ups.self_test()
    assert healthy.ok
    assert "OL" in healthy.detail
    emulated_ups.stop_server()
    broken = emulated_ups.self_test()
    assert not broken.ok
    assert "DeviceUnavailable" in broken.detail


def test_nothing_listening_is_unavailable() -> None:
    ups = NutUps("127.0.0.1", unused_loopback_port(), "ups", timeout=5)
    with pytest.raises(DeviceUnavailable):
        ups.read_once()


def test_silent_server_times_out_instead_of_hanging() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # read the request, never answer
        writer.close()

    with fake_upsd(silent) as port:
        ups = NutUps("127.0.0.1", port, "ups", timeout=0.5)
        with pytest.raises(DeviceTimeout) as caught:
            ups.read_once()
    assert caught.value.device == "ups"


@pytest.mark.parametrize(
    "answer",
    [
        b"BEGIN LIST VAR ups\nVAR ups ups.status\nEND LIST VAR ups\n",  # no value
        b'BEGIN LIST VAR ups\nVAR ups battery.charge "lots"\nEND LIST VAR ups\n',
        b"HELLO\n",
        b'BEGIN LIST VAR ups\nVAR ups ups.status "OL\nEND LIST VAR ups\n',  # open quote
        b'BEGIN LIST VAR ups\nVAR other ups.status "OL"\nEND LIST VAR ups\n',
        b"BEGIN LIST VAR ups\n\xff\xfe\n",
        b"BEGIN LIST VAR ups\n" + b"x" * 10_000 + b"\n",
    ],
)
def test_malformed_answers_are_protocol_errors(answer: bytes) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(answer)
        await writer.drain()
        await reader.read()
        writer.close()

    with fake_upsd(garbage) as port, pytest.raises(DeviceProtocolError):
        NutUps("127.0.0.1", port, "ups", timeout=5).read_once()


def test_server_closing_the_connection_is_unavailable() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.close()

    with fake_upsd(hang_up) as port, pytest.raises(DeviceUnavailable):
        NutUps("127.0.0.1", port, "ups", timeout=5).read_once()


def test_login_is_sent_and_password_never_shown() -> None:
    received: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readline())
        writer.write(b"ERR ACCESS-DENIED\n")
        await writer.drain()
        await reader.read()
        writer.close()

    with fake_upsd(refuse) as port:
        client = NutClient("127.0.0.1", port, username="mon", password="s3cret-pw", timeout=5)
        with pytest.raises(NutServerError) as caught:
            asyncio.run(client.read("ups"))
    assert received == [b'USERNAME "mon"\n']
    assert caught.value.code == "ACCESS-DENIED"
    assert "s3cret-pw" not in str(caught.value)


def test_close_leaves_no_daemon_and_no_files() -> None:
    ups = open_ups(EmulatedUpsConfig(startup_timeout=30.0))
    assert isinstance(ups, EmulatedUps)
    processes = [ups.server._driver, ups.server._upsd]
    base = ups.server.dev_file.parent
    ups.close()
    ups.close()  # idempotent
    for process in processes:
        assert process is not None
        assert process.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(process.pid, 0)
    assert not base.exists()


def test_config_picks_the_backend_and_hides_the_password() -> None:
    adapter: TypeAdapter[NutUpsConfig | EmulatedUpsConfig] = TypeAdapter(UpsConfig)
    real = adapter.validate_python(
        {"backend": "real", "ups_name": "office", "username": "mon", "password": "pw-123"}
    )
    assert isinstance(real, NutUpsConfig)
    assert "pw-123" not in repr(real)
    emulated = adapter.validate_python({"backend": "emulated", "initial_status": "OB"})
    assert isinstance(emulated, EmulatedUpsConfig)
    with pytest.raises(ValueError, match="extra"):
        adapter.validate_python({"backend": "real", "hostname": "x"})
    ups = open_ups(real)
    assert isinstance(ups, NutUps)
    assert (ups.host, ups.port, ups.ups_name) == ("127.0.0.1", 3493, "office")
