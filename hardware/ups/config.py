"""Configuration of the UPS device: ``backend = "real"`` (a NUT upsd) or ``"emulated"``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr

from hardware.config_types import ConfigSection, Duration, TcpPort
from hardware.ups.device import NutUps, Ups
from hardware.ups.emulated import EmulatedUps


class NutUpsConfig(ConfigSection):
    """A UPS served by a NUT ``upsd`` (on the edge, usually the local one)."""

    backend: Literal["real"] = Field("real", description="Read a real UPS through NUT's upsd.")
    host: str = Field("127.0.0.1", description="Host where upsd listens.")
    port: TcpPort = Field(3493, description="upsd's TCP port.")
    ups_name: str = Field("ups", min_length=1, description="The UPS's name in upsd's ups.conf.")
    username: str | None = Field(None, description="upsd.users login, if upsd requires one.")
    password: SecretStr | None = Field(None, description="Password of that login.")
    timeout: Duration = Field(5.0, description="Seconds to wait for upsd on each call.")


class EmulatedUpsConfig(ConfigSection):
    """A private upsd + dummy-ups on a free loopback port, scripted by tests and the demo."""

    backend: Literal["emulated"] = Field(
        "emulated", description="Start a real upsd with NUT's dummy-ups driver."
    )
    ups_name: str = Field("dummy", min_length=1, description="Name of the emulated UPS.")
    initial_status: str = Field("OL", min_length=1, description="ups.status at start.")
    initial_charge: float = Field(100.0, ge=0, le=100, description="battery.charge at start (%).")
    initial_runtime: int = Field(1800, ge=0, description="battery.runtime at start (seconds).")
    timeout: Duration = Field(5.0, description="Seconds to wait for upsd on each call.")
    startup_timeout: Duration = Field(
        20.0, description="Seconds to wait for the driver and upsd to start."
    )
    upsd_path: str = Field("/lib/nut/upsd", description="The upsd program.")
    driver_path: str = Field("/lib/nut/dummy-ups", description="The dummy-ups driver program.")


UpsConfig = Annotated[NutUpsConfig | EmulatedUpsConfig, Field(discriminator="backend")]


def open_ups(config: NutUpsConfig | EmulatedUpsConfig) -> Ups:
    """Build the UPS device the configuration asks for (the emulated one starts upsd)."""
    if isinstance(config, EmulatedUpsConfig):
        return EmulatedUps(**config.model_dump(exclude={"backend"}))  # its fields are its arguments
    return NutUps(
        config.host,
        config.port,
        config.ups_name,
        username=config.username,
        password=None if config.password is None else config.password.get_secret_value(),
        timeout=config.timeout,
    )
