"""A replaced unit's outbox joins the new unit's: packets and waiting messages, once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.outbox.records import Sendable, SendableKind
from kiosk.outbox.store import Outbox


def _old_unit(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.commit("pkt-unsent", b"sealed-unsent", {"kelurahan": "Tanjung Redeb"})
        outbox.commit("pkt-acked", b"sealed-acked", {})
        outbox.mark_sent("pkt-acked")
        outbox.mark_acked(["pkt-acked"])
        outbox.sendables.enqueue(
            Sendable(SendableKind.EVENT, "evt-1", "booths/booth-01/events", b'{"kind":"check_in"}')
        )


def _merge(source: Path, target: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.outbox.merge", "--source", str(source),
         "--outbox", str(target)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return json.loads(done.stdout)


def test_unsent_packets_and_waiting_messages_join_once(tmp_path: Path) -> None:
    old, new = tmp_path / "old.sqlite", tmp_path / "new.sqlite"
    _old_unit(old)
    first = _merge(old, new)
    second = _merge(old, new)
    assert first == {"added": 1, "already": 0, "messages_added": 1, "outbox_depth": 1}
    assert second == {"added": 0, "already": 1, "messages_added": 0, "outbox_depth": 1}
    with Outbox(new) as outbox:
        record = outbox.get("pkt-unsent")
        assert record is not None
        assert record.sealed == b"sealed-unsent"
        assert outbox.get("pkt-acked") is None  # the edge has it already
        waiting = outbox.sendables.pending_sendables(limit=10)
        assert [m.sendable.record_id for m in waiting] == ["evt-1"]
