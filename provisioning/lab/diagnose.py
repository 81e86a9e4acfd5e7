"""What a failed rehearsal shows first: each machine's failed units and the end of its
Rekam units' journals.

A step that fails on a machine (``booth add`` when the kiosk did not start, say) only
knows what ``rekam-provision`` printed: "Job for rekam-kiosk.service failed ... see
journalctl". A technician would look at the journal next, so the rehearsal does it for
them before the lab goes down, and its report carries what it read (``--json``:
``diagnosis``). The kiosk and the edge log no biometric byte, PIN or key (``STYLE.md``),
so their journals may be shown.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence

JOURNAL_LINES = 40


def diagnosis_commands(units: Sequence[str]) -> str:
    """One shell command: the failed units, then each unit's status line and journal tail
    (monotonic times: the seconds from boot show how long a start took)."""
    parts = ["echo '# systemctl --failed'", "systemctl --failed --plain --no-legend --no-pager"]
    for unit in units:
        parts += [
            f"echo '# {unit}'",
            f"systemctl show -p ActiveState -p SubState -p Result -p NRestarts {unit}"
            " | tr '\\n' ' '; echo",
            f"journalctl -u {unit} -n {JOURNAL_LINES} --no-pager -o short-monotonic",
        ]
    return "; ".join(parts)


def diagnose(
    units_of: Mapping[str, Sequence[str]], ssh_command: Callable[[str, str], list[str]]
) -> dict[str, str]:
    """Per machine (``units_of``: its units to read), the text of
    :func:`diagnosis_commands`; a machine that does not answer says why in one line."""
    found: dict[str, str] = {}
    for machine, units in units_of.items():
        try:
            done = subprocess.run(
                ssh_command(machine, diagnosis_commands(units)),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            found[machine] = f"not read: {type(err).__name__}"
            continue
        text = done.stdout.strip()
        if done.returncode != 0 and not text:
            text = f"not read: ssh exited {done.returncode}: {done.stderr.strip()[-300:]}"
        found[machine] = text
    return found
