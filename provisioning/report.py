"""The summary table printed at the end of every ``rekam-provision`` command.

Headings and sentences are gettext msgids of the ``provisioning`` catalog, shown in the
technician's language (``lang``, Indonesian unless told otherwise).
"""

from __future__ import annotations

from typing import Any

from ektp.i18n import N_, translate
from provisioning.inventory import Inventory
from provisioning.office import OfficeDirectory
from provisioning.outcome import EDGE_KEY_TODO, Outcome

DOMAIN = "provisioning"
MSG_NOTHING_CHANGED = N_("Nothing changed: everything was already as it should be.")
MSG_CHANGES = N_("{count} change(s) applied.")
MSG_PLANNED = N_("{count} system step(s) planned in check mode only (not applied).")
MSG_REGISTER_KEYS = N_(
    "Register the signing key on the edge controller BEFORE the booth records "
    "(copy the .pem there; packets with an unknown key are refused):"
)
HEADINGS = {
    "booth": N_("booth"),
    "host": N_("host"),
    "action": N_("action"),
    "result": N_("result"),
    "changed": N_("changed"),
    "planned": N_("planned"),
    "recovered": N_("recovered"),
    "edge key": N_("edge key"),
    "detail": N_("detail"),
    "device": N_("device"),
    "version": N_("version"),
    "health": N_("health"),
    "outbox": N_("outbox"),
    "last seen": N_("last seen"),
}


def tr(message: str, lang: str, **params: Any) -> str:
    """``message`` (a msgid of the provisioning catalog) in ``lang``, filled in."""
    text = translate(message, lang, domain=DOMAIN)
    return text.format(**params) if params else text


def _table(header: list[str], rows: list[list[str]], lang: str = "id") -> str:
    header = [tr(HEADINGS[h], lang) if h in HEADINGS else h for h in header]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def outcome_table(outcomes: list[Outcome], lang: str = "id") -> str:
    """One row per booth; ``recovered`` and ``edge key`` only for add/replace runs."""
    header = ["booth", "host", "action", "result", "changed", "planned"]
    extra = [
        (name, value)
        for name, value in (
            ("recovered", lambda o: o.recovered),
            ("edge key", lambda o: o.edge_key),
        )
        if any(value(o) is not None for o in outcomes)
    ]
    header += [name for name, _ in extra] + ["detail"]
    rows = [
        [o.booth_id, o.host, o.action, o.result, str(o.changed), str(o.planned)]
        + ["-" if value(o) is None else str(value(o)) for _, value in extra]
        + [o.detail]
        for o in outcomes
    ]
    return _table(header, rows, lang)


def edge_key_commands(outcomes: list[Outcome], office: OfficeDirectory, lang: str = "id") -> str:
    """What to run on the edge for booths whose key could not be registered from here."""
    lines = [
        f"  rekam-edge booth register --config /etc/rekam/edge.toml --id {o.booth_id} "
        f"--public-key {office.booth_keys_dir / (o.booth_id + '.pem')} --rotate"
        for o in outcomes
        if o.edge_key == EDGE_KEY_TODO and not o.failed
    ]
    if not lines:
        return ""
    return tr(MSG_REGISTER_KEYS, lang) + "\n" + "\n".join(lines)


def selftest_table(outcome: Outcome, lang: str = "id") -> str:
    rows = [
        [str(d.get("device")), "ok" if d.get("ok") else "FAIL", str(d.get("detail"))]
        for d in outcome.selftest or []
    ]
    return _table(["device", "result", "detail"], rows, lang)


def status_table(inventory: Inventory, outcomes: list[Outcome], lang: str = "id") -> str:
    by_id = {o.booth_id: o for o in outcomes}
    rows = []
    for booth_id, entry in sorted(inventory.booths.items()):
        outcome = by_id.get(booth_id)
        reach = outcome.result if outcome else "-"
        rows.append(
            [
                booth_id,
                f"{entry.host}:{entry.port}",
                entry.release or "-",
                entry.health if reach != "unreachable" else "unreachable",
                "-" if entry.outbox_depth is None else str(entry.outbox_depth),
                entry.last_seen.isoformat() if entry.last_seen else tr(N_("never"), lang),
                outcome.detail if outcome else "",
            ]
        )
    header = ["booth", "host", "version", "health", "outbox", "last seen", "detail"]
    return _table(header, rows, lang)


def change_summary(outcomes: list[Outcome], *, plan_system: bool, lang: str = "id") -> str:
    changed = sum(o.changed for o in outcomes)
    text = tr(MSG_NOTHING_CHANGED, lang) if changed == 0 else tr(MSG_CHANGES, lang, count=changed)
    planned = sum(o.planned for o in outcomes)
    if plan_system and planned:
        text += " " + tr(MSG_PLANNED, lang, count=planned)
    return text
