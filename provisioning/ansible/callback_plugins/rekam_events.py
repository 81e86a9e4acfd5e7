"""Ansible stdout callback for rekam-provision: progress lines and a JSON-lines event log.

Each finished task on each host prints one line (``[booth-01] changed  Write ...``) and
appends one JSON object to the file named by ``REKAM_EVENTS_FILE``: host, task name,
status (ok / changed / failed / skipped / unreachable), tags, message, ``stdout`` of
tasks tagged ``report``, and whether the failure was ignored. A task tagged ``slow``
also prints a line when it starts, so a long step does not look like a hang. The CLI reads that file
to build its summary; nothing here decides anything.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: rekam_events
    type: stdout
    short_description: progress lines and a JSON-lines event log for rekam-provision
    description:
      - Writes one JSON object per task result to the file in REKAM_EVENTS_FILE.
"""

_MAX_MESSAGE = 2000


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "rekam_events"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        path = os.environ.get("REKAM_EVENTS_FILE")
        self._events = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self._quiet = os.environ.get("REKAM_PROGRESS", "1") == "0"

    def _emit(self, result: Any, status: str) -> None:
        task = result._task
        data = result._result if isinstance(result._result, dict) else {}
        tags = sorted(str(tag) for tag in (task.tags or []))
        message = data.get("msg") or data.get("stderr") or ""
        if status == "changed" and data.get("diff") and not message:
            message = "content changed"
        event = {
            "host": result._host.get_name(),
            "task": task.get_name().strip(),
            "status": status,
            "tags": tags,
            "message": str(message)[:_MAX_MESSAGE],
            "ignored": bool(getattr(result, "_ignore_errors", False)),
        }
        if "report" in tags and "stdout" in data:
            event["stdout"] = data["stdout"]
        if status == "failed" and "rc" in data:
            event["rc"] = data["rc"]
        if self._events is not None:
            self._events.write(json.dumps(event) + "\n")
            self._events.flush()
        if not self._quiet and status != "skipped":
            label = status
            if "system" in tags and status == "changed":
                label = "system"
            line = f"  [{event['host']}] {label:<11} {event['task']}"
            if status in ("failed", "unreachable") and event["message"]:
                line += f": {event['message'].splitlines()[0][:200]}"
            print(line, file=sys.stdout, flush=True)

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        """Announce tasks tagged ``slow`` before they start (their line comes at the end)."""
        if self._quiet or "slow" not in (task.tags or []):
            return
        print(f"  [*] {'started':<11} {task.get_name().strip()} (may take minutes)", flush=True)

    def v2_runner_on_ok(self, result: Any) -> None:
        self._emit(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        result._ignore_errors = ignore_errors
        self._emit(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._emit(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._emit(result, "unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if self._events is not None:
            self._events.close()
            self._events = None
