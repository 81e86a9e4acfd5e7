"""Runs the ansible-core playbooks and reads back what each task did.

:class:`AnsibleRunner` writes a throw-away inventory, extra variables and a
``known_hosts`` made of the pinned keys, runs ``python -m ansible playbook`` with the
``rekam_events`` callback, streams its progress lines, and returns a
:class:`RunResult`. SSH uses a ControlPersist master per host (fast repeated tasks);
:meth:`AnsibleRunner.close` ends those masters, so nothing lingers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANSIBLE_DIR = Path(__file__).resolve().parent / "ansible"
RUN_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class TaskEvent:
    """One task's result on one host (from the callback's event log)."""

    host: str
    task: str
    status: str
    tags: tuple[str, ...] = ()
    message: str = ""
    ignored: bool = False
    stdout: str | None = None

    @property
    def system(self) -> bool:
        return "system" in self.tags


@dataclass
class RunResult:
    """What one ansible run did. ``plan_system``: system steps ran in check mode."""

    playbook: str
    returncode: int
    plan_system: bool
    events: list[TaskEvent] = field(default_factory=list)
    output: str = ""

    def _of(self, host: str | None) -> list[TaskEvent]:
        return [e for e in self.events if host is None or e.host == host]

    def changed(self, host: str | None = None) -> list[TaskEvent]:
        """Changes actually applied (system steps in check mode are not among them)."""
        return [
            e
            for e in self._of(host)
            if e.status == "changed" and not (self.plan_system and e.system)
        ]

    def planned(self, host: str | None = None) -> list[TaskEvent]:
        """System steps that would change the machine (check mode), incl. uncheckable ones."""
        if not self.plan_system:
            return []
        return [
            e
            for e in self._of(host)
            if e.system and (e.status == "changed" or (e.status == "failed" and e.ignored))
        ]

    def failures(self, host: str | None = None) -> list[TaskEvent]:
        return [
            e
            for e in self._of(host)
            if e.status == "unreachable" or (e.status == "failed" and not e.ignored)
        ]

    def report(self, host: str, task: str) -> str | None:
        """The stdout of the last ``report``-tagged task named ``task`` on ``host``."""
        found = [
            e.stdout
            for e in self._of(host)
            if e.task.split(" : ")[-1] == task and e.stdout is not None
        ]
        return found[-1] if found else None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures()


class AnsibleRunner:
    """Runs playbooks against booths reached with one SSH key and pinned host keys."""

    def __init__(
        self,
        *,
        private_key: Path,
        plan_system: bool,
        progress: Callable[[str], None] | None = print,
    ) -> None:
        self.private_key = private_key
        self.plan_system = plan_system
        self.progress = progress
        self.work_dir = Path(tempfile.mkdtemp(prefix="rekam-provision-"))
        # Unix socket paths are short (108 bytes): keep the control path dir tiny.
        self.control_dir = Path(tempfile.mkdtemp(prefix="rk-cp-", dir="/tmp"))
        self._runs = 0

    def _environment(self, known_hosts: Path, events: Path) -> dict[str, str]:
        config = self.work_dir / "ansible.cfg"
        config.touch()
        ssh_args = " ".join(
            [
                "-o ControlMaster=auto",
                "-o ControlPersist=60s",
                f"-o UserKnownHostsFile={known_hosts}",
                "-o GlobalKnownHostsFile=/dev/null",
                "-o StrictHostKeyChecking=yes",
                "-o IdentitiesOnly=yes",
                "-o BatchMode=yes",
                "-o ConnectTimeout=15",
            ]
        )
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_CONFIG": str(config),
                "ANSIBLE_HOME": str(self.work_dir / "home"),
                "ANSIBLE_LOCAL_TEMP": str(self.work_dir / "tmp"),
                "ANSIBLE_STDOUT_CALLBACK": "rekam_events",
                "ANSIBLE_CALLBACK_PLUGINS": str(ANSIBLE_DIR / "callback_plugins"),
                "ANSIBLE_ROLES_PATH": str(ANSIBLE_DIR / "roles"),
                "ANSIBLE_HOST_KEY_CHECKING": "True",
                "ANSIBLE_SSH_ARGS": ssh_args,
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.control_dir),
                "ANSIBLE_SSH_CONTROL_PATH": "%(directory)s/%%C",
                "ANSIBLE_PIPELINING": "True",
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_DEPRECATION_WARNINGS": "False",
                "ANSIBLE_TIMEOUT": "15",
                "ANSIBLE_FORKS": "5",
                "REKAM_EVENTS_FILE": str(events),
                "REKAM_PROGRESS": "1" if self.progress else "0",
            }
        )
        return env

    def run(
        self,
        playbook: str,
        hosts: dict[str, dict[str, Any]],
        extra_vars: dict[str, Any],
        known_hosts: str,
    ) -> RunResult:
        """Run ``playbook`` (a file in provisioning/ansible) on ``hosts`` (name → hostvars)."""
        self._runs += 1
        run_dir = self.work_dir / f"run-{self._runs}"
        run_dir.mkdir()
        inventory = run_dir / "inventory.json"
        inventory.write_text(json.dumps({"booths": {"hosts": hosts}}), encoding="utf-8")
        known = run_dir / "known_hosts"
        known.write_text(known_hosts, encoding="utf-8")
        variables = run_dir / "vars.json"
        common = {
            "rekam_plan_system": self.plan_system,
            "rekam_controller_python": sys.executable,
            "rekam_scripts_dir": str(ANSIBLE_DIR / "booth_scripts"),
        }
        variables.write_text(json.dumps({**common, **extra_vars}), encoding="utf-8")
        os.chmod(variables, 0o600)
        events = run_dir / "events.jsonl"
        command = [
            sys.executable,
            "-m",
            "ansible",
            "playbook",
            "-i",
            str(inventory),
            "--private-key",
            str(self.private_key),
            "-e",
            f"@{variables}",
            str(ANSIBLE_DIR / playbook),
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self._environment(known, events),
            cwd=run_dir,
        )
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if self.progress and line.startswith("  ["):
                self.progress(line.rstrip("\n"))
        returncode = process.wait(timeout=RUN_TIMEOUT_SECONDS)
        result = RunResult(playbook, returncode, self.plan_system, output="".join(lines))
        if events.exists():
            for raw in events.read_text(encoding="utf-8").splitlines():
                data = json.loads(raw)
                result.events.append(
                    TaskEvent(
                        host=data["host"],
                        task=data["task"],
                        status=data["status"],
                        tags=tuple(data.get("tags", ())),
                        message=data.get("message", ""),
                        ignored=bool(data.get("ignored")),
                        stdout=data.get("stdout"),
                    )
                )
        return result

    def close(self) -> None:
        """End the SSH master connections and remove the temporary files. Idempotent."""
        if self.control_dir.exists():
            for socket_path in self.control_dir.iterdir():
                subprocess.run(
                    ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "rekam-booth"],
                    capture_output=True,
                    timeout=15,
                    check=False,
                )
            shutil.rmtree(self.control_dir, ignore_errors=True)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> AnsibleRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
