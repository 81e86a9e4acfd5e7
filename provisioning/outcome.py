"""What a booth operation reports: one :class:`Outcome` per booth, read from a playbook run.

The playbooks name the tasks whose results the operations read back (the signed
certificate, the self-test, the signing key …); those names live here, beside the code
that turns a :class:`~provisioning.engine.RunResult` into a line of the summary table.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from provisioning.engine import RunResult
from provisioning.hostkeys import explain_connection_failure

SIGNER_TASK = "Sign the request with the office CA (on this machine)"
SELFTEST_TASK = "Hardware self-test"
SIGNING_KEY_TASK = "Read the packet-signing public key"
PROBE_TASK = "Probe release, outbox and disk"
SNAPSHOT_TASK = "Snapshot the old outbox"
MERGE_TASK = "Merge recovered records into the outbox"
EDGE_KEY_TASK = "Register the packet-signing key at the edge (on this machine)"
EDGE_KEY_TODO = "TO DO"


@dataclass
class Outcome:
    """One booth's line in the summary table."""

    booth_id: str
    host: str
    action: str
    result: str = "ok"
    changed: int = 0
    planned: int = 0
    detail: str = ""
    selftest: list[dict[str, Any]] | None = None
    recovered: int | None = None  # records recovered from a replaced unit's outbox
    edge_key: str | None = None  # registered / rotated / unchanged / TO DO
    planned_steps: list[str] = field(default_factory=list)
    changed_steps: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.result not in ("ok", "unchanged")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def task_json(text: str | None) -> Any:
    """A task's JSON report, or None when it reported nothing readable."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def outcome_of_run(booth_id: str, host: str, port: int, action: str, run: RunResult) -> Outcome:
    """The booth's outcome: steps planned and changed, its self-test, the first failure."""
    outcome = Outcome(booth_id, host, action)
    outcome.changed_steps = [e.task for e in run.changed(booth_id)]
    outcome.planned_steps = [e.task for e in run.planned(booth_id)]
    outcome.changed = len(outcome.changed_steps)
    outcome.planned = len(outcome.planned_steps)
    outcome.selftest = task_json(run.report(booth_id, SELFTEST_TASK))
    failures = run.failures(booth_id)
    if failures:
        outcome.result = "FAILED"
        message = failures[0].message or failures[0].task
        outcome.detail = explain_connection_failure(message, host, port) or (
            f"{failures[0].task}: {message}"
        )
        if failures[0].status == "unreachable" and not outcome.detail.startswith("Refusing"):
            outcome.result = "unreachable"
    elif not run.ok:
        outcome.result = "FAILED"
        outcome.detail = run.output.strip().splitlines()[-1] if run.output.strip() else ""
    elif outcome.changed == 0:
        outcome.result = "unchanged"
    return outcome


def selftest_failures(outcome: Outcome) -> list[str]:
    """``device: detail`` for each device whose self-test failed."""
    return [
        f"{d.get('device')}: {d.get('detail')}" for d in outcome.selftest or [] if not d.get("ok")
    ]
