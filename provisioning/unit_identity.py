"""One unit, one booth: the checks ``booth add`` and ``booth replace`` make before touching
a unit, so a typo in ``--host`` or ``--id`` cannot silently give a booth's unit a second
identity, and a swapped unit is not quietly adopted by ``add`` (``replace`` revokes the
old certificate and recovers the old unit's records; ``add`` does neither)."""

from __future__ import annotations

from provisioning.inventory import Inventory
from provisioning.office import OfficeError


def refuse_other_identity(
    inventory: Inventory,
    booth_id: str,
    host: str,
    port: int,
    host_keys: list[str],
    *,
    action: str,
) -> None:
    """Raise :class:`OfficeError` (a sentence for the technician) when ``action`` ("add"
    or "replace") of ``booth_id`` on ``host``:``port`` would re-identify a unit."""
    for other_id, other in inventory.booths.items():
        if other_id != booth_id and (other.host, other.port) == (host, port):
            raise OfficeError(
                f"The unit at {host}:{port} is already {other_id}; {action} would make it "
                f"{booth_id} as well. Check --host and --id. To move {other_id} onto "
                f"another unit use `rekam-provision booth replace {other_id} --host NEW`."
            )
    existing = inventory.booths.get(booth_id)
    if (
        action == "add"
        and existing is not None
        and (existing.host, existing.port) == (host, port)
        and existing.host_keys
        and set(host_keys) != set(existing.host_keys)
    ):
        raise OfficeError(
            f"{booth_id} at {host}:{port} now answers with another SSH host key than the "
            "one pinned when it was added. If the unit was reinstalled or swapped, use "
            f"`rekam-provision booth replace {booth_id} --host {host} --host-key "
            "SHA256:...` (its old certificate is revoked and its records recovered)."
        )
