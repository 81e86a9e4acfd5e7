"""The booth operations behind ``rekam-provision booth ...``: add, replace, update, status.

Each builds the variables for a playbook from the office directory and the inventory,
runs it with :class:`provisioning.engine.AnsibleRunner`, and records the outcome in
the inventory. Nothing here talks SSH itself except the host-key scan that pins a new
unit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ektp.pki import validate_booth_id
from provisioning.engine import AnsibleRunner, RunResult
from provisioning.hostkeys import known_hosts_text
from provisioning.inventory import BoothEntry, Inventory
from provisioning.layout import BoothLayout
from provisioning.office import (
    OfficeDirectory,
    OfficeError,
    booth_config,
    booth_config_toml,
    sync_crl,
)
from provisioning.outcome import (
    EDGE_KEY_TASK,
    EDGE_KEY_TODO,
    MERGE_TASK,
    PROBE_TASK,
    SIGNER_TASK,
    SIGNING_KEY_TASK,
    SNAPSHOT_TASK,
    Outcome,
    outcome_of_run,
    selftest_failures,
    task_json,
    utc_now,
)
from provisioning.release import Release, build_release, installed_source
from provisioning.signing_keys import keep_signing_key
from provisioning.unit_identity import refuse_other_identity

KIOSK_GROUPS = ["video", "input", "render", "gpio", "dialout", "plugdev"]
KIOSK_WATCHDOG_SECONDS = 30  # kiosk unit Type=notify: READY=1, then WATCHDOG=1 from the UI


class Provisioner:
    """Booth operations for one office directory (load, act, save the inventory)."""

    def __init__(
        self,
        office: OfficeDirectory,
        *,
        progress: Callable[[str], None] | None = print,
    ) -> None:
        self.office = office
        self.inventory: Inventory = office.load_inventory()
        self.settings = self.inventory.office
        self.progress = progress
        self.runner = AnsibleRunner(
            private_key=self.settings.ssh_private_key,
            plan_system=self.settings.plan_system_changes,
            progress=progress,
        )

    def close(self) -> None:
        self.runner.close()

    def __enter__(self) -> Provisioner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def say(self, text: str) -> None:
        if self.progress:
            self.progress(text)

    # -- variables ----------------------------------------------------------------

    def _hostvars(self, host: str, port: int) -> dict[str, Any]:
        return {
            "ansible_host": host,
            "ansible_port": port,
            "ansible_user": self.settings.ssh_user,
            "ansible_python_interpreter": self.settings.system_python,
            "ansible_become": self.settings.ssh_user != "root",
        }

    def _known_hosts(self, *extra: tuple[str, int, list[str]]) -> str:
        """known_hosts for a run: the inventory's keys, with ``extra`` (host, port, keys)
        replacing what the inventory pins for those addresses (a replaced unit's keys)."""
        replaced = {(host, port) for host, port, _ in extra}
        entries = [
            (b.host, b.port, b.host_keys)
            for b in self.inventory.booths.values()
            if (b.host, b.port) not in replaced
        ]
        return known_hosts_text([*entries, *extra])

    def _booth_vars(self, booth_id: str, host: str, port: int) -> dict[str, Any]:
        settings = self.settings
        layout = BoothLayout(booth_id, settings.root_for(host, port))
        owner = settings.ssh_user if settings.plan_system_changes else settings.kiosk_user
        return {
            **layout.ansible_vars(),
            "rekam_office_dir": str(self.office.root.resolve()),
            "rekam_booth_python": settings.booth_python,
            "rekam_user": settings.kiosk_user,
            "rekam_user_groups": KIOSK_GROUPS,
            "rekam_file_owner": owner,
            "rekam_edge_host": settings.edge_host,
            "rekam_edge_config": str(settings.edge_config or ""),
            "rekam_system_packages": settings.booth_packages(),
            "rekam_data_device": settings.data_device,
            "rekam_data_mount": str(layout.data_dir),
            "rekam_hardware_watchdog_sec": "15s",
            "rekam_kiosk_watchdog_sec": KIOSK_WATCHDOG_SECONDS,
            "rekam_selftest_timeout": 30,
        }

    def release(self, source: Path | None = None) -> Release:
        return build_release(source or installed_source(), self.office.releases_dir)

    # -- shared result handling ---------------------------------------------------

    def _outcome(self, booth_id: str, host: str, action: str, run: RunResult) -> Outcome:
        return outcome_of_run(booth_id, host, self._port_of(booth_id), action, run)

    def _port_of(self, booth_id: str) -> int:
        entry = self.inventory.booths.get(booth_id)
        return entry.port if entry else 22

    def _record_health(self, entry: BoothEntry, outcome: Outcome) -> None:
        if outcome.selftest is not None:
            entry.health = "ok" if all(d.get("ok") for d in outcome.selftest) else "failed"
            entry.last_seen = utc_now()

    # -- add ------------------------------------------------------------------------

    def add(
        self,
        booth_id: str,
        host: str,
        port: int,
        host_keys: list[str],
        *,
        release: Release | None = None,
        recovered_outbox: Path | None = None,
        renew_tls_key: bool = False,
        action: str = "add",
    ) -> Outcome:
        """Provision ``booth_id`` on the unit at ``host``:``port`` (pinned ``host_keys``)."""
        validate_booth_id(booth_id)
        refuse_other_identity(self.inventory, booth_id, host, port, host_keys, action=action)
        existing = self.inventory.booths.get(booth_id)
        if action == "add" and existing and (existing.host, existing.port) != (host, port):
            raise OfficeError(
                f"{booth_id} is already the unit at {existing.host}:{existing.port}; "
                f"to move it to another unit use `rekam-provision booth replace {booth_id} "
                f"--host {host}`."
            )
        release = release or self.release()
        config_text = booth_config_toml(
            booth_config(self.office, self.settings, booth_id, host, port)
        )
        ca = self.office.load_ca()
        extra = {
            **self._booth_vars(booth_id, host, port),
            "rekam_booth_toml": config_text,
            "rekam_ca_cert_pem": ca.cert_pem().decode("ascii"),
            "rekam_crl_pem": ca.crl_path.read_text(encoding="ascii"),
            "rekam_central_key_pem": self.office.central_key_path.read_text(encoding="utf-8"),
            "rekam_edge_review_key_pem": _text_or_empty(self.office.review_public_key_path),
            "rekam_release_version": release.version,
            "rekam_release_tarball": str(release.tarball.resolve()),
            "rekam_recovered_outbox": str(recovered_outbox.resolve()) if recovered_outbox else "",
            "rekam_renew_tls_key": renew_tls_key,
        }
        self.say(f"{booth_id}: provisioning {host}:{port} with release {release.version}")
        run = self.runner.run(
            "booth_add.yml",
            {booth_id: self._hostvars(host, port)},
            extra,
            self._known_hosts((host, port, host_keys)),
        )
        outcome = self._outcome(booth_id, host, action, run)
        if outcome.failed:
            return outcome
        entry = existing if existing is not None else BoothEntry(host=host, port=port)
        if (entry.host, entry.port) != (host, port):
            entry.previous_hosts.append(f"{entry.host}:{entry.port}")
        entry.host, entry.port, entry.host_keys = host, port, list(host_keys)
        signed = task_json(run.report(booth_id, SIGNER_TASK))
        if signed:
            entry.cert_serial = str(signed["serial"])
        entry.release = release.version
        self._record_health(entry, outcome)
        self.inventory.booths[booth_id] = entry
        public_key = run.report(booth_id, SIGNING_KEY_TASK)
        if public_key:
            keep_signing_key(self.office.booth_keys_dir, booth_id, public_key)
        edge_key = task_json(run.report(booth_id, EDGE_KEY_TASK))
        outcome.edge_key = str(edge_key["change"]) if edge_key else EDGE_KEY_TODO
        merged = task_json(run.report(booth_id, MERGE_TASK))
        if merged:
            # the old unit's records now in this unit's outbox (merged now, or already)
            outcome.recovered = int(merged["added"]) + int(merged["already"])
            outcome.detail = (
                f"recovered {merged['added']} record(s) into the outbox "
                f"({merged['already']} already there)"
            )
        elif action == "replace":
            outcome.recovered = 0
        problems = selftest_failures(outcome)
        if problems:
            outcome.result = "selftest FAILED"
            outcome.detail = "; ".join(problems)
        self.office.save_inventory(self.inventory)
        return outcome

    # -- replace ----------------------------------------------------------------------

    def recover_outbox(
        self, booth_id: str, host_keys: list[str] | None = None
    ) -> tuple[Path | None, str]:
        """Fetch the outbox snapshot at the booth's recorded address; (file, what happened).

        ``host_keys``: the keys of the machine that answers there now, when a new unit
        took the old unit's address (its data area may still hold the old outbox).
        """
        entry = self.inventory.booth(booth_id)
        destination = self.office.recovered_dir / (
            f"{booth_id}-{entry.host}-{entry.port}-outbox.sqlite"
        )
        destination.parent.mkdir(exist_ok=True)
        layout = BoothLayout(booth_id, self.settings.root_for(entry.host, entry.port))
        extra = {
            **layout.ansible_vars(),
            "rekam_old_booth_python": self.settings.system_python,
            "rekam_snapshot_path": f"/tmp/rekam-recover-{booth_id}.sqlite",
            "rekam_recover_dest": str(destination.resolve()),
        }
        self.say(f"{booth_id}: reading the old unit's outbox at {entry.host}:{entry.port}")
        run = self.runner.run(
            "booth_recover.yml",
            {booth_id: self._hostvars(entry.host, entry.port)},
            extra,
            self._known_hosts(*([(entry.host, entry.port, host_keys)] if host_keys else [])),
        )
        snapshot = task_json(run.report(booth_id, SNAPSHOT_TASK))
        if not run.ok or not snapshot:
            reason = run.failures(booth_id)[0].message if run.failures(booth_id) else "no answer"
            return None, f"old unit not readable ({reason.splitlines()[0][:120]})"
        if not snapshot.get("found"):
            return None, f"old unit has no readable outbox ({snapshot.get('reason')})"
        return destination, f"{snapshot['unacked']} unacked record(s) on the old unit"

    def replace(
        self,
        booth_id: str,
        host: str,
        port: int,
        host_keys: list[str],
        *,
        old_outbox: Path | None = None,
        release: Release | None = None,
    ) -> Outcome:
        """The unit at ``host`` becomes ``booth_id``: new key, old cert revoked, records kept.

        The new unit may sit at the old unit's address (a reinstalled or swapped unit with
        the same IP): it is told apart by its SSH host key. The unit the inventory already
        pins there (same keys) is only checked, so running replace again changes nothing.
        """
        entry = self.inventory.booth(booth_id)
        refuse_other_identity(self.inventory, booth_id, host, port, host_keys, action="replace")
        same_address = (entry.host, entry.port) == (host, port)
        if same_address and set(host_keys) == set(entry.host_keys):
            self.say(f"{booth_id} already runs on {host}:{port}: checking it is complete")
            return self.add(booth_id, host, port, host_keys, release=release, action="replace")
        if same_address:
            self.say(f"{booth_id}: a new unit (new host key) answers at {host}:{port}")
        notes = []
        recovered = old_outbox
        if recovered is None:
            recovered, note = self.recover_outbox(
                booth_id, host_keys=host_keys if same_address else None
            )
            notes.append(note)
        else:
            notes.append(f"records taken from {old_outbox}")
        ca = self.office.load_ca()
        if entry.cert_serial and int(entry.cert_serial, 16) not in ca.revoked_serials():
            ca.revoke(int(entry.cert_serial, 16))
            notes.append(f"certificate {entry.cert_serial} revoked")
        if sync_crl(self.office):
            notes.append("new CRL in edge/tls/crl.pem: `office crl --edge-ssh H` reloads the edge")
        self.office.save_inventory(self.inventory)
        outcome = self.add(
            booth_id,
            host,
            port,
            host_keys,
            release=release,
            recovered_outbox=recovered,
            renew_tls_key=same_address,
            action="replace",
        )
        outcome.detail = "; ".join(filter(None, [*notes, outcome.detail]))
        return outcome

    # -- update -----------------------------------------------------------------------

    def update(self, booth_ids: list[str], release: Release) -> list[Outcome]:
        """Rolling update: one booth at a time; stop at the first booth that fails."""
        outcomes: list[Outcome] = []
        for index, booth_id in enumerate(booth_ids, start=1):
            entry = self.inventory.booth(booth_id)
            self.say(f"[{index}/{len(booth_ids)}] {booth_id}: updating to {release.version}")
            extra = {
                **self._booth_vars(booth_id, entry.host, entry.port),
                "rekam_release_version": release.version,
                "rekam_release_tarball": str(release.tarball.resolve()),
                "rekam_crl_pem": self.office.load_ca().crl_path.read_text(encoding="ascii"),
            }
            run = self.runner.run(
                "booth_update.yml",
                {booth_id: self._hostvars(entry.host, entry.port)},
                extra,
                self._known_hosts(),
            )
            outcome = self._outcome(booth_id, entry.host, "update", run)
            self._record_health(entry, outcome)
            rolled_back = [e for e in run.failures(booth_id) if "rolled back" in e.message]
            if rolled_back:
                outcome.result = "ROLLED BACK"
                problems = selftest_failures(outcome)
                outcome.detail = rolled_back[0].message + (
                    f" ({'; '.join(problems)})" if problems else ""
                )
            elif not outcome.failed:
                entry.release = release.version
            self.office.save_inventory(self.inventory)
            outcomes.append(outcome)
            if outcome.failed:
                for rest in booth_ids[index:]:
                    rest_entry = self.inventory.booth(rest)
                    outcomes.append(
                        Outcome(
                            rest,
                            rest_entry.host,
                            "update",
                            "not attempted",
                            0,
                            0,
                            f"rollout stopped after {booth_id}",
                        )
                    )
                break
        return outcomes

    # -- status -----------------------------------------------------------------------

    def status(self) -> list[Outcome]:
        """Every booth's release, health, outbox depth and last contact (read-only)."""
        if not self.inventory.booths:
            return []
        hostvars = {
            booth_id: {
                **self._hostvars(b.host, b.port),
                **self._booth_vars(booth_id, b.host, b.port),
            }
            for booth_id, b in self.inventory.booths.items()
        }
        run = self.runner.run("booth_status.yml", hostvars, {}, self._known_hosts())
        outcomes = []
        for booth_id, entry in sorted(self.inventory.booths.items()):
            outcome = self._outcome(booth_id, entry.host, "status", run)
            probe = task_json(run.report(booth_id, PROBE_TASK))
            if probe:
                entry.release = probe.get("release") or entry.release
                entry.outbox_depth = probe.get("outbox_depth")
                entry.last_seen = utc_now()
                self._record_health(entry, outcome)
                outcome.result = "ok" if entry.health == "ok" else "selftest FAILED"
                outcome.detail = "; ".join(selftest_failures(outcome))
            else:
                entry.health = "unreachable" if outcome.result == "unreachable" else entry.health
            outcome.changed = 0
            outcomes.append(outcome)
        self.office.save_inventory(self.inventory)
        return outcomes


def _text_or_empty(path: Path) -> str:
    """A key file's text; empty for an office made before the file existed."""
    return path.read_text(encoding="utf-8") if path.exists() else ""
