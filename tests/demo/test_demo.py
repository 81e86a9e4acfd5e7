"""``./setup.sh demo`` as a newcomer runs it: a whole office starts, residents are recorded,
their sealed records reach the edge, coverage moves, and nothing is left running."""

from __future__ import annotations

import subprocess
import sys

from demo_fixtures import orphaned_daemons


def test_the_demo_records_residents_and_the_edge_has_them() -> None:
    before = orphaned_daemons()
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--residents", "2", "--speed", "8", "--once"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout
    assert "dashboard: http://127.0.0.1:" in out
    assert "ticket A-001" in out
    assert "ticket A-002" in out
    assert "sealed records at the edge: 2 of 2; booth outbox waiting: 0" in out
    assert "office             2 / " in out
    assert orphaned_daemons() - before == set()  # what the demo started is gone
