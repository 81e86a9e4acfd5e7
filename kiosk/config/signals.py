"""``[signals]``: what the booth's LEDs and buzzer say (``kiosk.signals`` drives them).

The pins themselves are ``[hardware.gpio]``; a booth without it shows and sounds nothing.
"""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Duration, DurationOrZero


class SignalSettings(ConfigSection):
    """``[signals]`` of a booth's configuration."""

    capture_beeps: bool = Field(
        default=True,
        description="Beep at capture steps: short when a step is done (photo accepted, "
        "a finger captured, the signature), long when it failed; false mutes them.",
    )
    call_chime: bool = Field(
        default=True,
        description="Chime at the booth when the resident presses the call button.",
    )
    short_beep_s: Duration = Field(default=0.08, description="Length of a short beep (s).")
    long_beep_s: Duration = Field(default=0.7, description="Length of a long beep (s).")
    saved_blink_s: Duration = Field(
        default=5.0,
        description="How long the green LED blinks after a recording is saved (s).",
    )
    call_repeat_s: DurationOrZero = Field(
        default=30.0,
        description="Presses of the call button within this many seconds of a call ask "
        "the operator once (the chime still answers each press).",
    )
    poll_s: Duration = Field(
        default=0.5,
        description="How often the LEDs follow the office power and the end of a blink (s).",
    )
    device_check_s: Duration = Field(
        default=30.0,
        description="Without an edge link: how often the devices are self-tested for the "
        "red LED (s). With one, the booth's health report is used.",
    )
