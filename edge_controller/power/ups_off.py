"""Ask the UPS to power the office off and back on, as NUT's upsmon primary does last.

On a decided shutdown, once the booths are down and just before the edge halts,
:func:`power_cycle_ups` asks the UPS (NUT instant commands over upsd) to turn its
output off after a delay long enough for the edge's own halt, and on again when the
mains returns: ``shutdown.return`` (after setting ``ups.delay.shutdown`` to the delay,
where the driver lets us), else ``load.off.delay <delay>``. Without either the office
stays dark until someone switches it on, and the report says so. ``load.off`` (off
*now*) is never used: it would cut the edge before it has halted.
"""

from __future__ import annotations

import logging

from hardware.errors import DeviceError
from hardware.ups import Ups

log = logging.getLogger(__name__)

RETURN_COMMAND = "shutdown.return"
DELAYED_OFF_COMMAND = "load.off.delay"
DELAY_VARIABLE = "ups.delay.shutdown"


class UpsCommandUnsupported(DeviceError):
    """The UPS offers no command that turns it off after a delay."""


async def power_cycle_ups(ups: Ups, off_delay_s: int) -> str:
    """Send the power-off-and-return command; return what was sent (for the report).

    Raises DeviceError: upsd unreachable, the command refused (``NutServerError`` with
    NUT's code, e.g. ``ACCESS-DENIED`` for a login without ``instcmds``), or
    :class:`UpsCommandUnsupported`.
    """
    offered = await ups.list_commands()
    if RETURN_COMMAND in offered:
        try:
            await ups.set_var(DELAY_VARIABLE, str(off_delay_s))
        except DeviceError as err:
            log.warning("power: the UPS keeps its own off delay (%s: %s)", type(err).__name__, err)
        await ups.instant_command(RETURN_COMMAND)
        return RETURN_COMMAND
    if DELAYED_OFF_COMMAND in offered:
        await ups.instant_command(DELAYED_OFF_COMMAND, str(off_delay_s))
        return f"{DELAYED_OFF_COMMAND} {off_delay_s}"
    raise UpsCommandUnsupported(
        f"the UPS offers neither {RETURN_COMMAND} nor {DELAYED_OFF_COMMAND} "
        f"(it offers: {', '.join(sorted(offered)) or 'nothing'}); switch the office "
        "back on by hand when the power returns",
        device="ups",
    )
