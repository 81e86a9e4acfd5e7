"""Instant commands through the real upsd: ``LIST CMD``, ``INSTCMD`` with a login, ``SET VAR``.

Two real drivers stand behind upsd: NUT's ``dummy-ups`` (which, in NUT 2.8.0, offers
only ``load.off`` and runs no command at all) and ``nutdrv_qx`` driving an emulated
Megatec UPS on a pseudo-terminal (:mod:`hardware.ups.megatec`), which offers
``shutdown.return`` like a real line-interactive UPS.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator

import pytest

from hardware.ups import NutClient, NutServerError
from hardware.ups.device import NutUps, run_blocking
from hardware.ups.emulated import EmulatedUps
from hardware.ups.megatec import MegatecUpsServer, ShutdownRequest
from tests.edge_controller.broker_fixtures import wait_for
from tests.hardware.ups_fixtures import emulated_ups_fixture

__all__ = ["emulated_ups_fixture"]

USER = "rekam-edge"


@pytest.fixture(name="megatec", scope="module")
def megatec_fixture() -> Iterator[MegatecUpsServer]:
    server = MegatecUpsServer(username=USER, password=secrets.token_hex(8), off_delay_s=60)
    try:
        server.start({"ups.status": "OL", "battery.charge": "100"})
        yield server
    finally:
        server.stop()


def _ups(server: MegatecUpsServer, *, password: str | None = None) -> NutUps:
    return NutUps(
        server.host,
        server.port,
        server.ups_name,
        username=USER,
        password=password if password is not None else server._password,
    )


def test_upscmd_and_our_client_list_the_same_commands(megatec: MegatecUpsServer) -> None:
    listed = subprocess.run(
        ["upscmd", "-l", f"{megatec.ups_name}@{megatec.host}:{megatec.port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ours = run_blocking(_ups(megatec).list_commands)
    assert {"shutdown.return", "shutdown.stayoff", "load.off"} <= ours
    assert all(command in listed for command in ours)


def test_shutdown_return_reaches_the_ups_line(megatec: MegatecUpsServer) -> None:
    ups = _ups(megatec)

    async def command() -> None:
        await ups.set_var("ups.delay.shutdown", "120")
        await ups.instant_command("shutdown.return")
        await ups.aclose()

    run_blocking(command)
    assert wait_for(lambda: megatec.line.shutdown_requests() != [])
    assert megatec.line.shutdown_requests()[-1] == ShutdownRequest(120, None)
    assert "did shutdown.return on office" in megatec.logs()


def test_wrong_password_is_refused_and_nothing_reaches_the_ups(
    megatec: MegatecUpsServer,
) -> None:
    before = megatec.line.commands()
    ups = _ups(megatec, password="wrong")
    with pytest.raises(NutServerError) as refused:
        run_blocking(lambda: ups.instant_command("shutdown.stayoff"))
    assert refused.value.code in {"ACCESS-DENIED", "PASSWORD-INCORRECT"}
    assert "wrong" not in str(refused.value)
    assert megatec.line.commands() == before


def test_command_without_login_is_refused(megatec: MegatecUpsServer) -> None:
    client = NutClient(megatec.host, megatec.port)

    async def command() -> None:
        async with client:
            await client.instant_command(megatec.ups_name, "shutdown.return")

    with pytest.raises(NutServerError) as refused:
        run_blocking(command)
    assert refused.value.code in {"USERNAME-REQUIRED", "ACCESS-DENIED"}


def test_dummy_ups_offers_no_shutdown_return(emulated_ups: EmulatedUps) -> None:
    """NUT 2.8.0's dummy-ups lists load.off only; upsd refuses other commands itself."""
    assert run_blocking(emulated_ups.list_commands) == {"load.off"}
    with pytest.raises(NutServerError) as refused:
        run_blocking(lambda: emulated_ups.instant_command("shutdown.return"))
    assert refused.value.code == "CMD-NOT-SUPPORTED"
