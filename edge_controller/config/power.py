"""``[power]`` section of the edge configuration: the UPS, the generator contact, the policy."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Count, CountOrZero, Duration, DurationOrZero, Percent
from hardware.gpio import GeneratorContactConfig
from hardware.ups import NutUpsConfig, UpsConfig


class PowerConfig(ConfigSection):
    """How the edge watches the office's power and when it shuts the office down."""

    ups: UpsConfig = Field(
        default_factory=NutUpsConfig, description="The office UPS, read through NUT's upsd."
    )
    generator: GeneratorContactConfig | None = Field(
        default=None,
        description="The transfer switch's generator contact on GPIO; None when not wired.",
    )
    poll_interval_s: Duration = Field(2.0, description="Seconds between two UPS polls.")
    hold_polls: Count = Field(
        3, description="A new power state must be seen in this many polls in a row..."
    )
    hold_seconds: DurationOrZero = Field(
        10.0, description="...and for this many seconds before the office adopts it."
    )
    low_battery_confirm_polls: Count = Field(
        2, description="Polls in a row that must say low battery before shutting down."
    )
    capture_margin_s: CountOrZero = Field(
        600,
        description="On battery with less runtime left than this, booths start no new capture.",
    )
    shutdown_runtime_s: CountOrZero | None = Field(
        120,
        description="On battery with less runtime left than this counts as low battery "
        "(shut down) even before the UPS says LB; None: wait for LB.",
    )
    low_battery_charge_pct: Percent | None = Field(
        30.0,
        description="For a UPS that reports no battery.runtime: on battery with less "
        "charge than this (%) counts as low battery (shut down) even before it says LB; "
        "None: wait for LB.",
    )
    capture_margin_charge_pct: Percent | None = Field(
        50.0,
        description="For a UPS that reports no battery.runtime: on battery with less "
        "charge than this (%), booths start no new capture.",
    )
    ups_power_off: bool = Field(
        True,
        description="On a decided shutdown, once the booths are down and before the edge "
        "halts, ask the UPS to turn off after ups_off_delay_s and on again when the mains "
        "returns (NUT's shutdown.return, else load.off.delay), so the office comes back "
        "by itself. The UPS login needs 'instcmds = all' and 'actions = SET' in upsd.users.",
    )
    ups_off_delay_s: int = Field(
        120,
        ge=20,
        le=3600,
        description="Seconds from that command to the UPS output going off: longer than "
        "the edge needs to halt.",
    )
    republish_s: Duration = Field(
        30.0, description="Re-publish office/power this often (fresh runtime left)."
    )
    booth_offline_wait_s: DurationOrZero = Field(
        90.0,
        description="After SHUTDOWN, wait at most this long for every booth to go offline.",
    )
    shutdown_command: list[str] = Field(
        default_factory=lambda: ["systemctl", "poweroff"],
        min_length=1,
        description="The edge's own shutdown, run last (argv, no shell).",
    )
    command_timeout_s: Duration = Field(
        30.0, description="How long the shutdown command may take before it is abandoned."
    )
